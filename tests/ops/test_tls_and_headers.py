"""
T01/T02 over the wire: `carecoord serve` with production settings and a self-signed certificate made here
speaks TLS 1.2+ only, and every response class carries the security headers, cookie flags and generic
error bodies RELIABILITY.md asks for. The only departure from production is a test-only failing URL
(tests/ops/urls_forced_error.py) and the host name.
"""

import json
import re
import secrets
import socket
import ssl

import pytest
import requests
from django_otp.oath import totp

from .serverkit import Server, carecoord, child_env, free_port, make_certificate

HOST = "localhost"
PASSWORD = "a-long-tls-test-passphrase-2026"
LEAKS = ("Traceback", "SELECT", "SECRET_KEY", "settings", "core_user", 'File "')


@pytest.fixture(scope="module")
def https_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    certfile, keyfile = make_certificate(folder, HOST)
    env = child_env(
        CARECOORD_ENV="production",
        CARECOORD_SECRET_KEY=secrets.token_urlsafe(50),
        CARECOORD_ALLOWED_HOSTS=HOST,
        CARECOORD_VAR_DIR=str(folder),
        CARECOORD_STATIC_ROOT=str(folder / "static"),
        DATABASE_URL=f"sqlite:///{folder / 'tls.sqlite3'}",
        DJANGO_SETTINGS_MODULE="tests.ops.settings_forced_error",
    )
    carecoord("migrate", "--no-input", env=env)
    carecoord("collectstatic", "--no-input", "--verbosity", "0", env=env)
    slug = carecoord("createorg", "Tls Test Clinic", "--kind", "clinic", "--state", "IL",
                     "--timezone", "America/Chicago", "--slug", "tlsclinic", env=env).strip()  # fmt: skip
    carecoord("createuser", "admin@tls.example", "--org", slug, "--role", "org_admin", env=env, stdin=PASSWORD + "\n")
    client = json.loads(carecoord("api-client", "create", "--org", slug, "--scopes", "system/*.rs", "--json", env=env))
    port = free_port()
    server = Server(env, "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2",
                    "--certfile", str(certfile), "--keyfile", str(keyfile), log=folder / "serve.log")  # fmt: skip
    base = f"https://{HOST}:{port}"
    with server:
        server.wait_until(lambda: requests.get(f"{base}/healthz", verify=certfile, timeout=3).status_code == 200)
        yield {"base": base, "port": port, "cert": str(certfile), "client": client}


def handshake(port: int, version: ssl.TLSVersion) -> str:
    """Tries one TLS handshake at exactly `version`; returns the negotiated version or raises ssl.SSLError."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("ALL:@SECLEVEL=0")  # let this client offer the old versions, so the server must refuse
    context.minimum_version = version
    context.maximum_version = version
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=HOST) as tls,
    ):
        return tls.version()


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_tls_1_0_and_1_1_handshakes_are_refused(https_server, version):
    with pytest.raises(ssl.SSLError) as refused:
        handshake(https_server["port"], version)
    # The server refused (an alert); the client did offer the version.
    assert "NO_PROTOCOLS_AVAILABLE" not in str(refused.value)


@pytest.mark.parametrize(
    ("version", "name"), [(ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")]
)
def test_tls_1_2_and_1_3_are_accepted(https_server, version, name):
    assert handshake(https_server["port"], version) == name


def test_plain_http_to_the_https_port_gets_no_page(https_server):
    with socket.create_connection(("127.0.0.1", https_server["port"]), timeout=10) as sock:
        sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        try:
            answer = sock.recv(4096)
        except ConnectionResetError:
            answer = b""
    assert b"database" not in answer


def assert_security_headers(response):
    headers = response.headers
    max_age = int(re.search(r"max-age=(\d+)", headers["Strict-Transport-Security"]).group(1))
    assert max_age >= 31536000
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"]


def assert_generic(response):
    for leak in LEAKS:
        assert leak not in response.text, leak


@pytest.fixture(scope="module")
def admin_session(https_server) -> requests.Session:
    """An org admin's session over HTTPS, through the real sign-in form and two-factor enrolment."""
    base = https_server["base"]
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override `verify`
    session.verify = https_server["cert"]
    page = session.get(f"{base}/account/login/")
    csrf = session.cookies["__Host-csrftoken"]
    response = session.post(
        f"{base}/account/login/",
        data={"email": "admin@tls.example", "password": PASSWORD, "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{base}/account/login/"},
        allow_redirects=False,
    )
    assert response.status_code == 302, page.text[:300]
    session.login_response = response
    setup = session.get(f"{base}/account/two-factor/")
    secret = re.search(r'data-testid="otp-secret">([A-Z2-7=]+)<', setup.text).group(1)
    import base64

    token = f"{totp(base64.b32decode(secret)):06d}"
    done = session.post(
        f"{base}/account/two-factor/",
        data={"token": token, "csrfmiddlewaretoken": session.cookies["__Host-csrftoken"]},
        headers={"Referer": f"{base}/account/two-factor/"},
        allow_redirects=False,
    )
    assert done.status_code == 302, done.text[:500]
    return session


