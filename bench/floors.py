"""
The floors: for each query-bound scenario, the same rows the page shows, computed by one hand-written SQL
statement on the same database — what the database needs at least, so the report can show our time as a
multiple of it. Each returns the same comparable shape as the matching selector in `scenarios.py`, and the
runner checks they agree.

Visibility is the app's (the actor's organization's patients, plus patients shared with it under an active,
unexpired consent), written as a UNION of the home-organization branch and the shared branch so that each
branch can use an index; the app writes it as `organization = X OR EXISTS (share…)`.
"""

import json

SHARED = """
    SELECT s.patient_id FROM patients_patientshare s JOIN patients_consent c ON c.id = s.consent_id
    WHERE s.organization_id = %(org)s AND s.revoked_at IS NULL AND c.status = 'active'
      AND (c.expires_on IS NULL OR c.expires_on >= %(today)s)
"""
# Correlated, so the planner checks it per row (a nested loop from the tasks) instead of hashing all patients.
VISIBLE = f"(p.organization_id = %(org)s OR EXISTS ({SHARED} AND s.patient_id = p.id))"

BUCKET = """CASE WHEN t.snoozed_until > %(today)s THEN 3 WHEN t.due_date < %(today)s THEN 0
                 WHEN t.due_date = %(today)s THEN 1 ELSE 2 END"""
URGENCY = "CASE t.priority WHEN 'stat' THEN 0 WHEN 'asap' THEN 1 WHEN 'urgent' THEN 2 ELSE 3 END"


def _params(ctx, **extra) -> dict:
    return {"org": ctx.organization.pk, "today": ctx.today.isoformat(), **extra}


def _fetch(cursor, sql: str, params: dict) -> list[tuple]:
    cursor.execute(sql, params)
    return cursor.fetchall()


# -- the worklist -----------------------------------------------------------------------------------------
def worklist(ctx, cursor, _input) -> dict:
    """Bucket counts and the first page (50) of the coordinator's open tasks, with patient, plan and owner.

    The owner test is split into two branches (the person's own tasks; unassigned tasks of a role they hold),
    so each branch can use its worklist index; with `owner = X OR (owner IS NULL AND …)` SQLite, which has no
    statistics unless someone runs ANALYZE, falls back to the organization index and reads every task.
    """
    roles = {f"role{i}": role for i, role in enumerate(sorted(ctx.roles))}
    statuses = {f"status{i}": s for i, s in enumerate(sorted(ctx.open_statuses))}
    role_marks = ", ".join(f"%({k})s" for k in roles)
    status_marks = ", ".join(f"%({k})s" for k in statuses)
    select = f"""
        SELECT t.id, t.public_id, t.title, t.kind, t.priority, t.due_date, t.snoozed_until, t.occurrence,
               t.recurrence, t.source, t.owner_role, t.version, p.public_id AS patient_public_id,
               p.family_name, p.given_name, p.preferred_name, cp.public_id AS careplan_public_id,
               cp.title AS careplan_title, u.full_name AS owner_name, {BUCKET} AS bucket, {URGENCY} AS urgency
        FROM careplans_task t
        JOIN patients_patient p ON p.id = t.patient_id
        LEFT JOIN careplans_careplan cp ON cp.id = t.careplan_id
        LEFT JOIN core_user u ON u.id = t.owner_id
        WHERE t.organization_id = %(org)s AND t.status IN ({status_marks}) AND {VISIBLE}"""
    sql = f"""
    WITH open_tasks AS (
        {select} AND t.owner_id = %(user)s
        UNION ALL
        {select} AND t.owner_id IS NULL AND t.owner_role IN ({role_marks})
    ),
    counts AS (
        SELECT COUNT(*) FILTER (WHERE bucket = 0) AS overdue, COUNT(*) FILTER (WHERE bucket = 1) AS today,
               COUNT(*) FILTER (WHERE bucket = 2) AS upcoming, COUNT(*) FILTER (WHERE bucket = 3) AS snoozed
        FROM open_tasks
    ),
    page AS (
        SELECT * FROM open_tasks WHERE bucket <> 3 ORDER BY bucket, due_date NULLS LAST, urgency, id LIMIT 50
    )
    SELECT counts.overdue, counts.today, counts.upcoming, counts.snoozed, page.*
    FROM counts LEFT JOIN page ON 1 = 1
    ORDER BY page.bucket, page.due_date NULLS LAST, page.urgency, page.id
    """
    rows = _fetch(cursor, sql, _params(ctx, user=ctx.user.pk, **roles, **statuses))
    overdue, today, upcoming, snoozed = rows[0][:4]
    counts = {"overdue": overdue, "today": today, "upcoming": upcoming, "snoozed": snoozed}
    ids = [row[4] for row in rows if row[4] is not None]
    return {"counts": counts, "total": overdue + today + upcoming, "ids": ids}


