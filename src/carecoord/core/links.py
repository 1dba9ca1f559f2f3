"""
Links to an object's page by its public id, without Django's `reverse` for every row. `reverse` checks the
arguments against the pattern and quotes them each time (~0.1 ms); a page of 50 rows with four links each
spent ~20 ms there. The URL is reversed once per name with a placeholder id and the id spliced in: a UUID's
text needs no quoting, so the result is exactly what `reverse` gives.
"""

import functools
import uuid

from django.urls import get_script_prefix, reverse

_PLACEHOLDER = str(uuid.UUID(int=0))


@functools.cache
def _halves(name: str, script_prefix: str) -> tuple[str, str]:
    prefix, _, suffix = reverse(name, args=[_PLACEHOLDER]).partition(_PLACEHOLDER)
    return prefix, suffix


def public_id_url(name: str, public_id: uuid.UUID) -> str:
    """`reverse(name, args=[public_id])` for a URL whose single argument is a UUID."""
    prefix, suffix = _halves(name, get_script_prefix())
    return f"{prefix}{uuid.UUID(str(public_id))}{suffix}"
