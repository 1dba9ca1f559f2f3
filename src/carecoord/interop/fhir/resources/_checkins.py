"""Pieces the check-in mappers (Observation, QuestionnaireResponse, Communication, DocumentReference) share."""

from django.db.models import F, Q, QuerySet

from carecoord.checkins.selectors import DOCUMENTATION_MODELS, sees_clinical_results
from carecoord.patients.selectors import patients_visible_to


def own_or_home(queryset: QuerySet, actor) -> QuerySet:
    """
    Check-in records the actor may read (checkins.selectors' rule): of patients the actor sees, written by the
    actor's organization or by the patient's home organization; clinical documentation and results only for
    the roles that may read them (a scheduler gets none).
    """
    if queryset.model in DOCUMENTATION_MODELS and not sees_clinical_results(actor):
        return queryset.none()
    return queryset.filter(patient__in=patients_visible_to(actor)).filter(
        Q(organization=actor.organization) | Q(organization=F("patient__organization"))
    )