# -- patient search (one floor per kind of query) ---------------------------------------------------------
def _search(ctx, cursor, match: str, params: dict, page_size: int, *, by_organization: bool = True) -> dict:
    """
    One page of matches and their number. With `by_organization=False` the organization test is written so
    no index serves it (`organization_id + 0`): then the planner takes the match's own index (phones) or
    reads the table straight through (names) rather than walking every patient through the organization's
    index — which SQLite, lacking statistics, otherwise does.
    """
    home = "p.organization_id = %(org)s" if by_organization else "p.organization_id + 0 = %(org)s"
    columns = """p.id, p.public_id, p.family_name, p.given_name, p.preferred_name, p.birth_date, p.mrn,
                 p.phone_primary, p.preferred_language, p.interpreter_needed, p.organization_id, p.sort_name"""
    sql = f"""
    SELECT m.*, o.name, COUNT(*) OVER () AS total FROM (
        SELECT {columns} FROM patients_patient p WHERE {home} AND {match}
        UNION ALL
        SELECT {columns} FROM patients_patient p
        WHERE p.id IN ({SHARED}) AND p.organization_id <> %(org)s AND {match}
    ) m JOIN core_organization o ON o.id = m.organization_id
    ORDER BY m.sort_name, m.id
    LIMIT {int(page_size)}
    """
    rows = _fetch(cursor, sql, _params(ctx, **params))
    return {"total": rows[0][-1] if rows else 0, "ids": [row[0] for row in rows]}


def search_name(ctx, cursor, query: str) -> dict:
    """Word prefixes in any order against the padded search_name (what patient_search does for names)."""
    from carecoord.patients.domain import name_query_terms

    terms = {f"t{i}": f"% {term}%" for i, term in enumerate(name_query_terms(query)[:5])}
    match = " AND ".join(f"p.search_name LIKE %({k})s" for k in terms)
    return _search(ctx, cursor, match, terms, ctx.search_page_size, by_organization=False)


def search_dob(ctx, cursor, query: str) -> dict:
    from carecoord.patients.domain import parse_loose_date

    return _search(ctx, cursor, "p.birth_date = %(dob)s", {"dob": parse_loose_date(query).isoformat()},
                   ctx.search_page_size)  # fmt: skip


def search_mrn(ctx, cursor, query: str) -> dict:
    """MRNs are stored upper-case, so an exact match on the (organization, mrn) unique index finds them."""
    return _search(ctx, cursor, "p.mrn = %(mrn)s", {"mrn": query.strip().upper()}, ctx.search_page_size)


def search_phone(ctx, cursor, query: str) -> dict:
    from carecoord.patients.domain import normalize_phone

    phone = normalize_phone(query)
    match = "(p.phone_primary = %(phone)s OR p.phone_secondary = %(phone)s)"
    return _search(ctx, cursor, match, {"phone": phone}, ctx.search_page_size, by_organization=False)


# -- the chart --------------------------------------------------------------------------------------------
# Each panel: (name, JSON object of a row, FROM … WHERE, ORDER BY); OBJ( becomes the vendor's JSON builder.
CHART_PANELS = [
    ("identifiers", "OBJ('id', i.id, 'type', i.type, 'system', i.system, 'value', i.value)",
     "FROM patients_patientidentifier i WHERE i.patient_id = p.id", "i.type, i.system"),
    ("family", "OBJ('id', r.id, 'given', r.given_name, 'family', r.family_name, 'rel', r.relationship, "
     "'phone', r.phone)", "FROM patients_relatedperson r WHERE r.patient_id = p.id AND r.active",
     "r.is_health_care_proxy DESC, r.family_name"),
    ("care_team", "OBJ('id', m.id, 'role', m.role, 'start', m.start_date, 'end', m.end_date, 'user', u.full_name, "
     "'pr_given', pr.given_name, 'pr_family', pr.family_name, 'pr_suffix', pr.suffix, 'rp', rp.given_name)",
     "FROM patients_careteammember m LEFT JOIN core_user u ON u.id = m.user_id "
     "LEFT JOIN directory_practitioner pr ON pr.id = m.practitioner_id "
     "LEFT JOIN patients_relatedperson rp ON rp.id = m.related_person_id WHERE m.patient_id = p.id",
     "m.role, m.start_date"),
    ("conditions", "OBJ('id', c.id, 'code', c.code, 'display', c.display, 'status', c.clinical_status, "
     "'onset', c.onset_date)",
     "FROM patients_condition c WHERE c.patient_id = p.id AND c.verification_status <> 'entered-in-error'",
     "c.clinical_status, c.onset_date DESC"),
    ("consents", "OBJ('id', k.id, 'status', k.status, 'grantee', g.name, 'signed', k.signed_on)",
     "FROM patients_consent k LEFT JOIN core_organization g ON g.id = k.grantee_id WHERE k.patient_id = p.id",
     "k.signed_on DESC"),
    ("shares", "OBJ('id', s.id, 'org', so.name, 'consent', sc.signed_on)",
     "FROM patients_patientshare s JOIN core_organization so ON so.id = s.organization_id "
     "JOIN patients_consent sc ON sc.id = s.consent_id WHERE s.patient_id = p.id AND s.revoked_at IS NULL "
     "AND sc.status = 'active' AND (sc.expires_on IS NULL OR sc.expires_on >= %(today)s)", "s.created_at DESC"),
]  # fmt: skip


