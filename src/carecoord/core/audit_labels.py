"""
Audit events and records in words, for the people who read the audit log (the CSV keeps the raw codes).

An event code is "<subject>.<verb>" (subject possibly dotted: "appointment.outside.record"). `event_label`
answers an explicit label for the common codes, else one derived from the subject's noun and the verb's past
tense ("task.snooze" -> "Task snoozed"), else a readable form of the code ("widget.frobnicate" ->
"Widget: frobnicate"): a new code never shows blank. `object_kind` names a record's model in words.
"""

from django.apps import apps

# Codes whose derived label would read badly, and the ones a privacy officer reads most.
EVENT_LABELS = {
    "patient.view": "Patient chart viewed",
    "export.confirm": "Record export confirmation page viewed",
    "patient.read": "Patient chart viewed",
    "patient.search": "Patients searched",
    "patient.update": "Patient details updated",
    "patient.purge": "Patient record purged",
    "patient.restrict": "Patient record restricted",
    "patient.unrestrict": "Patient record restriction lifted",
    "timeline.view": "Patient timeline viewed",
    "checkins.view": "Patient check-ins viewed",
    "progress.view": "Patient progress viewed",
    "education.view": "Patient education viewed",
    "medications.view": "Patient medications viewed",
    "medications.history": "Medication history viewed",
    "insurance.view": "Patient insurance viewed",
    "screening.view": "Social needs screening viewed",
    "therapy.view": "Therapy plans viewed",
    "task.reassign": "Task reassigned",
    "task.status": "Task status changed",
    "task.due": "Task due date changed",
    "goal.due": "Goal due date changed",
    "episode.visit_booked": "Transition follow-up visit booked",
    "referral.note": "Referral follow-up note added",
    "funding.document_received": "Funding application document marked received",
    "funding.document_not_received": "Funding application document marked not received",
    "priorauth.decision_edit": "Prior authorization decision details edited",
    "priorauth.decision_correct": "Prior authorization decision corrected",
    "priorauth.follow_up": "Prior authorization follow-up logged",
    "careplan.template_apply": "Care plan template applied",
    "careplan.status": "Care plan status changed",
    "appointment.slots": "Open appointment slots viewed",
    "appointment.outside.record": "Outside appointment recorded",
    "appointment.outside.confirm": "Outside appointment confirmed",
    "appointment.outside.summary": "Outside appointment summary added",
    "share.grant": "Patient shared with another organization",
    "share.revoke": "Patient sharing revoked",
    "breakglass.open": "Break-glass access opened",
    "breakglass.review": "Break-glass access reviewed",
    "membership.break_glass": "Break-glass permission changed",
    "auth.login": "Signed in",
    "auth.logout": "Signed out",
    "auth.mfa": "Two-factor code checked",
    "auth.mfa_enrolled": "Two-factor authentication set up",
    "auth.password_change": "Password changed",
    "auth.switch_organization": "Switched organization",
    "auth.sessions_end_others": "Other sessions signed out",
    "audit.view": "Audit log viewed",
    "audit.export": "Audit log exported",
    "oauth.token": "API access token requested",
    "fhir.read": "FHIR record read",
    "fhir.vread": "FHIR record version read",
    "fhir.create": "FHIR record created",
    "fhir.update": "FHIR record updated",
    "fhir.delete": "FHIR record deleted",
    "fhir.everything": "FHIR patient record read in full",
    "fhir.export": "FHIR bulk export started",
    "fhir.export.download": "FHIR bulk export downloaded",
    "hl7v2.message": "HL7 message received",
    "time.add": "Time entered by hand",
    "time.start": "Timer started",
    "time.stop": "Timer stopped",
    "time.enter_in_error": "Time entry marked in error",
    "note.addendum": "Note addendum added",
    "service.status": "Community service status changed",
    "demo.load": "Demo data loaded",
    "demo.synthea_load": "Synthea demo data loaded",
    # Derived labels that read badly (checked against every code recorded in src/carecoord).
    "agency.active": "Community agency activated or deactivated",
    "appeal.document": "Appeal document added",
    "appeal.document_view": "Appeal document viewed",
    "appointment.search": "Appointments searched",
    "appointment.booked": "Appointment marked booked",
    "appointment.arrived": "Appointment marked arrived",
    "appointment.checked-in": "Appointment marked checked in",
    "appointment.fulfilled": "Appointment marked attended",
    "appointment.noshow": "Appointment marked no-show",
    "appointment.entered-in-error": "Appointment marked in error",
    "appointment.outside.attended": "Outside appointment marked attended",
    "appointment.outside.missed": "Outside appointment marked missed",
    "billing.report": "Care-management billing report viewed",
    "billing.export": "Care-management billing report exported",
    "care_team.add": "Care team member added",
    "care_team.end": "Care team membership ended",
    "careplan_template.goal_add": "Care plan template goal added",
    "careplan_template.goal_remove": "Care plan template goal removed",
    "careplan_template.goal_update": "Care plan template goal updated",
    "careplan_template.task_add": "Care plan template task added",
    "careplan_template.task_remove": "Care plan template task removed",
    "careplan_template.task_update": "Care plan template task updated",
    "condition.create": "Condition added",
    "encounter.admit": "Hospital admission recorded",
    "encounter.discharge": "Hospital discharge recorded",
    "encounter.transfer": "Hospital transfer recorded",
    "encounter.register": "Hospital visit registered",
    "encounter.update": "Hospital stay updated",
    "encounter.cancel_admit": "Hospital admission canceled",
    "encounter.cancel_discharge": "Hospital discharge canceled",
    "episode.checklist": "Transition checklist item updated",
    "episode.complexity": "Transition complexity changed",
    "episode.readmission": "Readmission recorded on transition episode",
    "episode.readmission_cleared": "Readmission cleared from transition episode",
    "episode.step": "Transition step recorded",
    "episode.tcm_plan": "Transitional care tasks planned",
    "education_delivery.teach_back": "Teach-back recorded",
    "hl7v2.messages.view": "HL7 message list viewed",
    "hl7v2.review.view": "Patient-match review viewed",
    "hl7v2.reviews.view": "Patient-match reviews viewed",
    "hl7v2.review.open": "Patient-match review opened",
    "hl7v2.review.resolve": "Patient-match review resolved",
    "hl7v2.review.dismiss": "Patient-match review dismissed",
    "holiday.open": "Holiday marked open",
    "holiday.close": "Holiday marked closed",
    "identifier.create": "Patient identifier added",
    "measurement.create": "Measurement recorded",
    "membership.add": "Member added",
    "membership.remove": "Member removed",
    "membership.role_change": "Member role changed",
    "organization.settings": "Organization settings changed",
    "priorauth.visit": "Prior authorization visit recorded",
    "priorauth.visit_void": "Prior authorization visit voided",
    "referral.incoming.view": "Incoming referral viewed",
    "referral.sent_list": "Sent referrals list viewed",
    "screening.create": "Social needs screening recorded",
    "series.cancel_rest": "Rest of appointment series canceled",
    "series.change_rest": "Rest of appointment series changed",
    "therapy.recount": "Therapy plan visits recounted",
    "transitions.stays.view": "Hospital stays viewed",
    "waitlist.add": "Patient added to waitlist",
    "waitlist.remove": "Patient removed from waitlist",
    "waitlist.offer": "Waitlist offer made",
    "waitlist.accept": "Waitlist offer accepted",
    "waitlist.waiting": "Waitlist entry back to waiting",
}

