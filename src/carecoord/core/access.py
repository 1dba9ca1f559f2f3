"""
Who is acting, for which organization, with which roles — and the checks every service starts with.
Patient visibility itself lives in `patients.selectors.patients_visible_to`, the one scoping function.
"""

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings

from .choices import (
    CLINICAL_ROLES,
    PATIENT_REGISTRATION_ROLES,
    PATIENT_WRITE_ROLES,
    RECORD_EXPORT_ROLES,
    REPORT_ROLES,
    Role,
)
from .errors import AccessCheckUnavailableError, ApplicationError, NotFoundError, PermissionDeniedError
from .models import Membership, Organization, User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """A user acting for one organization, with the roles they hold there."""

    user: User
    organization: Organization
    roles: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def can_see_patients(self) -> bool:
        return bool(self.roles & CLINICAL_ROLES)

    @property
    def can_edit_patients(self) -> bool:
        return bool(self.roles & PATIENT_WRITE_ROLES)

    @property
    def can_register_patients(self) -> bool:
        """Registers patients and keeps their demographics, contact details and insurance coverage."""
        return bool(self.roles & PATIENT_REGISTRATION_ROLES)

    @property
    def is_org_admin(self) -> bool:
        return Role.ORG_ADMIN in self.roles

    @property
    def is_scheduler(self) -> bool:
        return Role.SCHEDULER in self.roles

    @property
    def can_see_reports(self) -> bool:
        return bool(self.roles & REPORT_ROLES)

    @property
    def can_export_records(self) -> bool:
        return bool(self.roles & RECORD_EXPORT_ROLES)

    @property
    def is_auditor(self) -> bool:
        return Role.AUDITOR in self.roles


def memberships_of(user: User):
    return (
        Membership.objects.filter(user=user, active=True, organization__active=True)
        .select_related("organization")
        .order_by("organization__name", "role")
    )


def actor_for(user: User, organization: Organization) -> Actor:
    """Builds the actor for `user` in `organization`; raises NotFoundError when they are not a member."""
    roles = frozenset(
        Membership.objects.filter(
            user=user, organization=organization, active=True, organization__active=True
        ).values_list("role", flat=True)
    )
    if not roles or not user.is_active:
        raise NotFoundError("You are not a member of that organization.")
    return Actor(user=user, organization=organization, roles=roles)


def require_role(actor: Actor, *roles: str, message: str = "Your role does not allow this.") -> None:
    if not actor.has_role(*roles):
        raise PermissionDeniedError(message)


def require_patient_reader(actor: Actor) -> None:
    if not actor.can_see_patients:
        raise NotFoundError()


def require_patient_editor(actor: Actor) -> None:
    if not actor.can_edit_patients:
        raise PermissionDeniedError("Your role does not allow changing patient records.")


def require_patient_registrar(actor: Actor) -> None:
    """Registration data only (core.choices.PATIENT_REGISTRATION_ROLES); other writes use require_patient_editor."""
    if not actor.can_register_patients:
        raise PermissionDeniedError("Your role does not allow changing patient records.")


def access_fault_check() -> None:
    """
    Test hook (RELIABILITY T21): with CARECOORD_ACCESS_FAULT set, every access decision raises, so tests can
    prove the application then answers 503 and shows no data. Off unless set; setting it only denies.
    """
    if getattr(settings, "CARECOORD_ACCESS_FAULT", False):
        raise RuntimeError("Injected access-check fault (CARECOORD_ACCESS_FAULT).")


@contextmanager
def failing_closed():
    """Turns any error raised while deciding access into AccessCheckUnavailableError (a 503, never data)."""
    try:
        access_fault_check()
        yield
    except ApplicationError:
        raise
    except Exception as exc:
        logger.exception("access check failed; refusing the request")
        raise AccessCheckUnavailableError() from exc
