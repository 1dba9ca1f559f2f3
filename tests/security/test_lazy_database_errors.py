"""
RELIABILITY T29 (lazy reads): a database that stops answering while a page renders a lazily evaluated
queryset, while a CSV export streams, or behind an exception that wraps the database error, answers the same
503 + Retry-After (and no details) as a database error raised in a view, never a 500 or a 200 that breaks off.

The fault is made at the database driver boundary (`connection.execute_wrapper` refusing the statements that
read one table with the OperationalError a lost server gives), so the app's own code runs unchanged.
"""

import contextlib

import pytest
from django.db import OperationalError, connection
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template import engines
from django.template.response import TemplateResponse
from django.test import Client, override_settings
from django.urls import path

from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent, Organization
from carecoord.core.resilience import is_database_unavailable
from carecoord.urls import handler400, handler403, handler404, handler500  # noqa: F401
from carecoord.urls import urlpatterns as app_urlpatterns
from tests.factories import make_actor

LEAKS = ("Traceback", "OperationalError", "127.0.0.1", "Connection refused", "SELECT", "Lakeside")
LOST = "server closed the connection unexpectedly (127.0.0.1:5432): Connection refused"
ROWS = "{% for org in organizations %}<li>{{ org.name }}</li>{% endfor %}"


@contextlib.contextmanager
def refusing(table: str, *, after: int = 0):
    """Statements reading `table` fail as a lost database makes them fail (the first `after` still answer)."""
    answered = []

    def refuse(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT") and f'FROM "{table}"' in sql:
            if len(answered) >= after:
                raise OperationalError(LOST)
            answered.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


def organizations():
    return Organization.objects.order_by("name")  # lazy: read only when the template iterates it


def deferred_page(request):
    return TemplateResponse(request, engines["django"].from_string(ROWS), {"organizations": organizations()})


def rendered_page(request):
    return render(request, "400.html", {"extra": [o.name for o in organizations()]})


def wrapped_error(request):
    try:
        names = [o.name for o in organizations()]
    except OperationalError as exc:
        raise RuntimeError("could not build the directory") from exc
    return HttpResponse(", ".join(names))


def stream(request):
    def lines():
        yield "name\r\n"  # the header comes before the first read
        for org in organizations().iterator(chunk_size=1):
            yield f"{org.name}\r\n"

    return StreamingHttpResponse(lines(), content_type="text/csv")


def stream_two_reads(request):
    def lines():
        yield from (f"{org.name}\r\n" for org in organizations())
        yield f"total,{organizations().count()}\r\n"  # a second read, after the first rows went out

    return StreamingHttpResponse(lines(), content_type="text/csv")


urlpatterns = [
    path("__lazy__/stream-two-reads", stream_two_reads),
    path("__lazy__/deferred", deferred_page),
    path("__lazy__/rendered", rendered_page),
    path("__lazy__/wrapped", wrapped_error),
    path("__lazy__/stream", stream),
    *app_urlpatterns,
]


def assert_unavailable(response):
    assert response.status_code == 503, response.status_code
    assert response["Retry-After"] == "5"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    for leak in LEAKS:
        assert leak not in body.decode(), leak


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize("url", ["/__lazy__/deferred", "/__lazy__/rendered", "/__lazy__/wrapped", "/__lazy__/stream"])
def test_a_lazy_read_losing_the_database_answers_503(org, url):
    client = Client(raise_request_exception=False)
    healthy = client.get(url)
    assert healthy.status_code == 200
    body = b"".join(healthy.streaming_content) if healthy.streaming else healthy.content
    assert url.endswith("rendered") or b"Lakeside" in body  # it reads the table when the database answers
    with refusing("core_organization"):
        assert_unavailable(client.get(url))


def test_the_audit_csv_export_losing_the_database_answers_503_before_it_starts(org, client_for):
    auditor = make_actor(org, Role.AUDITOR)
    client = client_for(auditor)
    client.raise_request_exception = False
    ok = client.get("/audit/export.csv")
    assert ok.status_code == 200
    assert b"audit.export" in b"".join(ok.streaming_content)
    exports = AuditEvent.objects.filter(event="audit.export").count()
    with refusing("core_auditevent"):
        response = client.get("/audit/export.csv")
    assert_unavailable(response)
    assert response["Content-Type"].startswith("text/html")
    assert AuditEvent.objects.filter(event="audit.export").count() == exports + 1  # the attempt is still audited


@override_settings(ROOT_URLCONF=__name__)
def test_a_stream_losing_the_database_midway_is_aborted_not_cut_short_silently(org):
    client = Client(raise_request_exception=False)
    with refusing("core_organization", after=1):  # the first read answers; the second does not
        response = client.get("/__lazy__/stream-two-reads")
        assert response.status_code == 200  # the status went out with the first rows
        with pytest.raises(OperationalError):
            b"".join(response.streaming_content)


def test_only_database_errors_and_errors_caused_by_them_count():
    def raised(outer, cause=None, *, suppress=False):
        try:
            try:
                raise cause
            except Exception as inner:
                if suppress:
                    raise outer from None
                raise outer from inner
        except Exception as exc:
            return exc

    assert is_database_unavailable(OperationalError(LOST))
    assert is_database_unavailable(raised(RuntimeError("page"), OperationalError(LOST)))
    assert not is_database_unavailable(raised(RuntimeError("page"), ValueError("x")))
    assert not is_database_unavailable(raised(RuntimeError("page"), OperationalError(LOST), suppress=True))
    assert not is_database_unavailable(None)
