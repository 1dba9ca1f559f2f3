"""
T07 (RELIABILITY.md): uploads are judged by content and size in one place (core/uploads.py), stored under a
server-generated key with the uploader's name only as sanitized metadata, and served back as attachments with
the true type and nosniff; another organization gets 404 and an anonymous caller is sent to sign in.
"""

import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from carecoord.core import uploads
from carecoord.core.choices import Role
from carecoord.coverage.forms import DocumentForm, ResponseUploadForm
from carecoord.coverage.models import AppealDocument, PriorAuthorization
from carecoord.education.models import Material
from carecoord.scheduling.availability_forms import HoursImportForm

from ..conftest import signed_in_client
from ..coverage.factories import make_coverage
from ..factories import PatientFactory, make_actor

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
HTML = b"<!doctype html><html><script>alert(1)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
TEN_MB = 10 * 1024 * 1024


# The shared module --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "kind"),
    [(PDF, uploads.PDF), (b"\n %PDF-1.7", uploads.PDF), (PNG, uploads.PNG), (b"\xff\xd8\xff\xe0", uploads.JPEG),
     (HTML, None), (SVG, None), (b"PK\x03\x04", None), (b"", None), (b"GIF89a", None)],
)  # fmt: skip
def test_sniffing_reads_the_first_bytes(head, kind):
    assert uploads.sniff(head) == kind


def test_check_content_refuses_empty_oversize_and_wrong_type_with_distinct_statuses():
    kinds = [uploads.PDF]
    with pytest.raises(uploads.ValidationError, match="empty") as empty:
        uploads.check_content(b"", kinds=kinds, max_bytes=100)
    assert empty.value.http_status == 400
    with pytest.raises(uploads.UploadTooLarge) as big:
        uploads.check_content(PDF + b"x" * 100, kinds=kinds, max_bytes=100)
    assert big.value.http_status == 413
    with pytest.raises(uploads.UnsupportedUpload) as wrong:
        uploads.check_content(HTML, kinds=kinds, max_bytes=1000)
    assert (wrong.value.http_status, wrong.value.field) == (415, "file")
    assert uploads.check_content(PDF, kinds=kinds, max_bytes=len(PDF)) == uploads.PDF  # the limit itself is fine


@pytest.mark.parametrize(
    ("name", "safe"),
    [("../../x", "x"), ("..\\..\\x", "x"), ("/etc/passwd", "passwd"), ("x.pdf.html", "x.pdf.html"),
     (".htaccess", "htaccess"), ("a\r\nContent-Type: text/html.pdf", "html.pdf"),
     ("bad\x00name.pdf", "badname.pdf"), ("evil\u202egnp.pdf", "evilgnp.pdf"), ("", "document"), ("..", "document"),
     ('qu"ote.pdf', "qu'ote.pdf")],
)  # fmt: skip
def test_safe_filename_keeps_no_path_control_or_bidi_characters(name, safe):
    assert uploads.safe_filename(name) == safe


def test_content_disposition_is_an_attachment_with_an_ascii_fallback():
    assert uploads.content_disposition("report.csv") == 'attachment; filename="report.csv"'
    header = uploads.content_disposition("../Überweisung\r\n.pdf")
    assert header == "attachment; filename=\"_berweisung.pdf\"; filename*=UTF-8''%C3%9Cberweisung.pdf"
    assert "\r" not in header
    assert "\n" not in header


def test_storage_names_are_generated():
    name = uploads.storage_name("education", uploads.PDF)
    assert re.fullmatch(r"education/[0-9a-f]{32}\.pdf", name)
    assert name != uploads.storage_name("education", uploads.PDF)


@pytest.mark.parametrize(
    ("form", "content", "message"),
    [(HoursImportForm, b"x" * 1_000_001, "larger than"), (HoursImportForm, b"a,b\x00c", "NUL"),
     (HoursImportForm, b"\xff\xfe\x00", "not UTF-8"), (ResponseUploadForm, "ISA*café".encode(), "not ASCII"),
     (ResponseUploadForm, b"ISA" * 400_000, "larger than"), (DocumentForm, SVG, "not a PDF, PNG or JPEG"),
     (DocumentForm, b"", "empty")],
)  # fmt: skip
def test_text_and_binary_form_fields_refuse_bad_files(form, content, message):
    bound = form(data={}, files={"file": SimpleUploadedFile("f.csv", content, content_type="text/csv")})
    assert not bound.is_valid()
    assert message in str(bound.errors["file"])


# Appeal documents (kept in the database) ----------------------------------------------------------------------


