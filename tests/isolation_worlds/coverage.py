"""Organization A's insurance records for the tenant-isolation matrix."""

import datetime as dt

from carecoord.coverage.models import (
    Appeal,
    AppealDocument,
    ApplicationDocument,
    Coverage,
    EligibilityCheck,
    FundingApplication,
    Payer,
    PriorAuthorization,
    PriorAuthVisit,
)

NAMESPACE = "coverage"


def build(world) -> dict:
    a, patient = world["a"], world["patient"]
    org, user = a.organization, a.user
    payer = Payer.objects.create(organization=org, name="Alpha Mutual Secret", payer_id="ALPHA9")
    coverage = Coverage.objects.create(organization=org, patient=patient, payer=payer, product_type="commercial",
                                       plan_name="Alpha Platinum Plan", member_id="ALPHAMEMBER1", order=1)  # fmt: skip
    check = EligibilityCheck.objects.create(organization=org, patient=patient, coverage=coverage, method="x12",
                                            requested_at=dt.datetime(2026, 1, 8, 15, tzinfo=dt.UTC),
                                            requested_by=user, request_x12="ISA*ALPHAMEMBER1~",
                                            trace_number="CC000000001", control_number=1)  # fmt: skip
    auth = PriorAuthorization.objects.create(organization=org, patient=patient, coverage=coverage,
                                             service="Alpha secret therapy", procedure_codes=["97110"],
                                             units_requested=10, units_approved=None, status="denied",
                                             start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 3, 1),
                                             denial_reason="Alpha denial", decided_on=dt.date(2026, 1, 5),
                                             created_by=user)  # fmt: skip
    visit = PriorAuthVisit.objects.create(organization=org, patient=patient, authorization=auth,
                                          service_date=dt.date(2026, 1, 2), recorded_by=user)  # fmt: skip
    appeal = Appeal.objects.create(organization=org, patient=patient, authorization=auth, level=1,
                                   filing_deadline=dt.date(2026, 3, 6), created_by=user)  # fmt: skip
    document = AppealDocument.objects.create(organization=org, patient=patient, appeal=appeal, title="Alpha letter",
                                             file_name="alpha.pdf", content_type="application/pdf", size=9,
                                             sha256="0" * 64, content=b"%PDF-1.4\n", uploaded_by=user)  # fmt: skip
    application = FundingApplication.objects.create(organization=org, patient=patient, program="msp",
                                                    program_name="Alpha QMB application", created_by=user)  # fmt: skip
    ApplicationDocument.objects.create(organization=org, patient=patient, application=application,
                                       name="Alpha pay stub")  # fmt: skip
    return {"patient": patient, "payer": payer, "coverage": coverage, "check": check, "auth": auth, "visit": visit,
            "appeal": appeal, "document": document, "application": application}  # fmt: skip


TARGETS = {
    "patient": "patient",
    "coverage": "coverage",
    "eligibility": "check",
    "priorauth": "auth",
    "visit": "visit",
    "appeal": "appeal",
    "document": "document",
    "application": "application",
    "payer": "payer",
}

SECRETS = ["Alpha Mutual Secret", "Alpha Platinum Plan", "ALPHAMEMBER1", "Alpha secret therapy", "Alpha denial",
           "Alpha letter", "Alpha QMB application", "Alpha pay stub"]  # fmt: skip

MODELS = [Payer, Coverage, EligibilityCheck, PriorAuthorization, PriorAuthVisit, Appeal, AppealDocument,
          FundingApplication, ApplicationDocument]  # fmt: skip
