"""
Forms of the booking pages: find a slot, book one, reschedule, cancel, the visit's status, the patient's
scheduling preferences and the calendars' navigation. They validate input; services act.

A slot travels from the results to the booking as one token, "<practitioner id>|<location id>|<UTC start>",
the value of the button a coordinator presses, so a page of results is one form with many buttons. To book,
that form opens the confirm step (BookForm read from the GET), whose "Book" posts the same token with the reason.
"""

import datetime as dt

from django import forms

from carecoord.core import clock
from carecoord.directory.models import Location, Practitioner
from carecoord.patients.choices import LANGUAGES

from .choices import CancellationReason, ReminderChannel, Weekday
from .selectors import MAX_WINDOW_DAYS, slot_search_locations

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DEFAULT_WINDOW_DAYS = 14
WEEKDAY_SHORT = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _own(model, actor):
    return model.objects.filter(organization=actor.organization, active=True)


OUR_SITES, PARTNER_SITES = "Our sites", "Partner sites"


class _SitesIterator(forms.models.ModelChoiceIterator):
    """
    The location choices in two groups, "Our sites" then "Partner sites" (outside organizations'), when there
    are both; a plain list when every site is of one kind.
    """

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        groups: dict[str, list] = {OUR_SITES: [], PARTNER_SITES: []}
        for location in self.queryset:
            groups[PARTNER_SITES if location.external_organization_id else OUR_SITES].append(self.choice(location))
        if groups[OUR_SITES] and groups[PARTNER_SITES]:
            yield from groups.items()
        else:
            yield from groups[OUR_SITES] or groups[PARTNER_SITES]


class SiteChoiceField(forms.ModelChoiceField):
    """A location, grouped by whose site it is; a partner site is labelled with its organization."""

    iterator = _SitesIterator

    def label_from_instance(self, obj) -> str:
        partner = obj.external_organization
        if partner is None or partner.name == obj.name:
            return obj.name
        return f"{obj.name} ({partner.name})"


