"""Display filters for directory pages: language names and phone numbers as people read them."""

from django import template

from carecoord.patients.choices import LANGUAGE_NAMES
from carecoord.patients.domain import format_phone

register = template.Library()


@register.filter
def language_names(codes) -> str:
    """["en", "es"] -> "English, Spanish"."""
    return ", ".join(LANGUAGE_NAMES.get(code, code) for code in codes or [])


@register.filter
def phone(e164: str) -> str:
    return format_phone(e164 or "")
