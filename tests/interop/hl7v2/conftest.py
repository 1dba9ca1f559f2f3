"""The MLLP listener for real: a server in a thread on an ephemeral port, storing what it takes for `feed_org`."""

import pytest

from carecoord.interop.hl7v2.handler import handle_message
from carecoord.interop.hl7v2.mllp import MllpServer

from ...factories import OrganizationFactory
from .messages import MAX_BYTES


@pytest.fixture
def feed_org(transactional_db):
    return OrganizationFactory(name="Lakeside Clinic", slug="lakeside-feed")


@pytest.fixture
def listener(feed_org):
    def on_message(raw: bytes, peer: str) -> str:
        return handle_message(raw, organization=feed_org, peer=peer).ack

    server = MllpServer(("127.0.0.1", 0), on_message, max_message_bytes=MAX_BYTES, idle_timeout=10)
    server.start()
    yield server
    server.stop()