def _panel(vendor: str, obj: str, source: str, order: str) -> str:
    if vendor == "postgresql":
        obj = obj.replace("OBJ(", "json_build_object(")
        return f"(SELECT COALESCE(json_agg({obj} ORDER BY {order}), '[]') {source})"
    obj = obj.replace("OBJ(", "json_object(")
    return f"(SELECT json_group_array(json(x.o)) FROM (SELECT {obj} AS o {source} ORDER BY {order}) x)"


def chart(ctx, cursor, public_id) -> dict:
    """The patient with organization, identifiers, family, care team (with names), problems, consents, shares."""
    vendor = cursor.db.vendor
    panels = ",\n".join(f"{_panel(vendor, obj, source, order)} AS {name}" for name, obj, source, order in CHART_PANELS)
    sql = f"""
    SELECT p.*, o.name, {panels}
    FROM patients_patient p JOIN core_organization o ON o.id = p.organization_id
    WHERE p.public_id = %(pid)s AND {VISIBLE}
    """
    pid = str(public_id) if vendor == "postgresql" else public_id.hex
    cursor.execute(sql, _params(ctx, pid=pid))
    row = cursor.fetchone()
    record = dict(zip([d[0] for d in cursor.description], row, strict=True))

    def ids(key: str) -> list[int]:
        value = record[key]
        value = json.loads(value) if isinstance(value, str) else value
        return sorted(item["id"] for item in value)

    return {"patient": record["id"], **{name: ids(name) for name, *_ in CHART_PANELS}}


# -- the worklist's upcoming-appointments panel ----------------------------------------------------------
UPCOMING = ("pending", "booked", "arrived", "checked-in")  # scheduling.worklist_selectors.UPCOMING_STATUSES


def worklist_appointments(ctx, cursor, _input) -> dict:
    """The next 7 days' appointments (first 50) of the patients the coordinator currently coordinates, with
    what the panel shows: patient, practitioner, location, visit type, outside practice, needs from the
    patient's scheduling preferences and the languages that decide an interpreter. The organization test is
    on an expression, so SQLite (no statistics) reads each caseload patient's appointments by (patient,
    start) rather than a month of the organization's."""
    import datetime as dt

    from carecoord.core import clock

    now = clock.now()
    stamp = (lambda t: t) if cursor.db.vendor == "postgresql" else (lambda t: t.strftime("%Y-%m-%d %H:%M:%S.%f"))
    marks = ", ".join(f"%(s{i})s" for i in range(len(UPCOMING)))
    sql = f"""
    SELECT a.id, a.start, p.public_id, p.family_name, p.given_name, pr.family_name, l.name, ty.name, x.name,
           COALESCE(sp.needs_transport, FALSE), COALESCE(sp.needs_interpreter, FALSE), p.interpreter_needed,
           p.preferred_language, pr.languages
    FROM scheduling_appointment a
    JOIN patients_patient p ON p.id = a.patient_id
    LEFT JOIN directory_practitioner pr ON pr.id = a.practitioner_id
    LEFT JOIN directory_location l ON l.id = a.location_id
    LEFT JOIN scheduling_appointmenttype ty ON ty.id = a.appointment_type_id
    LEFT JOIN directory_externalorganization x ON x.id = a.external_organization_id
    LEFT JOIN scheduling_patientschedulingpreference sp
           ON sp.patient_id = a.patient_id AND sp.organization_id = a.organization_id
    WHERE a.organization_id + 0 = %(org)s AND a.status IN ({marks}) AND a."end" > %(now)s AND a.start < %(until)s
      AND p.deleted_at IS NULL AND {VISIBLE}
      AND a.patient_id IN (SELECT m.patient_id FROM patients_careteammember m
                           WHERE m.user_id = %(user)s AND m.role = 'coordinator' AND m.start_date <= %(today)s
                             AND (m.end_date IS NULL OR m.end_date >= %(today)s))
    ORDER BY a.start, a.id LIMIT 50
    """
    params = {f"s{i}": status for i, status in enumerate(UPCOMING)}
    until = now + dt.timedelta(days=7)
    rows = _fetch(cursor, sql, _params(ctx, user=ctx.user.pk, now=stamp(now), until=stamp(until), **params))
    return {"ids": [row[0] for row in rows]}
