"""
SMART Backend Services scopes, in the v1 syntax (system/Patient.read, system/*.write) and the v2 syntax
(system/Patient.rs, system/*.cruds), reduced to which interactions a token allows on which resource type.
See https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html.
"""

import re
from dataclasses import dataclass

V1_PERMISSIONS = {"read": frozenset("rs"), "write": frozenset("cud"), "*": frozenset("cruds")}
SCOPE = re.compile(r"^system/(?P<type>\*|[A-Z][A-Za-z]+)\.(?P<perm>read|write|\*|c?r?u?d?s?)(?:\?.*)?$")

# The permission letter each interaction needs.
INTERACTION_PERMISSION = {
    "read": "r",
    "vread": "r",
    "history-instance": "r",
    "history-type": "s",
    "search-type": "s",
    "create": "c",
    "update": "u",
    "delete": "d",
}


class ScopeError(ValueError):
    """A scope string that is not a SMART system scope; the message names it."""


@dataclass(frozen=True)
class Grants:
    """Permission letters per resource type ('*' for every type)."""

    by_type: dict[str, frozenset[str]]

    def allows(self, resource_type: str, interaction: str) -> bool:
        letter = INTERACTION_PERMISSION[interaction]
        return letter in self.by_type.get(resource_type, frozenset()) or letter in self.by_type.get("*", frozenset())

    def readable_types(self, known: list[str]) -> list[str]:
        return [name for name in known if self.allows(name, "read")]


def parse_scopes(text: str) -> Grants:
    """Parses a space-separated scope string; raises ScopeError naming the first scope it cannot read."""
    by_type: dict[str, set[str]] = {}
    for scope in text.split():
        match = SCOPE.match(scope)
        if match is None or not match["perm"]:
            raise ScopeError(f"“{scope}” is not a SMART system scope (e.g. system/Patient.read or system/*.rs).")
        perm = match["perm"]
        letters = V1_PERMISSIONS.get(perm, frozenset(perm))
        by_type.setdefault(match["type"], set()).update(letters)
    return Grants({name: frozenset(letters) for name, letters in by_type.items()})


def narrow(requested: str, allowed: str) -> str:
    """The requested scopes if each is within the allowed ones; raises ScopeError naming one that is not."""
    granted = parse_scopes(allowed)
    for scope in requested.split():
        wanted = parse_scopes(scope)
        for resource_type, letters in wanted.by_type.items():
            held = granted.by_type.get(resource_type, frozenset()) | granted.by_type.get("*", frozenset())
            if resource_type == "*":
                held = granted.by_type.get("*", frozenset())
            if not letters <= held:
                raise ScopeError(f"“{scope}” is beyond what this client was granted.")
    return " ".join(requested.split())
