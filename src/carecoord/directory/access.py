"""Who may read and change an organization's directory: every member reads it; these roles change it."""

from carecoord.core.access import Actor
from carecoord.core.choices import Role
from carecoord.core.errors import NotFoundError, PermissionDeniedError

# Providers and auditors look practitioners up but do not maintain the directory.
DIRECTORY_EDIT_ROLES = frozenset({Role.COORDINATOR, Role.SUPERVISOR, Role.SCHEDULER, Role.ORG_ADMIN})


def can_edit_directory(actor: Actor | None) -> bool:
    return actor is not None and bool(actor.roles & DIRECTORY_EDIT_ROLES)


def require_directory_reader(actor: Actor | None) -> Actor:
    """Returns the actor; someone acting for no organization has no directory to see (NotFoundError)."""
    if actor is None:
        raise NotFoundError()
    return actor


def require_directory_editor(actor: Actor | None) -> Actor:
    actor = require_directory_reader(actor)
    if not can_edit_directory(actor):
        raise PermissionDeniedError("Your role can look entries up in the directory but not change them.")
    return actor
