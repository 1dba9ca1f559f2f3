"""
T15: the role x endpoint matrix. POLICY below is the policy table, one row per URL name (every URL of the
application: a new one fails `test_every_url_is_in_the_policy_table` until it gets a row), each naming the
roles allowed to open it. Every cell is asserted with a user holding only that role in organization A, on A's
own records: allowed -> 2xx/3xx, denied -> 403/404. Roles: core.choices.Role. There is no patient or family
portal yet, so no portal column.

Restricted fields: the insurance member ID is shown only to MEMBER_ID_ROLES (coverage.selectors); SSNs are
never stored (interop/hl7v2/matching.py drops them).
"""

import pytest
from django.urls import get_resolver, reverse

from carecoord.core.choices import Role
from carecoord.coverage.selectors import MEMBER_ID_ROLES

from ..test_tenant_isolation import kwargs_for, walk

C, P, SU, SC, A, AU = Role.COORDINATOR, Role.PROVIDER, Role.SUPERVISOR, Role.SCHEDULER, Role.ORG_ADMIN, Role.AUDITOR
ALL = frozenset(Role.values)

# Who may open what (GET). The rules, then the table.
SIGNED_IN = ALL  # the home page, the account's own security and two-factor pages
CHART = frozenset({C, P, SU, SC, A})  # patient records (core.choices.CLINICAL_ROLES); an auditor reads the log
DOCUMENTATION = frozenset({C, P, SU, A})  # progress notes and screenings: not the scheduler (minimum necessary)
WRITERS = DOCUMENTATION  # shared clinical content (the education library)
# Edit and create forms of patient records open only for roles that may save them (core.http.editor_actor;
# core.choices.PATIENT_WRITE_ROLES): not the scheduler. The POST half is test_roles_posts.py.
EDIT_FORM = frozenset({C, P, SU, A})
# Registration data (core.choices.PATIENT_REGISTRATION_ROLES): registering a patient and editing demographics,
# which the front desk does too.
REGISTRATION = frozenset({C, P, SU, SC, A})
DIRECTORY = ALL  # the organization's practitioners, partner organizations and sites: no PHI
DIRECTORY_EDIT = frozenset({C, SU, SC, A})
REPORTS = frozenset({C, SU, A})  # core.choices.REPORT_ROLES
TEAM = frozenset({SU, A})  # the team's worklist
TEMPLATE_EDIT = frozenset({P, SU, A})  # clinical care-plan templates
SCHEDULE_SETUP = frozenset({SC, A})  # scheduling.availability_selectors.SETUP_ROLES
EXPORTS = frozenset({C, A})  # right-of-access exports: the export's requester's roles
ADMIN = frozenset({A})
AUDIT = frozenset({A, AU})
BREAK_GLASS = frozenset()  # only members an admin made eligible (T20, another test file)
MEMBER_ID = frozenset({C, SU, SC, A})  # the X12 270 file carries the insurance member ID (restricted field)
OTHER_RECORD = frozenset()  # the URL takes a record of another kind than the matrix world has (404 for all)

