"""factory_boy factories and small builders for scheduling tests."""

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from carecoord.scheduling.models import AppointmentType, PractitionerSchedule

from ..factories import LocationFactory, PractitionerFactory


class AppointmentTypeFactory(DjangoModelFactory):
    class Meta:
        model = AppointmentType

    organization = factory.SubFactory("tests.factories.OrganizationFactory")
    name = factory.Sequence(lambda n: f"Follow-up {n}")
    code = "FOLLOWUP"
    duration_minutes = 30


def weekly_hours(
    practitioner,
    location,
    types,
    *,
    weekdays=range(5),
    start=dt.time(9, 0),
    end=dt.time(17, 0),
    effective_from=None,
    effective_until=None,
):
    """Gives `practitioner` the same hours at `location` on each of `weekdays`, offering `types`."""
    blocks = []
    for weekday in weekdays:
        block = PractitionerSchedule.objects.create(
            organization=practitioner.organization,
            practitioner=practitioner,
            location=location,
            weekday=weekday,
            start_time=start,
            end_time=end,
            effective_from=effective_from,
            effective_until=effective_until,
        )
        block.appointment_types.set(types)
        blocks.append(block)
    return blocks


def clinic(org, **practitioner_fields):
    """A practitioner with Monday-Friday 9-17 hours at a location, offering a 30-minute follow-up."""
    practitioner = PractitionerFactory(organization=org, **practitioner_fields)
    location = LocationFactory(organization=org)
    kind = AppointmentTypeFactory(organization=org)
    weekly_hours(practitioner, location, [kind])
    return practitioner, location, kind
