"""
The one place uploads are judged and downloads are shaped (OWASP File Upload Cheat Sheet; ASVS 5.0 V5):

- `check_content` / `CheckedFileField`: a binary file's type is read from its first bytes (never from its
  name or the browser's Content-Type), it must be one of the kinds the caller allows, not empty, and at most
  the caller's limit (too large: `UploadTooLarge`, 413; wrong type: `UnsupportedUpload`, 415).
- `read_text` / `CheckedFileField(text=True)`: a text file (CSV, JSON, X12) within its limit, in the expected
  encoding, without NUL characters.
- `storage_name`: the key a file is stored under is generated here; the uploader's name is only metadata.
- `safe_filename`, `content_disposition`, `attachment_response`: downloads go out as attachments with a
  sanitized name, `X-Content-Type-Options: nosniff` and the type found at upload.
"""

import unicodedata
import uuid
from urllib.parse import quote

from django import forms
from django.http import HttpResponse

from .errors import ValidationError

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg"}
MB = 1024 * 1024
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "ascii": "ASCII"}

# Signatures from the formats' own specifications: ISO 32000 (PDF header), PNG (RFC 2083 §3.1), JPEG (SOI
# marker followed by another marker). SVG, HTML and anything else are never accepted as binary uploads.
_SIGNATURES = ((PDF, (b"%PDF-",)), (PNG, (b"\x89PNG\r\n\x1a\n",)), (JPEG, (b"\xff\xd8\xff",)))


class UploadTooLarge(ValidationError):
    code = "too-large"
    http_status = 413


class UnsupportedUpload(ValidationError):
    code = "unsupported-type"
    http_status = 415


def sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes: PDF, PNG or JPEG; None for anything else."""
    for kind, signatures in _SIGNATURES:
        # PDF readers skip leading white space before the header; image decoders do not.
        start = head.lstrip(b"\t\r\n ") if kind == PDF else head
        if any(start.startswith(signature) for signature in signatures):
            return kind
    return None


def _describe(kinds) -> str:
    names = [EXTENSIONS[k].upper().replace("JPG", "JPEG") for k in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _check_size(size: int, max_bytes: int, field: str) -> None:
    if size == 0:
        raise ValidationError("The file is empty.", field=field)
    if size > max_bytes:
        raise UploadTooLarge(f"The file is larger than {max_bytes // MB or 1} MB; upload a smaller one.", field=field)


def check_content(content: bytes, *, kinds, max_bytes: int, field: str = "file") -> str:
    """The content type of `content` when it is one of `kinds` and within `max_bytes`; raises otherwise."""
    _check_size(len(content), max_bytes, field)
    kind = sniff(content[:16])
    if kind not in kinds:
        what = _describe(kinds)
        raise UnsupportedUpload(f"That file is not a {what}. Upload a {what} file.", field=field)
    return kind


def read_upload(upload, *, max_bytes: int, field: str = "file") -> bytes:
    """All bytes of an uploaded file, refusing it before reading when its size is over the limit."""
    _check_size(upload.size or 0, max_bytes, field)
    upload.seek(0)
    content = upload.read(max_bytes + 1)
    _check_size(len(content), max_bytes, field)
    return content


def read_text(upload, *, max_bytes: int, field: str = "file", encoding: str = "utf-8-sig", what: str = "") -> str:
    """An uploaded text file (CSV, JSON, X12) decoded, within its limit and free of NUL characters."""
    content = read_upload(upload, max_bytes=max_bytes, field=field)
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError:
        name = ENCODING_NAMES.get(encoding, encoding)
        raise UnsupportedUpload(f"{what or 'The file'} is not {name} text.", field=field) from None
    if "\x00" in text:
        raise UnsupportedUpload(f"{what or 'The file'} holds NUL characters; it is not a text file.", field=field)
    return text


def storage_name(prefix: str, kind: str) -> str:
    """A server-generated storage key: a random name in `prefix` with the extension of the checked type."""
    return f"{prefix}/{uuid.uuid4().hex}.{EXTENSIONS[kind]}"


def safe_filename(name: str | None, default: str = "document") -> str:
    """
    A file name safe to show and to send back: no directories (either slash), no control or format characters,
    no leading dots, at most 120 characters. Only ever metadata, never a storage path.
    """
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    text = " ".join(text.split()).lstrip(". ").replace('"', "'")
    return text[-120:] or default


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """A Content-Disposition header (RFC 6266): an ASCII fallback name and the UTF-8 name (RFC 8187)."""
    name = safe_filename(filename)
    ascii_name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._- ()") else "_" for ch in name)
    disposition = "inline" if inline else "attachment"
    if ascii_name == name:
        return f'{disposition}; filename="{name}"'
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def attachment_response(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    """A download: attachment with a sanitized name, the type found at upload, and nosniff."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


class CheckedFileField(forms.FileField):
    """
    A form file field judged by `check_content` (binary `kinds`) or `read_text` (`text=True`). Its cleaned
    value is the uploaded file with `checked_type` and `checked_content` set, or the decoded text.
    """

    def __init__(self, *args, max_bytes: int, kinds=(), text: bool = False, encoding: str = "utf-8-sig", **kw):
        self.max_bytes, self.kinds, self.text, self.encoding = max_bytes, tuple(kinds), text, encoding
        super().__init__(*args, **kw)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload or upload is initial:
            return upload
        try:
            if self.text:
                return read_text(upload, max_bytes=self.max_bytes, encoding=self.encoding)
            content = read_upload(upload, max_bytes=self.max_bytes)
            upload.checked_type = check_content(content, kinds=self.kinds, max_bytes=self.max_bytes)
            upload.checked_content = content
            upload.seek(0)
        except ValidationError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return upload
