"""Template tags of the scheduling pages: links that tolerate a URL not yet there, times in the org's zone."""

from django import template
from django.urls import NoReverseMatch, reverse

from carecoord.scheduling.choices import OUTSIDE_STATUS_LABELS

register = template.Library()


@register.simple_tag
def url_if_exists(name: str, *args) -> str:
    """
    The URL named `name` with `args`, or "" when no such URL exists (yet): `{% url_if_exists 'x' id as u %}`
    then `{% if u %}…{% endif %}`, so a page can link to a feature that lands later.
    """
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@register.filter
def status_label(appointment) -> str:
    """The appointment's status in the coordinator's words (outside visits: Requested, Confirmed, Attended…)."""
    if appointment.is_outside:
        return OUTSIDE_STATUS_LABELS.get(appointment.status, appointment.get_status_display())
    return appointment.get_status_display()


@register.filter
def local(value, tz):
    """An aware datetime in the zone `tz` (the organization's), for the date and time filters."""
    return value.astimezone(tz) if value is not None else None