# The noun of a code's subject, where the code's word is not already one.
SUBJECT_NOUNS = {
    "careplan": "care plan",
    "careplan_template": "care plan template",
    "checkin_policy": "check-in policy",
    "priorauth": "prior authorization",
    "hl7v2": "HL7",
    "fhir": "FHIR",
    "api_client": "API client",
    "outbox": "outgoing message",
    "hours": "working hours",
    "away": "time away",
    "closed": "closed day",
    "therapy": "therapy plan",
    "note": "progress note",
    "episode": "transition episode",
    "series": "appointment series",
    "visit_plan": "visit plan",
    "cadence": "check-in cadence",
    "threshold": "benefit threshold",
    "feed": "calendar feed",
    "export": "record export",
    "retention": "retention policy",
    "time": "time entry",
    "eligibility": "eligibility check",
    "funding": "funding application",
    "enrollment": "care-management enrollment",
    "agency": "community agency",
    "service": "community service",
    "reconciliation": "medication reconciliation",
}

# Verbs in the past tense; a verb not here is shown as written ("Widget: frobnicate").
VERB_PAST = {
    "view": "viewed",
    "read": "viewed",
    "list": "list viewed",
    "search": "searched",
    "create": "created",
    "add": "added",
    "update": "updated",
    "delete": "deleted",
    "remove": "removed",
    "end": "ended",
    "reassign": "reassigned",
    "snooze": "snoozed",
    "status": "status changed",
    "book": "booked",
    "cancel": "canceled",
    "reschedule": "rescheduled",
    "sign": "signed",
    "discard": "discarded",
    "approve": "approved",
    "print": "printed",
    "set": "set",
    "stop": "stopped",
    "start": "started",
    "open": "opened",
    "close": "closed",
    "accept": "accepted",
    "deny": "denied",
    "offer": "offered",
    "propose": "proposed",
    "grant": "granted",
    "revoke": "revoked",
    "download": "downloaded",
    "request": "requested",
    "complete": "completed",
    "record": "recorded",
    "send": "sent",
    "queue": "queued",
    "import": "imported",
    "activate": "activated",
    "deactivate": "deactivated",
    "reactivate": "reactivated",
    "restore": "restored",
    "purge": "purged",
    "archive": "archived",
    "copy": "copied",
    "decide": "decided",
    "resolve": "resolved",
    "dismiss": "dismissed",
    "place": "placed",
    "release": "released",
    "expire": "expired",
    "confirm": "confirmed",
    "admit": "admitted",
    "discharge": "discharged",
    "transfer": "transferred",
    "register": "registered",
    "screen": "screened",
    "recount": "recounted",
    "error": "marked in error",
    "enter_in_error": "marked in error",
    "role_change": "role changed",
    "waiting": "marked waiting",
    "calendar": "calendar viewed",
    "dashboard": "dashboard viewed",
    "response": "response recorded",
    "progress_report": "progress report written",
    "teach_back": "teach-back recorded",
}

