"""Pieces the check-in mappers (Observation, QuestionnaireResponse, Communication, DocumentReference) share."""

from django.db.models import F, Q, QuerySet

from carecoord.patients.selectors import patients_visible_to


def own_or_home(queryset: QuerySet, actor) -> QuerySet:
    """
    Check-in records the actor may read (checkins.selectors' rule): of patients the actor sees, written by the
    actor's organization or by the patient's home organization.
    """
    return queryset.filter(patient__in=patients_visible_to(actor)).filter(
        Q(organization=actor.organization) | Q(organization=F("patient__organization"))
    )
