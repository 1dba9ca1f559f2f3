"""The "Doctor not listed?" link of the prescriber choices: shown to the roles that may add to the directory."""

from django import template

from carecoord.directory.access import can_edit_directory

register = template.Library()


@register.simple_tag(takes_context=True)
def can_add_to_directory(context) -> bool:
    request = context.get("request")
    return can_edit_directory(getattr(request, "actor", None))
