"""
`carecoord serve`: gunicorn, the production WSGI server, with static files from WhiteNoise.

With --certfile/--keyfile it speaks HTTPS itself, TLS 1.2 or newer only (RELIABILITY.md rule 10, T01); the
`ssl_context` hook below is read by gunicorn from this module (`--config python:<this module>`). Web requests
on PostgreSQL run with a statement timeout and a lock timeout, so a stalled lock or a runaway query fails the
request with 503 (carecoord.core.resilience) instead of holding a worker.
"""

import atexit
import os
import ssl
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError

from carecoord.core.resilience import apply_request_timeouts


def ssl_context(config, default_ssl_context_factory):
    """gunicorn server hook: TLS 1.2+ with forward-secret AEAD suites only (Mozilla "intermediate")."""
    context = default_ssl_context_factory()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:!aNULL:!MD5:!DSS")
    return context


class Command(BaseCommand):
    help = "Serves CareCoord with gunicorn (the production WSGI server; static files through WhiteNoise)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("CARECOORD_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("CARECOORD_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("CARECOORD_THREADS", "4")))
        parser.add_argument("--certfile", default=os.environ.get("CARECOORD_TLS_CERTFILE", ""), help="PEM certificate")
        parser.add_argument("--keyfile", default=os.environ.get("CARECOORD_TLS_KEYFILE", ""), help="PEM private key")
        parser.add_argument(
            "--statement-timeout",
            type=int,
            default=int(os.environ.get("CARECOORD_DB_STATEMENT_TIMEOUT_MS", "30000")),
            help="PostgreSQL statement_timeout of web requests, in milliseconds (0 = none).",
        )
        parser.add_argument(
            "--lock-timeout",
            type=int,
            default=int(os.environ.get("CARECOORD_DB_LOCK_TIMEOUT_MS", "5000")),
            help="PostgreSQL lock_timeout of web requests, in milliseconds (0 = none).",
        )
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="Also run `carecoord worker` (background jobs) beside the server, as `make run` does.",
        )

    def handle(self, *args, **options):
        from gunicorn.app.wsgiapp import run

        if bool(options["certfile"]) != bool(options["keyfile"]):
            raise CommandError("--certfile and --keyfile go together.")
        apply_request_timeouts(statement_ms=options["statement_timeout"], lock_ms=options["lock_timeout"])
        if options["with_worker"]:
            self._start_background_worker()
        scheme = "https" if options["certfile"] else "http"
        self.stdout.write(
            self.style.SUCCESS(f"CareCoord is serving on {scheme}://{options['bind']}/ (Ctrl+C to stop).")
        )
        sys.argv = [
            "gunicorn",
            "carecoord.wsgi:application",
            "--config",
            f"python:{__name__}",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--timeout",
            "60",
            "--graceful-timeout",
            "20",
            "--access-logfile",
            "-",
            "--logger-class",
            "carecoord.core.access_log.AccessLogger",  # the same line, gathered for less (its docstring)
            # gunicorn's control socket lives at one path per user; two servers on a machine would share it.
            "--no-control-socket",
        ]
        if options["certfile"]:
            sys.argv += ["--certfile", options["certfile"], "--keyfile", options["keyfile"]]
        run()

    def _start_background_worker(self) -> None:
        worker = subprocess.Popen([sys.executable, "-m", "carecoord.cli", "worker"])
        server_pid = os.getpid()

        def stop_worker():
            # gunicorn's forked web workers inherit this hook; only the server process itself stops the worker.
            if os.getpid() == server_pid:
                worker.terminate()

        atexit.register(stop_worker)
