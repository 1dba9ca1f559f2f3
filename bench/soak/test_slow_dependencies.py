"""
T30: a mail server that accepts connections and never answers. Web writes keep their speed (delivery runs
in the worker, never in a request); each delivery attempt gives up within EMAIL_TIMEOUT (5 s) and is
retried; once the server answers again, each queued message is sent exactly once.
"""

import json
import re
import statistics
import subprocess
import sys
import time

from tests.ops.serverkit import PROJECT_DIR, free_port

from .smtp import HangingServer, SinkServer
from .writes import FhirClient

MESSAGES = 5
QUEUE = f"""
from carecoord.core.models import Organization
from carecoord.messaging.services import message_queue
org = Organization.objects.get(slug="soak")
for i in range({MESSAGES}):
    message_queue(organization=org, channel="email", to_address=f"family{{i}}@example.org",
                  subject="Reminder", body="Your visit is tomorrow.", idempotency_key=f"soak30-{{i}}")
"""
DELIVER = """
import json, time
from carecoord.messaging.services import outbox_deliver
started = time.monotonic()
counts = outbox_deliver()
print(json.dumps({**counts, "seconds": time.monotonic() - started}))
"""


def write_latencies(client: FhirClient, prefix: str, count: int) -> list[float]:
    times = []
    for n in range(count):
        started = time.monotonic()
        client.write(f"{prefix}-{n:04d}")
        times.append(time.monotonic() - started)
    return times


def test_a_hung_mail_server_never_slows_a_page_and_each_message_goes_once(installation, record):
    mail_port = free_port()
    mail_env = {
        "CARECOORD_EMAIL_SENDER": "carecoord.messaging.senders.DjangoEmailSender",
        "CARECOORD_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "CARECOORD_EMAIL_HOST": "127.0.0.1",
        "CARECOORD_EMAIL_PORT": str(mail_port),
    }
    hanging = HangingServer(mail_port)
    running = installation.serve("--workers", "2", "--threads", "4", extra_env=mail_env)
    client = FhirClient(running.base, lambda: installation.token(running.base))
    try:
        baseline = write_latencies(client, "SOAK30-BASE", 10)
        installation.shell(QUEUE, extra_env=mail_env)
        delivering = subprocess.Popen(  # noqa: S603 -- our own CLI, the delivery a worker would run
            [sys.executable, "-m", "carecoord.cli", "shell", "-c", DELIVER],
            env={**installation.env, **mail_env}, cwd=PROJECT_DIR, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        during = write_latencies(client, "SOAK30-HUNG", 10)
        stuck = json.loads(delivering.communicate(timeout=120)[0].strip().splitlines()[-1])
    finally:
        hanging.close()
    with installation.cluster.connect() as db:
        rows = db.execute(
            "SELECT status, attempts, last_error FROM messaging_outboxmessage WHERE idempotency_key LIKE 'soak30-%%'"
        ).fetchall()
    sink = SinkServer(mail_port)  # the mail server is back
    try:
        with installation.cluster.connect() as db:  # the retry pause (1 minute) has passed
            db.execute("UPDATE messaging_outboxmessage SET next_attempt_at = now() WHERE status = 'queued'")
        first = json.loads(installation.shell(DELIVER, extra_env=mail_env).strip().splitlines()[-1])
        again = json.loads(installation.shell(DELIVER, extra_env=mail_env).strip().splitlines()[-1])
    finally:
        sink.close()
        running.stop()
    ids = [re.search(r"X-CareCoord-Message: (\S+)", m).group(1) for m in sink.messages]
    figures = {
        "baseline_median_s": statistics.median(baseline), "hung_median_s": statistics.median(during),
        "hung_delivery": stuck, "after_hang": rows, "recovered_delivery": first, "second_run": again,
        "sink_messages": len(sink.messages),
    }  # fmt: skip
    record("t30_slow_smtp", figures)
    assert statistics.median(during) - statistics.median(baseline) < 1
    assert stuck["retrying"] == MESSAGES
    assert stuck["seconds"] / MESSAGES <= 5.5  # each attempt gave up within EMAIL_TIMEOUT
    assert all(status == "queued" and attempts == 1 and "timed out" in error for status, attempts, error in rows)
    assert first["sent"] == MESSAGES
    assert again == {**again, "sent": 0, "retrying": 0, "failed": 0}
    assert len(ids) == MESSAGES
    assert len(set(ids)) == MESSAGES