@pytest.fixture
def appeal(actor):
    patient = PatientFactory(organization=actor.organization, given_name="Wilhelmina", family_name="Szczepanik")
    client = signed_in_client(actor)
    coverage = make_coverage(actor, patient)
    data = {"auth-coverage": str(coverage.public_id), "auth-service": "Home health", "auth-procedure_codes": "G0151",
            "auth-diagnosis_codes": "I50.22", "auth-units_requested": "6", "auth-start_date": "2026-03-01",
            "auth-end_date": "2026-04-30"}  # fmt: skip
    assert client.post(reverse("coverage:patient_priorauth_add", args=[patient.public_id]), data).status_code == 302
    auth = PriorAuthorization.objects.get(patient=patient)
    status_url = reverse("coverage:priorauth_status", args=[auth.public_id])
    assert client.post(status_url, {"status": "submitted", "on": "2026-02-20", "version": 1}).status_code == 302
    client.post(status_url, {"status": "denied", "on": "2026-02-27", "version": 2, "denial_reason": "Not homebound"})
    client.post(reverse("coverage:priorauth_appeal_add", args=[auth.public_id]))
    return auth.appeals.get()


def _attach(client, appeal, name, content, content_type="application/pdf"):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    url = reverse("coverage:appeal_document_add", args=[appeal.public_id])
    return client.post(url, {"title": "", "file": upload})


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message"),
    [("x.pdf.html", HTML, "application/pdf", "not a PDF, PNG or JPEG"),
     ("x.php", b"<?php system($_GET['c']); ?>", "application/x-php", "not a PDF, PNG or JPEG"),
     ("x.svg", SVG, "image/svg+xml", "not a PDF, PNG or JPEG"), ("empty.pdf", b"", "application/pdf", "empty"),
     ("big.pdf", PDF + b"0" * (TEN_MB + 1 - len(PDF)), "application/pdf", "larger than 10 MB"),
     ("x.zip", b"PK\x03\x04" + b"\x00" * 30, "application/zip", "not a PDF, PNG or JPEG")],
)  # fmt: skip
def test_bad_appeal_documents_are_refused_with_a_message(actor, appeal, name, content, content_type, message):
    response = _attach(signed_in_client(actor), appeal, name, content, content_type)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AppealDocument.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "stored_name", "true_type"),
    [("../../x.pdf", PDF, "x.pdf", "application/pdf"), ("..\\..\\evil", PDF, "evil", "application/pdf"),
     ("scan.pdf", PNG, "scan.pdf", "image/png")],
)  # fmt: skip
def test_documents_keep_a_sanitized_name_and_download_as_their_true_type(
    actor, appeal, other_actor, name, content, stored_name, true_type
):
    client = signed_in_client(actor)
    assert _attach(client, appeal, name, content).status_code == 302
    document = AppealDocument.objects.get()
    assert (document.file_name, document.content_type) == (stored_name, true_type)
    url = reverse("coverage:document_download", args=[document.public_id])
    download = client.get(url)
    assert download.status_code == 200
    assert download.content == content
    assert download["Content-Type"] == true_type
    assert download["Content-Disposition"] == f'attachment; filename="{stored_name}"'
    assert download["X-Content-Type-Options"] == "nosniff"
    refused = signed_in_client(other_actor).get(url)
    assert refused.status_code == 404
    assert content not in refused.content
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse(settings.LOGIN_URL))


# Education PDFs (kept in files under the var directory) ---------------------------------------------------------


def _material(client, name, content, content_type="application/pdf"):
    data = {"topic": "foot-care", "language": "en", "title": "Caring for your feet", "summary": "", "body": "",
            "audience": "patient", "icd10_prefixes": "", "snomed_codes": "", "rxnorm_codes": "", "review_on": "",
            "pdf": SimpleUploadedFile(name, content, content_type=content_type)}  # fmt: skip
    return client.post(reverse("education:material_new"), data)


@pytest.mark.parametrize(
    ("name", "content"),
    [("x.pdf.html", HTML), ("x.svg", SVG), ("empty.pdf", b""), ("big.pdf", PDF + b"0" * (TEN_MB + 1 - len(PDF)))],
)
def test_education_uploads_refuse_what_is_not_a_pdf_within_10_mb(org, name, content):
    editor = make_actor(org, Role.COORDINATOR, Role.ORG_ADMIN, Role.PROVIDER)
    response = _material(signed_in_client(editor), name, content)
    assert response.status_code == 400
    assert not Material.objects.filter(organization=org).exists()


def test_an_education_pdf_is_stored_under_a_generated_name_and_served_as_an_attachment(org, other_actor):
    editor = make_actor(org, Role.COORDINATOR, Role.ORG_ADMIN, Role.PROVIDER)
    client = signed_in_client(editor)
    response = _material(client, "../../../etc/cron.d/x.pdf", PDF)
    assert response.status_code == 302, response.content.decode()[:2000]
    material = Material.objects.get(organization=org)
    assert re.fullmatch(r"education/[0-9a-f]{32}\.pdf", material.pdf.name)
    stored = (settings.VAR_DIR / "media" / material.pdf.name).resolve()
    assert stored.is_relative_to((settings.VAR_DIR / "media").resolve())
    assert stored.read_bytes() == PDF
    url = reverse("education:material_file", args=[material.public_id])
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert signed_in_client(other_actor).get(url).status_code == 404
    assert Client().get(url).status_code == 302