POLICY = {
    "healthz": SIGNED_IN,
    "core:home": SIGNED_IN,
    "core:verify_otp": SIGNED_IN,
    "core:setup_otp": SIGNED_IN,
    "core:account_security": SIGNED_IN,
    "core:break_glass": BREAK_GLASS,
    "core:break_glass_reviews": AUDIT,
    "core:organization_settings": ADMIN,
    "core:audit_log": AUDIT,
    "core:audit_export": AUDIT,
    "directory:practitioner_list": DIRECTORY,
    "directory:practitioner_create": DIRECTORY_EDIT,
    "directory:practitioner_detail": DIRECTORY,
    "directory:practitioner_edit": DIRECTORY_EDIT,
    "directory:organization_list": DIRECTORY,
    "directory:organization_create": DIRECTORY_EDIT,
    "directory:organization_detail": DIRECTORY,
    "directory:organization_edit": DIRECTORY_EDIT,
    "directory:location_list": DIRECTORY,
    "directory:location_create": DIRECTORY_EDIT,
    "directory:location_detail": DIRECTORY,
    "directory:location_edit": DIRECTORY_EDIT,
    "patients:list": CHART,
    "patients:register": REGISTRATION,
    "patients:chart": CHART,
    "patients:edit": REGISTRATION,
    "careplans:worklist": CHART,
    "careplans:team": TEAM,
    "careplans:task_detail": CHART,
    "careplans:task_reassign_form": CHART,
    "careplans:detail": CHART,
    "careplans:patient_careplans": CHART,
    "careplans:careplan_edit": EDIT_FORM,
    "careplans:careplan_pdf": CHART,
    "careplans:template_list": CHART,
    "careplans:template_detail": CHART,
    "careplans:template_edit": TEMPLATE_EDIT,
    "scheduling:find": CHART,
    "scheduling:worklist_appointments": CHART,
    "scheduling:patient_schedule": CHART,
    "scheduling:patient_book_confirm": CHART,  # the confirm step between a free time and "Book"
    "scheduling:appointment_detail": CHART,
    "scheduling:practitioner_calendar": CHART,
    "scheduling:location_calendar": CHART,
    "scheduling:patient_calendar": CHART,
    "scheduling:setup": CHART,
    "scheduling:type_list": CHART,
    "scheduling:type_edit": SCHEDULE_SETUP,
    "scheduling:practitioner_hours": CHART,
    "scheduling:hours_edit": SCHEDULE_SETUP,
    "scheduling:hours_import": SCHEDULE_SETUP,
    "scheduling:closed_list": CHART,
    "scheduling:reminder_policy": ADMIN,
    "scheduling:patient_plan_new": CHART,
    "scheduling:plan_detail": CHART,
    "scheduling:patient_series_new": CHART,
    "scheduling:series_detail": CHART,
    "scheduling:patient_outside_new": CHART,
    "scheduling:appointment_outside": OTHER_RECORD,
    "scheduling:waitlist": CHART,
    "scheduling:patient_waitlist_add": CHART,
    "scheduling:patient_feeds": CHART,
    "scheduling:practitioner_feeds": CHART,
    "scheduling:ics": OTHER_RECORD,
    "checkins:patient_checkins": CHART,
    "checkins:patient_note_new": OTHER_RECORD,
    "checkins:patient_assessment_new": OTHER_RECORD,
    "checkins:patient_timeline": CHART,
    "checkins:note_detail": DOCUMENTATION,
    "checkins:note_edit": DOCUMENTATION,
    "checkins:note_assessment_new": DOCUMENTATION,
    "checkins:assessment_detail": DOCUMENTATION,
    "checkins:policy_settings": ADMIN,
    "checkins:patient_progress": CHART,
    "checkins:therapy_list": CHART,
    "checkins:patient_therapy_create": EDIT_FORM,
    "checkins:therapy_edit": EDIT_FORM,
    "checkins:therapy_progress_report": CHART,
    "checkins:billing_report": REPORTS,
    "checkins:billing_report_csv": REPORTS,
    "transitions:dashboard": CHART,
    "transitions:episode_detail": CHART,
    "transitions:patient_stays": CHART,
    "hl7v2:review_list": CHART,
    "hl7v2:review_detail": CHART,
    "hl7v2:message_list": ADMIN,
    "hl7v2:message_detail": ADMIN,
    "messaging:outbox": CHART,
    "messaging:message_detail": CHART,
    "education:library": CHART,
    "education:material_new": WRITERS,
    "education:material_detail": CHART,
    "education:material_edit": WRITERS,
    "education:material_file": OTHER_RECORD,
    "education:material_handout": CHART,
    "education:patient_education": CHART,
    "education:delivery_pdf": CHART,
    "medications:patient_medications": CHART,
    "medications:patient_list_new": EDIT_FORM,
    "medications:patient_medication_history": CHART,
    "medications:list_detail": CHART,
    "medications:reconciliation_detail": CHART,
    "coverage:patient_insurance": CHART,
    "coverage:eligibility_detail": CHART,
    "coverage:eligibility_request": MEMBER_ID,
    "coverage:priorauth_detail": CHART,
    "coverage:priorauth_list": CHART,
    "coverage:document_download": CHART,
    "coverage:application_detail": CHART,
    "coverage:payer_list": CHART,
    "coverage:payer_edit": EDIT_FORM,
    "community:patient_social_needs": CHART,
    "community:patient_screening_new": EDIT_FORM,
    "community:patient_benefits": CHART,
    "community:patient_resources": CHART,
    "community:patient_referral_new": OTHER_RECORD,
    "community:screening_detail": CHART,
    "community:referral_detail": CHART,
    "community:directory": CHART,
    "community:agency_detail": CHART,
    "community:service_detail": CHART,
    "community:directory_import": EDIT_FORM,
    "community:incoming": CHART,
    "community:sent": CHART,
    "community:referral_incoming": OTHER_RECORD,
    "community:thresholds": CHART,
    "records:export_create": EXPORTS,  # the export's confirmation page; its POST queues the export
    "records:export_detail": EXPORTS,
    "records:amendment_list": DOCUMENTATION,
    "records:export_download": OTHER_RECORD,
    "records:disclosure_list": AUDIT,
    "records:deleted_list": ADMIN,    # JSON API reads (test_matrix_api covers other organizations; here the roles of A)
    "api:get_worklist": CHART,
    "api:get_task": CHART,
    "api:search_patients": CHART,
    "api:get_patient": CHART,
    "api:list_slots": CHART,
    "api:list_appointments": CHART,
    "api:get_appointment": CHART,
    "api:list_prior_auths": CHART,
    "api:list_patient_coverages": CHART,
    "api:list_related_persons": CHART,
    "api:openapi-json": SIGNED_IN,
}  # fmt: skip

