"""
T08 (RELIABILITY.md): outbound URLs and XML. CareCoord never fetches a URL a user or an import gives it: the
URL fields (HSDS organization websites and service URLs, directory websites, payer portals) are only shown as
links. These tests prove it three ways: no HTTP client is imported anywhere in the application, a local
listener sees no connection while hostile URLs are imported, saved and shown, and link fields refuse
non-web schemes. Nothing parses XML from outside (X12 and HL7 v2 are not XML; the FHIR API speaks JSON only
and refuses fhir+xml unread), so an XXE payload is refused before any parser sees it.
"""

import json
import re
import socket
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import carecoord
from carecoord.community.models import Agency, CommunityService
from carecoord.directory.forms import ExternalOrganizationForm

from ..conftest import signed_in_client

SOURCE = Path(carecoord.__file__).parent
HSDS = Path(__file__).parent.parent / "data" / "hsds" / "organization_full.json"

OUTBOUND_CLIENTS = re.compile(
    r"^\s*(import|from)\s+(requests|httpx|urllib3|aiohttp|pycurl|http\.client|urllib\.request|ftplib|"
    r"xmlrpc|telnetlib|smtplib|webbrowser)\b|urlopen\(|socket\.create_connection\(",
    re.MULTILINE,
)
# The one socket client: the HL7 v2 MLLP sender, whose host and port come from the operator's command line.
OUTBOUND_ALLOWED = {"interop/hl7v2/mllp.py"}
XML_PARSERS = re.compile(
    r"\b(ET|ElementTree|etree)\.(fromstring|parse|XML|XMLParser|iterparse|XMLPullParser)\(|\bminidom\b|"
    r"\bpulldom\b|xml\.sax|\bexpat\b|\blxml\b|xmltodict|defusedxml"
)


@pytest.fixture
def listener():
    """A TCP listener on 127.0.0.1 that counts the connections it gets; yields (port, counter)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    seen = {"connections": 0}
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            seen["connections"] += 1
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], seen
    stop.set()
    thread.join(timeout=5)
    server.close()


def hostile_urls(port: int) -> list[str]:
    return [f"http://127.0.0.1:{port}/", f"http://localhost:{port}/admin", "http://169.254.169.254/latest/meta-data/",
            f"http://[::1]:{port}/", f"http://2130706433:{port}/", "http://0x7f000001/",
            f"http://allowed.example.com.evil.test@127.0.0.1:{port}/"]  # fmt: skip


def test_no_http_client_is_imported_anywhere_in_the_application():
    found = []
    for path in SOURCE.rglob("*.py"):
        name = path.relative_to(SOURCE).as_posix()
        if name not in OUTBOUND_ALLOWED and OUTBOUND_CLIENTS.search(path.read_text()):
            found.append(name)
    assert found == [], f"modules that can open outbound connections: {found}"


def test_nothing_parses_xml():
    found = [p.relative_to(SOURCE).as_posix() for p in SOURCE.rglob("*.py") if XML_PARSERS.search(p.read_text())]
    assert found == [], f"XML parsing found (test XXE there): {found}"


def test_an_hsds_import_with_internal_urls_fetches_nothing(actor, listener):
    port, seen = listener
    client = signed_in_client(actor)
    for url in hostile_urls(port):
        payload = json.loads(HSDS.read_text())
        payload["website"] = url
        payload["logo"] = url
        payload["uri"] = url
        payload["id"] = f"org-{abs(hash(url))}"
        for service in payload.get("services", []):
            service["url"] = url
            service["id"] = f"svc-{abs(hash(url))}"
        upload = SimpleUploadedFile("org.json", json.dumps(payload).encode())
        response = client.post(reverse("community:directory_import"), {"files": [upload]})
        assert response.status_code in (200, 400)
        assert response.status_code < 500
    for service in CommunityService.objects.all():
        assert client.get(reverse("community:service_detail", args=[service.public_id])).status_code == 200
    assert client.get(reverse("community:directory")).status_code == 200
    assert seen["connections"] == 0


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "file:///etc/passwd", "gopher://127.0.0.1:25/", "data:text/html,x"]
)
def test_an_hsds_import_never_stores_a_non_web_link(actor, url):
    payload = json.loads(HSDS.read_text())
    payload["website"] = url
    for service in payload.get("services", []):
        service["url"] = url
    upload = SimpleUploadedFile("org.json", json.dumps(payload).encode())
    response = signed_in_client(actor).post(reverse("community:directory_import"), {"files": [upload]})
    assert response.status_code in (200, 400)
    assert not Agency.objects.filter(website=url).exists()
    assert not CommunityService.objects.filter(url=url).exists()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "gopher://127.0.0.1:25/", "data:,x"])
def test_directory_websites_refuse_non_web_schemes(url):
    form = ExternalOrganizationForm(data={"name": "Acme Cardiology", "website": url})
    assert not form.is_valid()
    assert "website" in form.errors


def test_fhir_xml_with_an_external_entity_is_refused_unread(org, fhir_as, listener):
    port, seen = listener
    xxe = (f'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/xxe">'
           '<!ENTITY y SYSTEM "file:///etc/passwd">]><Patient xmlns="http://hl7.org/fhir">'
           '<name><family value="&x;&y;"/></name></Patient>')  # fmt: skip
    fhir = fhir_as(org)
    response = fhir.http.post("/fhir/R4/Patient", xxe, content_type="application/fhir+xml",
                              **fhir._headers({"Accept": "application/fhir+json"}))  # fmt: skip
    assert response.status_code in (400, 406, 415), response.content
    assert response.json()["resourceType"] == "OperationOutcome"
    assert "root:" not in response.content.decode()
    assert seen["connections"] == 0
