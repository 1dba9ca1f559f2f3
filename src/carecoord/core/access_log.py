"""
gunicorn's logger for `carecoord serve` (--logger-class), its access line built from what the line shows.

gunicorn's own `atoms` gathers every request header, response header and WSGI environ variable of each
request (some forty values, each then escaped by SafeAtoms) whatever the format names. The line CareCoord
writes is gunicorn's default, the Apache combined format, which shows nine of them: with that format this
logger gathers only those, the same values the same way (tests/core/test_access_log.py compares the lines).
Any other format (--access-logformat in GUNICORN_CMD_ARGS) gets gunicorn's full set. A line of a FHIR read
took 29 us with the full set and takes 16 us so (timeit; bench/README.md "Session 9"), of a read's ~3 ms.
"""

from gunicorn import glogging
from gunicorn.config import AccessLogFormat

COMBINED = AccessLogFormat.default


class AccessLogger(glogging.Logger):
    def atoms(self, resp, req, environ, request_time):
        if self.cfg.access_log_format != COMBINED:
            return super().atoms(resp, req, environ, request_time)
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        sent = getattr(resp, "sent", None)
        return {
            "h": environ.get("REMOTE_ADDR", "-"),
            "l": "-",
            "u": self._get_user(environ) or "-",
            "t": self.now(),
            "r": f"{environ['REQUEST_METHOD']} {environ['RAW_URI']} {environ['SERVER_PROTOCOL']}",
            "s": status,
            "b": str(sent) if sent is not None else "-",
            "f": environ.get("HTTP_REFERER", "-"),
            "a": environ.get("HTTP_USER_AGENT", "-"),
        }