# URLs that answer only POST (a GET is 405 for everyone); their writes are refused for roles without the
# service's require_role/require_patient_editor (tested in the apps' own tests and in test_overrides_*).
POST_ONLY = {
    "patients:restrict",
    "records:amendment_decide",
    "core:switch_organization",
    "core:member_update",
    "core:member_add",
    "directory:practitioner_deactivate",
    "directory:practitioner_reactivate",
    "patients:family_add",
    "patients:family_remove",
    "patients:care_team_add",
    "patients:care_team_end",
    "patients:condition_add",
    "patients:condition_status",
    "patients:identifier_add",
    "patients:share_add",
    "patients:share_revoke",
    "careplans:bulk_reassign",
    "careplans:task_complete",
    "careplans:task_snooze",
    "careplans:task_reassign",
    "careplans:patient_careplan_create",
    "careplans:patient_template_apply",
    "careplans:careplan_approve",
    "careplans:careplan_status",
    "careplans:careplan_goal_add",
    "careplans:careplan_goal_status",
    "careplans:careplan_task_add",
    "careplans:template_create",
    "careplans:template_copy",
    "careplans:template_active",
    "careplans:template_goal_add",
    "careplans:template_goal_edit",
    "careplans:template_goal_remove",
    "careplans:template_task_add",
    "careplans:template_task_edit",
    "careplans:template_task_remove",
    "scheduling:patient_book",
    "scheduling:patient_preferences",
    "scheduling:appointment_reschedule",
    "scheduling:appointment_cancel",
    "scheduling:appointment_status",
    "scheduling:type_new",
    "scheduling:type_deactivate",
    "scheduling:type_reactivate",
    "scheduling:practitioner_hours_add",
    "scheduling:practitioner_away_add",
    "scheduling:hours_delete",
    "scheduling:away_delete",
    "scheduling:closed_new",
    "scheduling:closed_delete",
    "scheduling:holiday_open",
    "scheduling:holiday_close",
    "scheduling:plan_propose",
    "scheduling:plan_book",
    "scheduling:series_cancel_rest",
    "scheduling:series_change_rest",
    "scheduling:appointment_confirm",
    "scheduling:appointment_outcome",
    "scheduling:appointment_summary",
    "scheduling:waitlist_accept",
    "scheduling:waitlist_decline",
    "scheduling:waitlist_remove",
    "scheduling:feed_revoke",
    "checkins:patient_cadence_set",
    "checkins:patient_outreach_add",
    "checkins:cadence_stop",
    "checkins:note_sign",
    "checkins:note_discard",
    "checkins:note_addendum_add",
    "checkins:patient_measurement_add",
    "checkins:measurement_enter_in_error",
    "checkins:patient_time_start",
    "checkins:patient_time_add",
    "checkins:time_stop",
    "checkins:time_enter_in_error",
    "checkins:patient_enrollment_set",
    "checkins:enrollment_end",
    "checkins:therapy_recount",
    "transitions:episode_step",
    "transitions:episode_complexity",
    "transitions:episode_checklist",
    "hl7v2:review_match",
    "hl7v2:review_create",
    "hl7v2:review_dismiss",
    "education:material_copy",
    "education:material_archive",
    "education:patient_delivery_add",
    "education:delivery_teach_back",
    "medications:patient_reconciliation_start",
    "medications:list_enter_in_error",
    "medications:line_enter_in_error",
    "medications:reconciliation_decide",
    "medications:reconciliation_sign",
    "medications:reconciliation_discard",
    "coverage:patient_coverage_add",
    "coverage:patient_priorauth_add",
    "coverage:patient_application_add",
    "coverage:coverage_end",
    "coverage:coverage_order",
    "coverage:coverage_eligibility_start",
    "coverage:coverage_eligibility_record",
    "coverage:eligibility_upload",
    "coverage:priorauth_status",
    "coverage:priorauth_decision_edit",
    "coverage:priorauth_decision_correct",
    "coverage:priorauth_follow_up",
    "coverage:priorauth_visit_add",
    "coverage:priorauth_appeal_add",
    "coverage:visit_void",
    "coverage:appeal_status",
    "coverage:appeal_document_add",
    "coverage:application_document_mark",
    "community:referral_status",
    "community:referral_note_add",
    "community:agency_new",
    "community:agency_set_active",
    "community:agency_service_add",
    "community:service_status",
    "community:service_location_add",
    "community:referral_answer",
    "community:threshold_delete",
    "records:patient_delete",
    "records:patient_restore",
    "records:hold_place",
    "records:hold_release",}  # fmt: skip
