"""The app's URLs plus one that fails on purpose (RELIABILITY.md T02's forced 500); loaded by tests only."""

from django.db import OperationalError
from django.urls import path

from carecoord.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def boom(request):
    # Text a careless error page would echo: it must not reach the client.
    raise RuntimeError("SELECT secret_column FROM core_user -- SECRET_KEY settings traceback")


def database_gone(request):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


urlpatterns = [
    path("__test__/boom", boom),
    path("__test__/database-gone", database_gone),
    *urlpatterns,
]
