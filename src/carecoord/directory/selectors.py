"""
Reads on the directory. Every query starts from the actor's organization, so an entry of another
organization is never listed and `*_get` answers NotFoundError for it exactly as for a missing one.
Lists sort case-insensitively ("de la Cruz" among the Cs), the same on SQLite and PostgreSQL.
"""

import re
import uuid
from typing import TypeVar

from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.db.models.functions import Lower

from carecoord.core.access import Actor
from carecoord.core.errors import NotFoundError

from .models import ExternalOrganization, Location, Practitioner

MAX_QUERY_TERMS = 5
M = TypeVar("M", bound=Model)


def _query_terms(query: str) -> list[str]:
    return re.sub(r"[,;]", " ", query or "").split()[:MAX_QUERY_TERMS]


def _name_starts_with(term: str) -> Q:
    """Matches a term against the start of the given name or of any word of the family name."""
    return (
        Q(given_name__istartswith=term)
        | Q(family_name__istartswith=term)
        | Q(family_name__icontains=f" {term}")
        | Q(family_name__icontains=f"-{term}")
    )


def _speaks(language: str) -> Q:
    if connection.features.supports_json_field_contains:
        return Q(languages__contains=[language])
    # SQLite has no JSON containment; the list is stored as JSON text, so match the quoted code.
    return Q(languages__icontains=f'"{language}"')


def practitioners_for(
    actor: Actor | None,
    *,
    query: str = "",
    specialty: str = "",
    language: str = "",
    accepting: bool | None = None,
    active_only: bool = True,
    external_organization: ExternalOrganization | None = None,
) -> QuerySet[Practitioner]:
    """
    The organization's practitioners, by family then given name. `query` matches name prefixes (every word
    must match) or an exact NPI; the other filters match specialty code, a spoken language and whether
    they accept new patients.
    """
    if actor is None:
        return Practitioner.objects.none()
    practitioners = Practitioner.objects.filter(organization=actor.organization).select_related("external_organization")
    if active_only:
        practitioners = practitioners.filter(active=True)
    compact = re.sub(r"[\s-]", "", query or "")
    if re.fullmatch(r"[0-9]{10}", compact):
        practitioners = practitioners.filter(npi=compact)
    else:
        for term in _query_terms(query):
            practitioners = practitioners.filter(_name_starts_with(term))
    if specialty:
        practitioners = practitioners.filter(specialty_code=specialty)
    if language:
        practitioners = practitioners.filter(_speaks(language))
    if accepting is not None:
        practitioners = practitioners.filter(accepting_new_patients=accepting)
    if external_organization is not None:
        practitioners = practitioners.filter(external_organization=external_organization)
    return practitioners.order_by(Lower("family_name"), Lower("given_name"), "pk")


def _get(queryset: QuerySet[M], public_id) -> M:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc
    found = queryset.filter(public_id=key).first()
    if found is None:
        raise NotFoundError()
    return found


def practitioner_get(actor: Actor | None, public_id) -> Practitioner:
    """The practitioner if it is in the actor's directory (active or not); NotFoundError otherwise."""
    return _get(practitioners_for(actor, active_only=False), public_id)


def external_organizations_for(
    actor: Actor | None, query: str = "", *, kind: str = "", active_only: bool = True
) -> QuerySet[ExternalOrganization]:
    """The organization's external organizations by name; `query` matches any part of the name or city."""
    if actor is None:
        return ExternalOrganization.objects.none()
    organizations = ExternalOrganization.objects.filter(organization=actor.organization)
    if active_only:
        organizations = organizations.filter(active=True)
    for term in _query_terms(query):
        organizations = organizations.filter(Q(name__icontains=term) | Q(city__istartswith=term))
    if kind:
        organizations = organizations.filter(kind=kind)
    return organizations.order_by(Lower("name"), "pk")


def external_organization_get(actor: Actor | None, public_id) -> ExternalOrganization:
    return _get(external_organizations_for(actor, active_only=False), public_id)


def external_organization_choices(
    actor: Actor | None, *, current: ExternalOrganization | None = None
) -> QuerySet[ExternalOrganization]:
    """The active external organizations to pick from, plus the one already chosen even if inactive."""
    if actor is None:
        return ExternalOrganization.objects.none()
    keep = Q(active=True)
    if current is not None:
        keep |= Q(pk=current.pk)
    return ExternalOrganization.objects.filter(keep, organization=actor.organization).order_by(Lower("name"), "pk")


def locations_for(
    actor: Actor | None,
    *,
    query: str = "",
    active_only: bool = True,
    external_organization: ExternalOrganization | None = None,
) -> QuerySet[Location]:
    """The organization's locations by name; `query` matches any part of the name or the start of the city."""
    if actor is None:
        return Location.objects.none()
    locations = Location.objects.filter(organization=actor.organization).select_related("external_organization")
    if active_only:
        locations = locations.filter(active=True)
    for term in _query_terms(query):
        locations = locations.filter(Q(name__icontains=term) | Q(city__istartswith=term))
    if external_organization is not None:
        locations = locations.filter(external_organization=external_organization)
    return locations.order_by(Lower("name"), "pk")


def location_get(actor: Actor | None, public_id) -> Location:
    return _get(locations_for(actor, active_only=False), public_id)
