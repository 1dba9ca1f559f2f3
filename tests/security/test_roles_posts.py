"""
T15, the write half of the role x endpoint matrix (test_roles_matrix.py holds the GET half and the roles).
POST_POLICY below has one row per URL that takes POST (every POST-only URL, and every page of POLICY that also
saves a form), naming the roles allowed to write it. Every cell is a POST by a user holding only that role in
organization A, on A's own records, with an empty body (or the minimal body of BODIES):
- a role not in the row answers 403 or 404 and leaves every table of the snapshot unchanged (tests/security/
  conftest.snapshot_all: only audit rows, sessions and the like may change);
- a role in the row gets past the role check: anything but 403/404/405 (a 400 for the empty body, a 200 form
  page or a 302 are all fine); its writes are rolled back before the next cell.
A URL that starts answering POST without a row makes `test_every_post_url_has_a_row` fail.

The rows come from the services' checks (core.access.require_patient_editor, require_role, the apps'
SETUP_ROLES, MANAGER_ROLES...), which the views repeat before reading the form (core.http.editor_actor), so a
role that may not save a form also cannot open it (the GET table of test_roles_matrix.py).
"""

import pytest
from django.db import transaction

from carecoord.core.choices import Role

from .conftest import assert_same, snapshot_all
from .test_roles_matrix import ALL, CHART, POLICY, POST_ONLY, all_url_names, url_of

C, P, SU, SC, A, AU = Role.COORDINATOR, Role.PROVIDER, Role.SUPERVISOR, Role.SCHEDULER, Role.ORG_ADMIN, Role.AUDITOR

# Who may write what. The rules, then the table.
OWN_ACCOUNT = ALL  # a user's own two-factor and security settings, and switching organization
EDIT = frozenset({C, P, SU, A})  # patient records (core.choices.PATIENT_WRITE_ROLES): not the scheduler
# Registration data (core.choices.PATIENT_REGISTRATION_ROLES): registering a patient, demographics and contact
# details, family members and caregivers (not their proxy or information-sharing flags: the services refuse those),
# insurance coverages (add, reorder, end) and eligibility checks; the front desk too. Not prior auths or appeals.
REGISTRATION = frozenset({C, P, SU, SC, A})
SCHEDULING = CHART  # booking, waitlists, feeds (scheduling.services: every role that works with patients)
TASKS = CHART  # working one's tasks (careplans.services._require_task_worker)
SETUP = frozenset({SC, A})  # appointment types, hours, closures (scheduling.availability_selectors.SETUP_ROLES)
TEMPLATES = frozenset({P, SU, A})  # care-plan templates (careplans.template_services.MANAGER_ROLES)
APPROVE = frozenset({P})  # approving a care plan
TEAM = frozenset({SU, A})  # the team's worklist (bulk reassign), benefit thresholds, others' time entries
DIRECTORY_EDIT = frozenset({C, SU, SC, A})  # directory.access.DIRECTORY_EDIT_ROLES
EXPORTS = frozenset({C, A})  # right-of-access exports (records.services.export_request)
ADMIN = frozenset({A})
BREAK_GLASS = frozenset()  # only members an admin made eligible (T20, test_breakglass.py)
# The URL acts on a record of another kind or state than the matrix world has (an outside appointment, a
# running timer, a deleted patient, a break-glass access...): 404 for every role; the apps' tests cover them.
OTHER_RECORD = frozenset()

