"""
The real WSGI server for the HTTP scenarios: `carecoord serve` (gunicorn) started as a child process on a
free port, a signed-in HTTP session against it (stdlib http.client, cookies by hand, CSRF as a browser
does it), and the resident memory of its workers read from /proc.
"""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def warm_up_size(server_threads: int) -> tuple[int, int]:
    """(requests, concurrent clients) of an untimed warm-up that reaches every server thread."""
    return 4 * server_threads, server_threads


class Server:
    """`carecoord serve --workers N` on 127.0.0.1, with the benchmark's environment (DATABASE_URL)."""

    def __init__(self, *, workers: int, log_path: Path):
        self.port = free_port()
        self.workers = workers
        # Requests served at once: gunicorn's threads per worker (`carecoord serve --threads`) times workers.
        self.request_threads = workers * int(os.environ.get("CARECOORD_THREADS", "4"))
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> None:
        executable = Path(sys.executable).with_name("carecoord")
        env = dict(os.environ)
        env.pop("CARECOORD_DEBUG", None)
        # gunicorn 27's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl), shared
        # by every gunicorn on the machine, so the last one started receives the others' `shutdown`/`reload`.
        # Three runs on the shared build machine lost their server mid-way ("connection refused" for 20 s)
        # while other people started and stopped servers; that is the likely cause, so ours opts out.
        env["GUNICORN_CMD_ARGS"] = f"{env.get('GUNICORN_CMD_ARGS', '')} --no-control-socket".strip()
        log = self.log_path.open("wb")
        command = [str(executable), "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers)]
        self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited at start (see {self.log_path})")
            try:
                status, _, _ = HttpSession(self.port).get("/healthz")
                if status == 200 and len(self.worker_pids()) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the server did not answer /healthz within {timeout:.0f} s (see {self.log_path})")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown of its own workers
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def diagnose(self) -> str:
        """Why requests might fail: is the master alive, and the end of its log."""
        state = "running" if self.process and self.process.poll() is None else f"exited ({self.process.poll()})"
        tail = self.log_path.read_text(errors="replace").splitlines()[-8:] if self.log_path.exists() else []
        return f"server {state}, workers {self.worker_pids()}; log {self.log_path}:\n" + "\n".join(tail)

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the children of the master process we started."""
        if self.process is None:
            return []
        children = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.process.pid:
                children.append(int(entry))
        return sorted(children)

    def memory(self) -> dict:
        """Resident set size (VmRSS) and peak (VmHWM) of the master and of each worker, in MB."""

        def read(pid: int) -> dict:
            fields = {}
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    fields[key] = round(int(value.split()[0]) / 1024, 1)
            return {"pid": pid, "rss_mb": fields.get("VmRSS"), "peak_rss_mb": fields.get("VmHWM")}

        workers = [read(pid) for pid in self.worker_pids()]
        return {
            "master": read(self.process.pid) if self.process else None,
            "workers": workers,
            "max_worker_rss_mb": max((w["rss_mb"] for w in workers), default=None),
        }


class HttpSession:
    """A browser-like session on one host: keeps cookies, sends the CSRF token on POST."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None
        self.refused = 0

    def _headers(self) -> dict:
        headers = {"User-Agent": "carecoord-bench/1", "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _remember(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value

    def connect(self, patience: float = 20) -> None:
        """
        Opens a connection; a refusal is retried for up to `patience` seconds, counted, and reported in
        results.json (http_connect_retries) — then it is an error, with the server's state (see Server.start).
        """
        self.close()
        deadline = time.monotonic() + patience
        while True:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self.conn.connect()
                return
            except ConnectionRefusedError:
                self.conn = None
                self.refused += 1
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, body: bytes | None = None, extra: dict | None = None):
        """Sends one request on the open connection (opening one if needed); returns status, headers, body."""
        for attempt in (1, 2):
            if self.conn is None:
                self.connect()
            try:
                self.conn.request(method, path, body=body, headers={**self._headers(), **(extra or {})})
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # the server closed an idle keep-alive connection: open a new one and retry
                if attempt == 2:
                    raise
                continue
            self._remember(response)
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, response.headers, data
        raise RuntimeError("unreachable")

    def get(self, path: str):
        return self.request("GET", path)

    def login(self, email: str, password: str) -> None:
        status, _, _ = self.get("/account/login/")
        token = self.cookies.get("csrftoken")
        if status != 200 or not token:
            raise RuntimeError(f"GET /account/login/ answered {status} without a CSRF cookie")
        body = urllib.parse.urlencode({"email": email, "password": password, "csrfmiddlewaretoken": token}).encode()
        extra = {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{self.port}/"}
        status, headers, _ = self.request("POST", "/account/login/", body, extra)
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"signing in as {email} failed (HTTP {status}); is the bench data generated?")
        location = headers.get("Location", "")
        if "/account/" in location:
            raise RuntimeError(f"signing in was held at {location} (two-factor?); bench orgs must not require MFA")
