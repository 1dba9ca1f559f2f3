from django import template

from carecoord.patients.domain import format_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """Shows an E.164 phone number the way people read it."""
    return format_phone(value)