POST_POLICY = {
    "core:verify_otp": OWN_ACCOUNT,
    "core:setup_otp": OWN_ACCOUNT,
    "core:account_security": OWN_ACCOUNT,
    "core:switch_organization": OWN_ACCOUNT,
    "core:break_glass": BREAK_GLASS,
    "core:break_glass_reviews": OTHER_RECORD,
    "core:organization_settings": ADMIN,
    "core:member_update": ADMIN,
    "core:member_add": ADMIN,
    "directory:practitioner_create": DIRECTORY_EDIT,
    "directory:practitioner_edit": DIRECTORY_EDIT,
    "directory:practitioner_deactivate": DIRECTORY_EDIT,
    "directory:practitioner_reactivate": DIRECTORY_EDIT,
    "directory:organization_create": DIRECTORY_EDIT,
    "directory:organization_edit": DIRECTORY_EDIT,
    "directory:location_create": DIRECTORY_EDIT,
    "directory:location_edit": DIRECTORY_EDIT,
    "patients:register": REGISTRATION,
    "patients:edit": REGISTRATION,
    "patients:restrict": EDIT,
    "patients:family_add": REGISTRATION,
    "patients:family_remove": REGISTRATION,
    "patients:care_team_add": EDIT,
    "patients:care_team_end": EDIT,
    "patients:condition_add": EDIT,
    "patients:condition_status": EDIT,
    "patients:identifier_add": EDIT,
    "patients:share_add": EDIT,
    "patients:share_revoke": EDIT,
    "careplans:bulk_reassign": TEAM,
    "careplans:task_complete": TASKS,
    "careplans:task_snooze": TASKS,
    "careplans:task_reassign": TASKS,
    "careplans:patient_careplan_create": EDIT,
    "careplans:patient_template_apply": EDIT,
    "careplans:careplan_edit": EDIT,
    "careplans:careplan_approve": APPROVE,
    "careplans:careplan_status": EDIT,
    "careplans:careplan_goal_add": EDIT,
    "careplans:careplan_goal_status": EDIT,
    "careplans:careplan_task_add": EDIT,
    "careplans:template_create": TEMPLATES,
    "careplans:template_edit": TEMPLATES,
    "careplans:template_copy": TEMPLATES,
    "careplans:template_active": TEMPLATES,
    "careplans:template_goal_add": TEMPLATES,
    "careplans:template_goal_edit": TEMPLATES,
    "careplans:template_goal_remove": TEMPLATES,
    "careplans:template_task_add": TEMPLATES,
    "careplans:template_task_edit": TEMPLATES,
    "careplans:template_task_remove": TEMPLATES,
    "scheduling:patient_book": SCHEDULING,
    "scheduling:patient_preferences": SCHEDULING,
    "scheduling:appointment_reschedule": SCHEDULING,
    "scheduling:appointment_cancel": SCHEDULING,
    "scheduling:appointment_status": SCHEDULING,
    "scheduling:patient_plan_new": SCHEDULING,
    "scheduling:plan_propose": SCHEDULING,
    "scheduling:plan_book": SCHEDULING,
    "scheduling:patient_series_new": SCHEDULING,
    "scheduling:series_cancel_rest": SCHEDULING,
    "scheduling:series_change_rest": SCHEDULING,
    "scheduling:patient_outside_new": SCHEDULING,
    "scheduling:appointment_confirm": OTHER_RECORD,
    "scheduling:appointment_outcome": OTHER_RECORD,
    "scheduling:appointment_summary": OTHER_RECORD,
    "scheduling:patient_waitlist_add": SCHEDULING,
    "scheduling:waitlist_accept": SCHEDULING,
    "scheduling:waitlist_decline": SCHEDULING,
    "scheduling:waitlist_remove": SCHEDULING,
    "scheduling:patient_feeds": SCHEDULING,
    "scheduling:practitioner_feeds": SCHEDULING,
    "scheduling:feed_revoke": SCHEDULING,
    "scheduling:type_new": SETUP,
    "scheduling:type_edit": SETUP,
    "scheduling:type_deactivate": SETUP,
    "scheduling:type_reactivate": SETUP,
    "scheduling:hours_edit": SETUP,
    "scheduling:hours_import": SETUP,
    "scheduling:practitioner_hours_add": SETUP,
    "scheduling:practitioner_away_add": SETUP,
    "scheduling:hours_delete": SETUP,
    "scheduling:away_delete": SETUP,
    "scheduling:closed_new": SETUP,
    "scheduling:closed_delete": SETUP,
    "scheduling:holiday_open": SETUP,
    "scheduling:holiday_close": SETUP,
    "scheduling:reminder_policy": ADMIN,
    "checkins:patient_cadence_set": EDIT,
    "checkins:cadence_stop": EDIT,
    "checkins:patient_outreach_add": EDIT,
    "checkins:patient_note_new": OTHER_RECORD,
    "checkins:patient_assessment_new": OTHER_RECORD,
    "checkins:note_edit": EDIT,
    "checkins:note_sign": EDIT,
    "checkins:note_discard": EDIT,
    "checkins:note_addendum_add": EDIT,
    "checkins:note_assessment_new": EDIT,
    "checkins:patient_measurement_add": EDIT,
    "checkins:measurement_enter_in_error": EDIT,
    "checkins:patient_time_start": EDIT,
    "checkins:patient_time_add": EDIT,
    "checkins:time_stop": OTHER_RECORD,
    "checkins:time_enter_in_error": TEAM,  # the world's entry is another user's: only supervisors and admins
    "checkins:patient_enrollment_set": EDIT,
    "checkins:enrollment_end": EDIT,
    "checkins:patient_therapy_create": EDIT,
    "checkins:therapy_edit": EDIT,
    "checkins:therapy_recount": EDIT,
    "checkins:policy_settings": ADMIN,
    "transitions:episode_step": EDIT,
    "transitions:episode_complexity": EDIT,
    "transitions:episode_checklist": EDIT,
    "hl7v2:review_match": EDIT,
    "hl7v2:review_create": EDIT,
    "hl7v2:review_dismiss": EDIT,
    "education:material_new": EDIT,
    "education:material_edit": EDIT,
    "education:material_copy": EDIT,
    "education:material_archive": EDIT,
    "education:patient_delivery_add": EDIT,
    "education:delivery_teach_back": EDIT,
    "medications:patient_list_new": EDIT,
    "medications:patient_reconciliation_start": EDIT,
    "medications:list_enter_in_error": EDIT,
    "medications:line_enter_in_error": EDIT,
    "medications:reconciliation_decide": EDIT,
    "medications:reconciliation_sign": EDIT,
    "medications:reconciliation_discard": EDIT,
    "coverage:payer_list": EDIT,
    "coverage:payer_edit": EDIT,
    "coverage:patient_coverage_add": REGISTRATION,
    "coverage:coverage_end": REGISTRATION,
    "coverage:coverage_order": REGISTRATION,
    "coverage:coverage_eligibility_start": REGISTRATION,
    "coverage:coverage_eligibility_record": REGISTRATION,
    "coverage:eligibility_upload": REGISTRATION,
    "coverage:patient_priorauth_add": EDIT,
    "coverage:priorauth_status": EDIT,
    "coverage:priorauth_decision_edit": EDIT,
    "coverage:priorauth_decision_correct": EDIT,
    "coverage:priorauth_follow_up": EDIT,
    "coverage:priorauth_visit_add": EDIT,
    "coverage:visit_void": EDIT,
    "coverage:priorauth_appeal_add": EDIT,
    "coverage:appeal_status": EDIT,
    "coverage:appeal_document_add": EDIT,
    "coverage:patient_application_add": EDIT,
    "coverage:application_detail": EDIT,
    "coverage:application_document_mark": EDIT,
    "community:patient_screening_new": EDIT,
    "community:patient_referral_new": OTHER_RECORD,
    "community:referral_status": EDIT,
    "community:referral_note_add": EDIT,
    "community:referral_answer": OTHER_RECORD,
    "community:directory_import": EDIT,
    "community:agency_new": EDIT,
    "community:agency_detail": EDIT,
    "community:agency_set_active": EDIT,
    "community:agency_service_add": EDIT,
    "community:service_detail": EDIT,
    "community:service_status": EDIT,
    "community:service_location_add": EDIT,
    "community:thresholds": TEAM,
    "community:threshold_delete": TEAM,
    "records:export_create": EXPORTS,
    "records:amendment_list": EDIT,
    "records:amendment_decide": EDIT,
    "records:patient_delete": ADMIN,
    "records:patient_restore": OTHER_RECORD,
    "records:hold_place": ADMIN,
    "records:hold_release": ADMIN,
}  # fmt: skip