# URLs outside this matrix: FHIR (system clients, no roles; test_matrix_fhir), the sign-in steps, and API
# writes and collection operations that test_matrix_api and test_overrides_api cover.
ELSEWHERE_PREFIXES = ("fhir:",)
ELSEWHERE = {"core:login", "core:logout", "core:switch_organization", "api:api-root", "api:create_careplan",
             "api:book_appointment", "api:complete_task", "api:snooze_task", "api:reassign_task",
             "api:reschedule_appointment", "api:cancel_appointment", "api:set_appointment_status",
             "api:register_patient", "api:update_patient", "api:add_patient_coverage", "api:end_coverage",
             "api:add_related_person", "api:update_related_person", "api:edit_prior_auth_decision",
             "api:correct_prior_auth_decision", "api:log_prior_auth_follow_up"}  # fmt: skip

API_PATHS = {
    "api:get_worklist": "/api/v1/worklist", "api:search_patients": "/api/v1/patients",
    "api:list_slots": "/api/v1/scheduling/slots?type={appointment_type}",
    "api:list_appointments": "/api/v1/scheduling/appointments",
    "api:openapi-json": "/api/v1/openapi.json", "api:list_prior_auths": "/api/v1/coverage/prior-auths",
}  # fmt: skip


# Cells where the application is known to differ from the policy, each with its fix named in a comment; an
# entry must still differ (so it goes when the fix lands). None today.
KNOWN_GAPS: set[tuple[str, str]] = set()


def all_url_names() -> list[tuple[str, list[str]]]:
    return [(name, list(conv)) for name, _route, conv in walk(get_resolver().url_patterns)]


def test_every_url_is_in_the_policy_table():
    missing = [name for name, _ in all_url_names() if name not in POLICY and name not in POST_ONLY
               and name not in ELSEWHERE and not name.startswith(ELSEWHERE_PREFIXES)]  # fmt: skip
    assert not missing, f"URLs without a row in the role policy table: {missing}"
    stale = [name for name in [*POLICY, *POST_ONLY] if name not in {n for n, _ in all_url_names()}]
    assert not stale, f"rows for URLs that no longer exist: {stale}"


