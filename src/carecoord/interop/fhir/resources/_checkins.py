"""Pieces the check-in mappers (Observation, QuestionnaireResponse, Communication, DocumentReference) share."""

from django.db.models import QuerySet

from carecoord.checkins.selectors import DOCUMENTATION_MODELS, sees_clinical_results
from carecoord.patients.selectors import patients_visible_to, readable_writers_q


def own_or_home(queryset: QuerySet, actor) -> QuerySet:
    """
    Check-in records the actor may read (checkins.selectors' rule): of patients the actor sees, by a writer the
    actor may read (`readable_writers_q`); clinical documentation and results only for the roles that may read
    them (a scheduler gets none).
    """
    if queryset.model in DOCUMENTATION_MODELS and not sees_clinical_results(actor):
        return queryset.none()
    return queryset.filter(patient__in=patients_visible_to(actor)).filter(readable_writers_q(actor))