# Minimal bodies for URLs that answer an invalid body with 404 (as for a record the caller may not see). Every
# other write view checks the role before reading the body, so an empty body is enough.
BODIES: dict[str, dict] = {"medications:line_enter_in_error": {"version": 1}}

# Cells where the application is known to differ from the policy, each with its fix named in a comment; an
# entry must still differ (so it goes when the fix lands).
KNOWN_GAPS: set[tuple[str, str]] = set()


def test_every_post_url_has_a_row():
    """Every POST-only URL has a row; every other page of the GET table refuses POST (405) or has a row too."""
    missing = sorted(POST_ONLY - set(POST_POLICY))
    assert not missing, f"POST-only URLs without a row in POST_POLICY: {missing}"
    stale = sorted(name for name in POST_POLICY if name not in POLICY and name not in POST_ONLY)
    assert not stale, f"POST_POLICY rows for URLs in neither POLICY nor POST_ONLY: {stale}"


def test_pages_without_a_post_row_refuse_post(world, role_clients):
    """A page of the GET table that starts saving a form (POST not 405) must get a POST_POLICY row."""
    params = dict(all_url_names())
    takes_post = []
    for name, allowed in POLICY.items():
        if name in POST_POLICY or name.startswith("api:"):  # API writes: test_matrix_api, test_overrides_api
            continue
        url = url_of(name, params[name], world)
        for role in sorted(allowed) or [A]:
            with transaction.atomic():
                status = role_clients[role].post(url, {}).status_code
                transaction.set_rollback(True)
            if status != 405:
                takes_post.append(f"{name} as {role}: {status}")
    assert not takes_post, "pages that take POST without a row in POST_POLICY:\n" + "\n".join(takes_post)