class FindSlotForm(forms.Form):
    """The search of the find-a-slot page (and of the reschedule panel, with the type fixed)."""

    appointment_type = forms.ModelChoiceField(
        queryset=None,
        label="Appointment type",
        to_field_name="public_id",
        error_messages={
            "required": "Choose a visit type before searching.",
            "invalid_choice": "That visit type is no longer offered. Choose a visit type.",
        },
    )
    first_day = forms.DateField(label="From", widget=DATE)
    last_day = forms.DateField(label="To", widget=DATE)
    specialty = forms.ChoiceField(label="Specialty", required=False)
    location = SiteChoiceField(
        queryset=Location.objects.none(), label="Location", required=False, to_field_name="public_id"
    )
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.none(), label="Practitioner", required=False, to_field_name="public_id"
    )
    language = forms.ChoiceField(label="Speaks", required=False, choices=[("", "Any language"), *LANGUAGES])
    accepting_new_patients = forms.BooleanField(label="Accepting new patients", required=False)
    use_patient_availability = forms.BooleanField(label="Use the patient's availability", required=False)

    def __init__(self, *args, actor, types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appointment_type"].queryset = types
        self.fields["appointment_type"].empty_label = "Choose a visit type"
        self.fields["location"].queryset = slot_search_locations(actor)
        self.fields["location"].empty_label = "Any location"
        people = _own(Practitioner, actor).filter(schedules__active=True).distinct()
        self.fields["practitioner"].queryset = people
        self.fields["practitioner"].empty_label = "Anyone"
        specialties = sorted(set(people.exclude(specialty_code="").values_list("specialty_code", "specialty_display")))
        self.fields["specialty"].choices = [
            ("", "Any specialty"),
            *((code, name or code) for code, name in specialties),
        ]

    @staticmethod
    def initial_for(actor, *, patient=None, appointment_type=None) -> dict:
        """
        The search a page opens with: today and the next two weeks. No type unless the caller names one:
        a preselected type got booked by mistake (a follow-up as a 50-minute counseling session).
        """
        today = clock.today_in(actor.organization.tz)
        return {
            "appointment_type": str(appointment_type.public_id) if appointment_type else "",
            "first_day": today.isoformat(),
            "last_day": (today + dt.timedelta(days=DEFAULT_WINDOW_DAYS)).isoformat(),
            "use_patient_availability": "on" if patient is not None else "",
        }

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last:
            if last < first:
                self.add_error("last_day", "The search window ends before it starts.")
            elif (last - first).days > MAX_WINDOW_DAYS:
                self.add_error("last_day", f"Search at most {MAX_WINDOW_DAYS} days at a time.")
        return data


class SlotField(forms.CharField):
    """The "<practitioner>|<location>|<start>" token of a result's button."""

    default_error_messages = {"invalid": "That time could not be read. Search again and choose a time."}

    def __init__(self, **kwargs):
        super().__init__(max_length=120, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            practitioner_id, location_id, start_text = value.split("|")
            start = dt.datetime.fromisoformat(start_text)
        except ValueError as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc
        if start.tzinfo is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return practitioner_id, location_id, start


class _SlotChoiceForm(forms.Form):
    slot = SlotField(error_messages={"required": "Choose a time."})

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean_slot(self):
        practitioner_id, location_id, start = self.cleaned_data["slot"]
        try:
            practitioner = _own(Practitioner, self.actor).get(public_id=practitioner_id)
            location = _own(Location, self.actor).get(public_id=location_id)
        except (Practitioner.DoesNotExist, Location.DoesNotExist, forms.ValidationError, ValueError) as exc:
            raise forms.ValidationError("That practitioner or location is no longer available.") from exc
        return {"practitioner": practitioner, "location": location, "start": start}


class BookForm(_SlotChoiceForm):
    """A booking: the type searched for, the chosen slot, and why the patient is seen."""

    appointment_type = forms.ModelChoiceField(queryset=None, to_field_name="public_id", widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Reason for visit",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    field_order = ["reason", "appointment_type", "slot"]

    def __init__(self, *args, types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appointment_type"].queryset = types
        self.fields["appointment_type"].error_messages["invalid_choice"] = "Choose an appointment type."


class RescheduleForm(_SlotChoiceForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class CancelForm(forms.Form):
    reason = forms.ChoiceField(
        label="Reason",
        choices=[("", "Choose a reason…"), *CancellationReason.choices],
        error_messages={"required": "Choose a reason for the cancellation."},
    )
    note = forms.CharField(label="Note", max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class StatusForm(forms.Form):
    status = forms.CharField(max_length=20)
    version = forms.IntegerField(widget=forms.HiddenInput)


class PreferenceForm(forms.Form):
    """When the patient can come and what they need; blank days and times mean any."""

    weekdays = forms.TypedMultipleChoiceField(
        label="Days the patient can come",
        choices=[(value, WEEKDAY_SHORT[value]) for value, _ in Weekday.choices],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked means any day.",
    )
    earliest_time = forms.TimeField(label="Not before", required=False, widget=TIME)
    latest_time = forms.TimeField(label="Done by", required=False, widget=TIME)
    needs_transport = forms.BooleanField(label="Needs transport", required=False)
    transport_note = forms.CharField(label="Transport note", max_length=200, required=False)
    needs_interpreter = forms.BooleanField(label="Needs an interpreter", required=False)
    reminder_channel = forms.ChoiceField(label="Reminders by", choices=ReminderChannel.choices, required=False)

    @staticmethod
    def initial_for(preference) -> dict:
        return {
            "weekdays": list(preference.weekdays or []),
            "earliest_time": preference.earliest_time,
            "latest_time": preference.latest_time,
            "needs_transport": preference.needs_transport,
            "transport_note": preference.transport_note,
            "needs_interpreter": preference.needs_interpreter,
            "reminder_channel": preference.reminder_channel,
        }

    def clean(self):
        data = super().clean()
        earliest, latest = data.get("earliest_time"), data.get("latest_time")
        if earliest and latest and earliest >= latest:
            self.add_error("latest_time", "“Done by” must be after “Not before”.")
        return data


class CalendarForm(forms.Form):
    view = forms.ChoiceField(choices=[("day", "Day"), ("week", "Week")], required=False)
    date = forms.DateField(required=False, widget=DATE)
