"""Organization A's medication records for the tenant-isolation matrix: lists, a line, a signed reconciliation."""

import datetime as dt

from carecoord.medications.models import MedicationList, MedicationStatement, Reconciliation, ReconciliationDecision

NAMESPACE = "medications"
TARGETS = {"patient": "patient", "list": "list", "line": "line", "reconciliation": "reconciliation"}
SECRETS = ["Alpha discharge summary", "Zyloprimex 300 mg", "Alpha adherence secret", "Alpha reconciled note"]
MODELS = [MedicationList, MedicationStatement, Reconciliation]


def build(world) -> dict:
    a, patient = world["a"], world["patient"]
    org, user = a.organization, a.user
    source = MedicationList.objects.create(organization=org, patient=patient, kind="source", source="discharge",
                                           source_name="Alpha discharge summary", list_date=dt.date(2026, 1, 5),
                                           recorded_by=user)  # fmt: skip
    other = MedicationList.objects.create(organization=org, patient=patient, kind="source", source="mar",
                                          list_date=dt.date(2026, 1, 5), recorded_by=user)  # fmt: skip
    line = MedicationStatement.objects.create(organization=org, patient=patient, medication_list=source,
                                              display="Zyloprimex 300 mg", rxnorm_code="519", ingredient_code="519",
                                              dose="300 mg", prescriber=world["practitioner"],
                                              adherence_note="Alpha adherence secret")  # fmt: skip
    MedicationStatement.objects.create(organization=org, patient=patient, medication_list=other,
                                       display="Zyloprimex 300 mg", dose="300 mg")  # fmt: skip
    draft = Reconciliation.objects.create(organization=org, patient=patient, base_list=source, started_by=user)
    draft.compared_lists.set([source, other])
    ReconciliationDecision.objects.create(reconciliation=draft, row_key="in:519#0", action="continue",
                                          chosen_line=line, note="Alpha reconciled note")  # fmt: skip
    return {"patient": patient, "list": source, "line": line, "reconciliation": draft}