def prepare(world) -> None:
    """Gives the world's visit plan the request a real plan always has, so proposing it runs the planner."""
    plan = world["plan"]
    plan.request = {
        "window": {"first_day": "2030-01-07", "last_day": "2030-01-31"},
        "availability": {"weekdays": [], "earliest_time": "", "latest_time": "", "needs_transport": False},
        "visits": [{"key": "v1", "label": "Visit", "appointment_type": str(world["appointment_type"].public_id)}],
        "orders": [],
    }
    plan.save(update_fields=["request"])


NAMESPACES = sorted({name.split(":")[0] for name in POST_POLICY})


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_post_cell_of_the_role_matrix(world, role_clients, denied, namespace):
    params = dict(all_url_names())
    organization = world["a"].organization
    prepare(world)
    baseline = snapshot_all(organization)
    wrong = []
    for name, allowed in POST_POLICY.items():
        if name.split(":")[0] != namespace:
            continue
        url = url_of(name, params[name], world)
        body = BODIES.get(name, {})
        refused_by = []
        for role, client in role_clients.items():
            if role in allowed:
                continue
            response = client.post(url, body)
            denied.add(f"{role} POST {url}", response)
            refused_by.append(role)
            differs = response.status_code not in (403, 404)
            if (name, role) in KNOWN_GAPS:
                assert differs, f"{name} as {role} now follows the policy: remove it from KNOWN_GAPS"
            elif differs:
                wrong.append(f"{name} as {role}: {response.status_code} (policy: denied)")
        after = snapshot_all(organization)
        if after != baseline:
            wrong.append(f"{name}: a refused POST (roles {sorted(refused_by)}) changed the data")
            try:
                assert_same(baseline, after)
            except AssertionError as exc:
                wrong.append(f"    {exc}")
            baseline = after
        for role in sorted(allowed):
            with transaction.atomic():  # the allowed write is undone, so every cell starts from the same world
                response = role_clients[role].post(url, body)
                transaction.set_rollback(True)
            role_clients[role].cookies.pop("messages", None)  # its flash message is not for the next cell's page
            differs = response.status_code in (403, 404, 405)
            if (name, role) in KNOWN_GAPS:
                assert differs, f"{name} as {role} now follows the policy: remove it from KNOWN_GAPS"
            elif differs:
                wrong.append(f"{name} as {role}: {response.status_code} (policy: allowed)")
    assert not wrong, "POST cells that differ from POST_POLICY:\n" + "\n".join(wrong)
