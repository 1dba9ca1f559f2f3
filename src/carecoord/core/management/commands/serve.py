import atexit
import os
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serves CareCoord with gunicorn (the production WSGI server; static files through WhiteNoise)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("CARECOORD_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("CARECOORD_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("CARECOORD_THREADS", "4")))
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="Also run `carecoord worker` (background jobs) beside the server, as `make run` does.",
        )

    def handle(self, *args, **options):
        from gunicorn.app.wsgiapp import run

        if options["with_worker"]:
            self._start_background_worker()
        self.stdout.write(self.style.SUCCESS(f"CareCoord is serving on http://{options['bind']}/ (Ctrl+C to stop)."))
        sys.argv = [
            "gunicorn",
            "carecoord.wsgi:application",
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
            # gunicorn's control socket lives at one path per user; two servers on a machine would share it.
            "--no-control-socket",
        ]
        run()

    def _start_background_worker(self) -> None:
        worker = subprocess.Popen([sys.executable, "-m", "carecoord.cli", "worker"])
        server_pid = os.getpid()

        def stop_worker():
            # gunicorn's forked web workers inherit this hook; only the server process itself stops the worker.
            if os.getpid() == server_pid:
                worker.terminate()

        atexit.register(stop_worker)