# Model names whose verbose name reads badly on its own.
OBJECT_KINDS = {
    "checkins.CheckinPolicy": "Check-in policy",
    "checkins.CheckinCadence": "Check-in cadence",
    "fhir.ApiClient": "API client",
    "education.Material": "Education material",
    "education.Delivery": "Education delivery",
    "hl7v2.InboundMessage": "HL7 message",
    "coverage.PriorAuthVisit": "Prior authorization visit",
}


def _words(code_part: str) -> str:
    return code_part.replace("_", " ").replace("-", " ").strip()


def _capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


def event_label(code: str) -> str:
    """The event in words: the explicit label, else subject + past-tense verb, else the code made readable."""
    code = (code or "").strip()
    if not code:
        return "Unnamed event"
    if code in EVENT_LABELS:
        return EVENT_LABELS[code]
    *subject_parts, verb = code.split(".")
    if not subject_parts:
        return _capfirst(_words(verb))
    subject = " ".join(SUBJECT_NOUNS.get(part, _words(part)) for part in subject_parts)
    if verb in VERB_PAST:
        return _capfirst(f"{subject} {VERB_PAST[verb]}")
    return _capfirst(f"{subject}: {_words(verb)}")


def object_kind(object_type: str) -> str:
    """The kind of record an audit event names ("careplans.CarePlan" -> "Care plan"); "" for none."""
    if not object_type:
        return ""
    if object_type in OBJECT_KINDS:
        return OBJECT_KINDS[object_type]
    try:
        return _capfirst(str(apps.get_model(object_type)._meta.verbose_name))
    except (LookupError, ValueError):
        return _capfirst(_split_camel_case(object_type.rsplit(".", 1)[-1]))


def _split_camel_case(name: str) -> str:
    words, current = [], ""
    for char in name:
        if char.isupper() and current and not current[-1].isupper():
            words.append(current)
            current = char
        else:
            current += char
    words.append(current)
    return " ".join([words[0], *(w.lower() for w in words[1:])])


def event_choices(codes=()) -> list[tuple[str, str]]:
    """
    (code, label) of the explicitly labelled events and of the given codes (those the page shows), one per
    label, by label: the event filter's suggestions.
    """
    first_code = {}
    for code in [*EVENT_LABELS, *sorted(set(codes))]:
        first_code.setdefault(event_label(code), code)
    return sorted(((code, label) for label, code in first_code.items()), key=lambda item: item[1].lower())


def event_codes_labelled(text: str) -> list[str]:
    """
    Every code whose label is the text (any case), explicit or derived: the event filter accepts any label
    the page shows. A derived label is undone into the codes that could derive it, and only those whose
    label is the text are kept; codes are lower case, as every recorded one is.
    """
    wanted = " ".join((text or "").split()).lower()
    if not wanted:
        return []
    candidates = [code for code, label in EVENT_LABELS.items() if label.lower() == wanted]
    candidates += _codes_deriving(wanted)
    return sorted({code for code in candidates if event_label(code).lower() == wanted})


# Labels of more words are not undone: no recorded code comes near, and the spellings grow as 3^n.
_MAX_UNDONE_WORDS = 7


def _codes_deriving(wanted: str) -> list[str]:
    """The codes `event_label` might turn into the lower-case label (a superset, checked by the caller)."""
    if len(wanted.split(" ")) > _MAX_UNDONE_WORDS:
        return []
    codes = _part_spellings(wanted)  # a code with no dot: its words
    if ": " in wanted:
        subject, verb = wanted.split(": ", 1)
        codes += [f"{s}.{v}" for s in _subject_spellings(subject) for v in _part_spellings(verb)]
    for verb, past in VERB_PAST.items():
        if wanted.endswith(f" {past}"):
            codes += [f"{s}.{verb}" for s in _subject_spellings(wanted[: -len(past) - 1])]
    return codes


def _part_spellings(words: str) -> list[str]:
    """The code parts `_words` reads as these words: joined by "_" or "-"."""
    spellings = [""]
    for index, word in enumerate(words.split(" ")):
        if not word:
            return []
        spellings = [f"{s}{sep}{word}" for s in spellings for sep in (["_", "-"] if index else [""])]
    return spellings


def _subject_spellings(subject: str) -> list[str]:
    """The dotted subjects whose nouns (SUBJECT_NOUNS, else the part's words) join into the subject words."""
    words = subject.split(" ")
    if not subject or not all(words):
        return []
    noun_parts = {}
    for part, noun in SUBJECT_NOUNS.items():
        noun_parts.setdefault(noun.lower(), []).append(part)
    spellings = {0: [""]}
    for end in range(1, len(words) + 1):
        spellings[end] = []
        for start in range(end):
            phrase = " ".join(words[start:end])
            parts = noun_parts.get(phrase, []) + _part_spellings(phrase)
            spellings[end] += [f"{s}.{p}" if s else p for s in spellings[start] for p in parts]
    return spellings[len(words)]
