"""
The short day forms of carecoord.core.timefmt as template filters, so templates never spell out a date format:
{{ d|month_day }} "11/27", {{ d|weekday_month_day }} "Fri 11/27", {{ d|weekday_day }} "Fri 11/27/2026",
{{ d|long_weekday_day }} "Friday 11/27/2026", {{ d|month_year }} "11/2026", {{ t|day_date_time }}
"Fri 11/27/2026 2:05 PM", {{ t|date_time_seconds }} "11/27/2026 2:05:09 PM". Aware datetimes show in the active
time zone, as |date does.
"""

from django import template

from carecoord.core import timefmt

register = template.Library()


def _shown(function, value) -> str:
    # expects_localtime: Django has already moved an aware datetime to the active time zone, as for |date.
    return "" if value in (None, "") else function(value)


@register.filter(expects_localtime=True)
def month_day(value) -> str:
    return _shown(timefmt.month_day, value)


@register.filter(expects_localtime=True)
def weekday_month_day(value) -> str:
    return _shown(timefmt.weekday_month_day, value)


@register.filter(expects_localtime=True)
def weekday_day(value) -> str:
    return _shown(timefmt.weekday_day, value)


@register.filter(expects_localtime=True)
def long_weekday_day(value) -> str:
    return _shown(timefmt.long_weekday_day, value)


@register.filter(expects_localtime=True)
def month_year(value) -> str:
    return _shown(timefmt.month_year, value)


@register.filter(expects_localtime=True)
def day_date_time(value) -> str:
    return _shown(timefmt.day_date_time, value)


@register.filter(expects_localtime=True)
def date_time_seconds(value) -> str:
    return _shown(timefmt.date_time_seconds, value)
