"""
Running the real server for operations tests and the soak harness: free ports, a self-signed certificate,
`carecoord` subcommands in a child process, and `carecoord serve` started and stopped.
"""

import datetime as dt
import ipaddress
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PROJECT_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_certificate(folder: Path, host: str = "localhost") -> tuple[Path, Path]:
    """A self-signed ECDSA P-256 certificate for `host` and 127.0.0.1; returns (certfile, keyfile)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(host), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return certfile, keyfile


def child_env(**overrides: str) -> dict[str, str]:
    env = {**os.environ, **overrides}
    for name in ("DJANGO_ALLOW_ASYNC_UNSAFE",):  # set by the browser tests; never in a deployment
        env.pop(name, None)
    if "DJANGO_SETTINGS_MODULE" not in overrides:
        env.pop("DJANGO_SETTINGS_MODULE", None)
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_DIR), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def carecoord(*args: str, env: dict[str, str], stdin: str | None = None, timeout: int = 600) -> str:
    """Runs `carecoord <args>` in a child process; returns its stdout, failing with its output on error."""
    result = subprocess.run(  # noqa: S603 -- our own CLI
        [sys.executable, "-m", "carecoord.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_DIR,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"carecoord {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


class Server:
    """`carecoord serve` in a child process (its own process group, so every worker can be stopped)."""

    def __init__(self, env: dict[str, str], *args: str, log: Path | None = None):
        self.env = env
        self.args = args
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> "Server":
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 -- closed with the process
        self.process = subprocess.Popen(  # noqa: S603 -- our own CLI
            [sys.executable, "-m", "carecoord.cli", "serve", *self.args],
            env=self.env,
            cwd=PROJECT_DIR,
            stdout=out,
            stderr=subprocess.STDOUT if self.log else subprocess.DEVNULL,
            start_new_session=True,
        )
        return self

    def wait_until(self, ready, seconds: float = 60.0) -> None:
        """Polls `ready()` until it returns true; fails if the server exits or the time runs out."""
        deadline = time.monotonic() + seconds
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited with {self.process.returncode}")
            try:
                if ready():
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("the server did not become ready in time")
            time.sleep(0.3)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=10)

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
