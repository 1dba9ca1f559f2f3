"""
The one way CareCoord writes CSV: RFC 4180 quoting and line ends (the csv module's defaults, CRLF) and every
cell neutralized against spreadsheet formula injection (OWASP "CSV Injection": a cell starting with =, +, -,
@, tab or CR gets a leading ').
"""

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

from .uploads import content_disposition

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def csv_safe(value) -> str:
    """
    Neutralizes spreadsheet formulas: a leading = + - @ tab or CR gets a quote. A leading quote gets one too,
    so the original is always the cell minus one leading quote.
    """
    text = "" if value is None else str(value)
    if text and text[0] in FORMULA_STARTS:
        return "'" + text
    return text


class Echo:
    """A file-like object whose write returns the line, for streaming CSV."""

    def write(self, value):
        return value


def csv_lines(rows: Iterable[Iterable]) -> Iterator[str]:
    """Each row as one RFC 4180 line (CRLF-terminated, quoted where needed), every cell through csv_safe."""
    writer = csv.writer(Echo(), dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    for row in rows:
        yield writer.writerow([csv_safe(value) for value in row])


def csv_response(rows: Iterable[Iterable], filename: str) -> StreamingHttpResponse:
    """A streamed CSV download (attachment, sanitized name, nosniff) of `rows`, the header row first."""
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv")
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