def test_cookies_are_secure_httponly_and_samesite(admin_session):
    session = admin_session
    cookies = {c.name: c for c in session.cookies}
    csrf, sid = cookies["__Host-csrftoken"], cookies["__Host-sessionid"]
    assert csrf.secure
    assert sid.secure
    assert sid.has_nonstandard_attr("HttpOnly")
    raw = session.login_response.headers["Set-Cookie"]
    assert re.search(r"__Host-sessionid=[^;]+;.*HttpOnly", raw)
    assert "SameSite=Lax" in raw


def test_every_response_class_carries_the_headers_and_phi_is_never_cached(https_server, admin_session):
    base = https_server["base"]
    session = admin_session
    html = session.get(f"{base}/")
    api = session.get(f"{base}/api/v1/worklist")
    download = session.get(f"{base}/audit/export.csv")
    assert html.status_code == 200
    assert "text/html" in html.headers["Content-Type"]
    assert api.status_code < 500
    assert api.headers["Content-Type"].startswith("application/json")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    for response in (html, api, download):
        assert_security_headers(response)
        assert "no-store" in response.headers["Cache-Control"], response.url
    not_found = session.get(f"{base}/patients/00000000-0000-0000-0000-000000000000/")
    assert not_found.status_code == 404
    assert_security_headers(not_found)


def test_fhir_answers_to_a_bearer_token_are_never_cached(https_server):
    base = https_server["base"]
    token = requests.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials", **https_server["client"]},
        verify=https_server["cert"],
        timeout=30,
    ).json()["access_token"]
    fhir = requests.get(
        f"{base}/fhir/R4/Patient", headers={"Authorization": f"Bearer {token}"}, verify=https_server["cert"], timeout=30
    )
    assert fhir.status_code == 200
    assert fhir.json()["resourceType"] == "Bundle"
    assert_security_headers(fhir)
    assert "no-store" in fhir.headers.get("Cache-Control", "")


def test_unknown_host_trace_and_forced_500_answer_generically(https_server):
    base, cert = https_server["base"], https_server["cert"]
    bad_host = requests.get(f"{base}/healthz", headers={"Host": "evil.example"}, verify=cert, timeout=30)
    assert bad_host.status_code == 400
    trace = requests.request("TRACE", f"{base}/account/login/", verify=cert, timeout=30)
    assert trace.status_code == 405
    boom = requests.get(f"{base}/__test__/boom", verify=cert, timeout=30)
    assert boom.status_code == 500
    assert_security_headers(boom)
    for response in (bad_host, trace, boom):
        assert_generic(response)


def test_no_documentation_or_admin_ui_without_sign_in(https_server):
    base, cert = https_server["base"], https_server["cert"]
    for path in ("/api/v1/docs", "/api/v1/openapi.json", "/admin/", "/fhir/R4/Patient"):
        response = requests.get(f"{base}{path}", verify=cert, allow_redirects=False, timeout=30)
        assert response.status_code in (302, 401, 403, 404), path
        assert "openapi" not in response.text.lower() or response.status_code == 302, path
