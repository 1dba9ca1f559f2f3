"""Background request loops for fault tests: plain probes (no retry, every answer kept) and retrying writers."""

import threading
import time

import requests

from .writes import FhirClient


class Probe(threading.Thread):
    """GETs one FHIR path over and over; keeps (started, status or error name, seconds, Retry-After)."""

    def __init__(self, base: str, token: str, path: str, pause: float = 0.2):
        super().__init__(daemon=True)
        self.url, self.token, self.pause = f"{base}/fhir/R4/{path}", token, pause
        self.samples: list[tuple[float, object, float, str | None]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        session = requests.Session()
        while not self.halt.is_set():
            started = time.monotonic()
            try:
                response = session.get(self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30)
                outcome, retry_after = response.status_code, response.headers.get("Retry-After")
                if "Traceback" in response.text:
                    outcome = "traceback-in-body"
            except requests.RequestException as exc:
                outcome, retry_after = type(exc).__name__, None
                session = requests.Session()
            self.samples.append((started, outcome, time.monotonic() - started, retry_after))
            time.sleep(self.pause)

    def stop(self) -> list:
        self.halt.set()
        self.join(60)
        return self.samples


class Writer(threading.Thread):
    """Makes idempotent multi-object writes until stopped; keeps what the server acknowledged."""

    def __init__(self, client: FhirClient, prefix: str):
        super().__init__(daemon=True)
        self.client, self.prefix = client, prefix
        self.acknowledged: list[dict] = []
        self.halt = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        n = 0
        while not self.halt.is_set():
            try:
                self.acknowledged.append(self.client.write(f"{self.prefix}-{n:05d}"))
            except BaseException as exc:  # reported by the test, not lost in a thread
                self.error = exc
                return
            n += 1

    def stop(self) -> list[dict]:
        self.halt.set()
        self.join(180)
        if self.error is not None:
            raise self.error
        return self.acknowledged


def summary(samples: list) -> dict:
    counts: dict[str, int] = {}
    for _, outcome, _, _ in samples:
        counts[str(outcome)] = counts.get(str(outcome), 0) + 1
    return counts
