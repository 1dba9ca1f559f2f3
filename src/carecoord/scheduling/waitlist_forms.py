"""Forms of the waitlist. They validate input; waitlist_services act."""

import datetime as dt

from django import forms

from carecoord.core import clock, timefmt
from carecoord.directory.models import Location, Practitioner

from .choices import AppointmentStatus
from .models import Appointment, AppointmentType

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DEFAULT_WINDOW_DAYS = 28


class WaitlistAddForm(forms.Form):
    """Put a patient on the waitlist: which visit, optionally with whom and where, and in which days."""

    appointment_type = forms.ModelChoiceField(queryset=None, label="Appointment type", to_field_name="public_id")
    practitioner = forms.ModelChoiceField(
        queryset=None, required=False, label="Practitioner", to_field_name="public_id", empty_label="Anyone"
    )
    location = forms.ModelChoiceField(
        queryset=None, required=False, label="Location", to_field_name="public_id", empty_label="Any location"
    )
    earliest_date = forms.DateField(label="Earliest day", widget=DATE)
    latest_date = forms.DateField(label="Latest day", widget=DATE)
    current_appointment = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Move this booked appointment earlier",
        to_field_name="public_id",
        empty_label="None — no visit booked yet",
    )
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, actor, patient, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        organization = actor.organization
        self.fields["appointment_type"].queryset = AppointmentType.objects.filter(
            organization=organization, active=True
        )
        self.fields["practitioner"].queryset = Practitioner.objects.filter(
            organization=organization, active=True, schedules__active=True
        ).distinct()
        self.fields["location"].queryset = Location.objects.filter(
            organization=organization, active=True, external_organization__isnull=True
        )
        self.fields["current_appointment"].queryset = Appointment.objects.filter(
            organization=organization,
            patient=patient,
            is_outside=False,
            status__in=(AppointmentStatus.PENDING, AppointmentStatus.BOOKED),
            start__gt=clock.now(),
        ).select_related("appointment_type")
        self.fields["current_appointment"].label_from_instance = lambda a: (
            f"{a.appointment_type.name} on {timefmt.date_time(a.start, organization.tz)}"
        )
        self.initial.setdefault("earliest_date", today)
        self.initial.setdefault("latest_date", today + dt.timedelta(days=DEFAULT_WINDOW_DAYS))

    def clean(self):
        data = super().clean()
        first, last = data.get("earliest_date"), data.get("latest_date")
        if first and last and first > last:
            self.add_error("latest_date", "The window ends before it starts.")
        return data
