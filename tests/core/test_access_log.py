"""
`carecoord serve`'s access log (core.access_log): with gunicorn's default format its lines are exactly
gunicorn's own, for every kind of request; with another format it falls back to gunicorn's atoms.
"""

import base64
import datetime as dt
import logging
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

from carecoord.core.access_log import AccessLogger


class _Response(SimpleNamespace):
    pass


def _environ(**extra) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/fhir/R4/Patient/1?_format=json",
        "PATH_INFO": "/fhir/R4/Patient/1",
        "QUERY_STRING": "_format=json",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
        **extra,
    }


CASES = [
    (_environ(), _Response(status="200 OK", sent=1234, headers=[("Content-Type", "application/fhir+json")])),
    (
        _environ(
            HTTP_REFERER='https://ehr.example/"quoted"',
            HTTP_USER_AGENT='curl/8 "x"',
            HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"nurse:secret").decode(),
        ),
        _Response(status="404 Not Found", sent=0, headers=[]),
    ),
    (_environ(REQUEST_METHOD="POST", HTTP_AUTHORIZATION="Bearer abc"), _Response(status=201, sent=None, headers=[])),
    ({**_environ(), "REMOTE_ADDR": None}, _Response(status="503 Service Unavailable", headers=[])),
]


def _line(logger_class, environ, response, access_log_format=None) -> str:
    config = Config()
    config.set("accesslog", "-")
    if access_log_format:
        config.set("access_log_format", access_log_format)
    logger = logger_class(config)
    logger.now = lambda: "[27/Nov/2026:12:00:00 +0000]"
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    logger.access_log.handlers = [Keep()]
    request = SimpleNamespace(headers=[("HOST", "127.0.0.1"), ("X-TRACE", "t-1")])
    logger.access(response, request, environ, dt.timedelta(milliseconds=12))
    (line,) = records
    return line


@pytest.mark.parametrize(("environ", "response"), CASES)
def test_the_default_line_is_gunicorns(environ, response):
    ours, theirs = _line(AccessLogger, environ, response), _line(Logger, environ, response)
    assert ours == theirs
    assert ours.startswith(environ["REMOTE_ADDR"] or "None")


def test_another_format_gets_gunicorns_full_atoms():
    fmt = "%(h)s %({x-trace}i)s %(M)s %({content-type}o)s %({path_info}e)s"
    environ, response = CASES[0]
    ours = _line(AccessLogger, environ, response, fmt)
    assert ours == _line(Logger, environ, response, fmt) == "10.0.0.7 t-1 12 application/fhir+json /fhir/R4/Patient/1"
