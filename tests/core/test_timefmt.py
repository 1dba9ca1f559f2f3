"""One display format for dates and times shown to people: m/d/Y and a 12-hour clock."""

import datetime as dt
import zoneinfo

import pytest
from django.template import Context, Template
from django.utils import formats, translation

from carecoord.core import timefmt

AFTERNOON = dt.datetime(2026, 11, 27, 14, 5, 9, tzinfo=dt.UTC)
MORNING = dt.time(9, 0)


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_named_formats_come_from_the_carecoord_module():
    assert formats.get_format("SHORT_DATETIME_FORMAT") == "m/d/Y g:i A"
    assert formats.get_format("TIME_FORMAT") == "g:i A"
    assert formats.get_format("SHORT_DATE_FORMAT") == "m/d/Y"


def test_templates_show_12_hour_times_with_the_named_formats():
    assert render('{{ t|time:"TIME_FORMAT" }}', t=MORNING) == "9:00 AM"
    assert render('{{ t|date:"SHORT_DATETIME_FORMAT" }}', t=AFTERNOON) == "11/27/2026 2:05 PM"
    assert render('{{ t|date:"SHORT_DATE_FORMAT" }}', t=AFTERNOON.date()) == "11/27/2026"
    assert render("{{ t }}", t=AFTERNOON) == "11/27/2026 2:05 PM"
    assert render("{{ t }}", t=AFTERNOON.date()) == "11/27/2026"


def test_input_formats_still_accept_iso_and_us_dates_and_24_hour_times():
    assert "%Y-%m-%d" in formats.get_format("DATE_INPUT_FORMATS")
    assert "%m/%d/%Y" in formats.get_format("DATE_INPUT_FORMATS")
    assert "%H:%M" in formats.get_format("TIME_INPUT_FORMATS")
    assert "%Y-%m-%dT%H:%M" in formats.get_format("DATETIME_INPUT_FORMATS") or "%Y-%m-%d %H:%M" in formats.get_format(
        "DATETIME_INPUT_FORMATS"
    )


def test_python_helpers_match_the_templates():
    assert timefmt.clock(MORNING) == "9:00 AM"
    assert timefmt.clock(dt.time(0, 30)) == "12:30 AM"
    assert timefmt.day(AFTERNOON.date()) == "11/27/2026"
    assert timefmt.date_time(AFTERNOON) == "11/27/2026 2:05 PM"
    assert timefmt.day_date_time(AFTERNOON) == "Fri 11/27/2026 2:05 PM"
    assert timefmt.date_time_seconds(AFTERNOON) == "11/27/2026 2:05:09 PM"


def test_python_helpers_convert_to_the_given_time_zone():
    chicago = zoneinfo.ZoneInfo("America/Chicago")
    assert timefmt.date_time(AFTERNOON, chicago) == "11/27/2026 8:05 AM"
    assert timefmt.clock(AFTERNOON, chicago) == "8:05 AM"


@pytest.mark.parametrize("language", [None, "en-us"])
def test_python_helpers_work_outside_a_request(language):
    with translation.override(language):
        assert timefmt.date_time(AFTERNOON) == "11/27/2026 2:05 PM"


def test_short_day_forms_follow_the_one_date_format():
    monday = dt.date(2026, 11, 30)
    assert timefmt.month_day(monday) == "11/30"
    assert timefmt.weekday_month_day(monday) == "Mon 11/30"
    assert timefmt.day_short_year(monday) == "11/30/26"
    assert timefmt.weekday_day(monday) == "Mon 11/30/2026"
    assert timefmt.long_weekday_day(monday) == "Monday 11/30/2026"
    assert timefmt.month_year(dt.date(2019, 3, 7)) == "03/2019"


def test_short_day_forms_of_a_datetime_use_the_given_time_zone():
    just_after_midnight = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)  # still Monday 11/30 in Chicago
    chicago = zoneinfo.ZoneInfo("America/Chicago")
    assert timefmt.weekday_month_day(just_after_midnight, chicago) == "Mon 11/30"
    assert timefmt.day_short_year(just_after_midnight, chicago) == "11/30/26"
    assert timefmt.month_day(just_after_midnight) == "12/01"


def test_the_template_filters_show_the_python_forms_in_the_active_time_zone():
    late = dt.datetime(2026, 12, 1, 3, 0, 9, tzinfo=dt.UTC)
    source = (
        "{% load tz timefmt_tags %}{% timezone 'America/Chicago' %}"
        "{{ t|month_day }}|{{ t|weekday_month_day }}|{{ t|weekday_day }}|{{ t|long_weekday_day }}|"
        "{{ t|day_date_time }}|{{ t|date_time_seconds }}|{{ t|month_year }}|{{ nothing|month_day }}{% endtimezone %}"
    )
    assert render(source, t=late, nothing=None) == (
        "11/30|Mon 11/30|Mon 11/30/2026|Monday 11/30/2026|Mon 11/30/2026 9:00 PM|11/30/2026 9:00:09 PM|11/2026|"
    )