def url_of(name: str, params: list[str], world) -> str:
    if name in API_PATHS:
        return API_PATHS[name].format(appointment_type=world["appointment_type"].public_id)
    if name == "api:get_task":
        return f"/api/v1/tasks/{world['task'].public_id}"
    if name == "api:get_patient":
        return f"/api/v1/patients/{world['patient'].public_id}"
    if name == "api:list_patient_coverages":
        return f"/api/v1/patients/{world['patient'].public_id}/coverages"
    if name == "api:list_related_persons":
        return f"/api/v1/patients/{world['patient'].public_id}/related-persons"
    if name == "api:get_appointment":
        return f"/api/v1/scheduling/appointments/{world['appointment'].public_id}"
    return reverse(name, kwargs=kwargs_for(name, params, world)) if params else reverse(name)


def test_every_cell_of_the_role_matrix(world, role_clients, denied):
    params = dict(all_url_names())
    wrong = []
    for name, allowed in POLICY.items():
        url = url_of(name, params[name], world)
        for role, client in role_clients.items():
            response = client.get(url)
            denied.add(f"{role} GET {url}", response)
            ok = 200 <= response.status_code < 400
            refused = response.status_code in (403, 404)
            differs = (role in allowed and not ok) or (role not in allowed and not refused)
            if (name, role) in KNOWN_GAPS:
                assert differs, f"{name} as {role} now follows the policy: remove it from KNOWN_GAPS"
            elif differs:
                wrong.append(
                    f"{name} as {role}: {response.status_code} (policy: {'allowed' if role in allowed else 'denied'})"
                )
    assert not wrong, "cells that differ from the policy table:\n" + "\n".join(wrong)


def test_post_only_urls_refuse_get(world, role_clients):
    params = dict(all_url_names())
    client = role_clients[Role.ORG_ADMIN]
    for name in POST_ONLY:
        assert client.get(url_of(name, params[name], world)).status_code == 405, name


# Restricted fields -------------------------------------------------------------------------------------------

MEMBER_ID = "ALPHAMEMBER1"


def test_member_id_policy():
    assert frozenset({C, SC, SU, A}) == MEMBER_ID_ROLES


@pytest.mark.parametrize("role", Role.values)
def test_insurance_member_id_is_shown_only_to_roles_that_need_it(world, role_clients, role):
    client = role_clients[role]
    pages = [
        reverse("coverage:patient_insurance", args=[world["patient"].public_id]),
        reverse("coverage:eligibility_detail", args=[world["coverage:check"].public_id]),
    ]
    for url in pages:
        response = client.get(url)
        body = response.content.decode()
        if role == AU:
            assert response.status_code == 404, url
        else:
            assert response.status_code == 200, url
        assert (MEMBER_ID in body) == (role in MEMBER_ID_ROLES), f"{role} on {url}"
    world["coverage:check"].__class__.objects.filter(pk=world["coverage:check"].pk).update(
        request_x12=f"ISA*00*NM1*IL*1*QUIXOTIC*ZEBULON****MI*{MEMBER_ID}~"
    )
    x12 = client.get(reverse("coverage:eligibility_request", args=[world["coverage:check"].public_id]))
    assert (x12.status_code == 200) == (role in MEMBER_ID_ROLES), f"{role} downloading the 270"
    if x12.status_code != 200:
        assert MEMBER_ID not in x12.content.decode()


@pytest.mark.parametrize("role", Role.values)
def test_progress_notes_are_read_only_by_documentation_roles(world, role_clients, role):
    client = role_clients[role]
    note = client.get(reverse("checkins:note_detail", args=[world["note"].public_id]))
    assessment = client.get(reverse("checkins:assessment_detail", args=[world["assessment"].public_id]))
    assert (note.status_code == 200) == (role in DOCUMENTATION)
    assert (assessment.status_code == 200) == (role in DOCUMENTATION)
    for tab in ("checkins:patient_checkins", "checkins:patient_timeline"):
        page = client.get(reverse(tab, args=[world["patient"].public_id]))
        if role in CHART:
            assert page.status_code == 200
            assert ("Alpha body" in page.content.decode() or "Alpha note" in page.content.decode()) == (
                role in DOCUMENTATION
            ), f"{tab} as {role}"
        else:
            assert page.status_code == 404
