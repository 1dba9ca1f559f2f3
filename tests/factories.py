"""factory_boy factories for the foundation's models."""

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from carecoord.core.access import Actor
from carecoord.core.choices import OrganizationKind, Role
from carecoord.core.models import BreakGlassAccess, Membership, Organization, User
from carecoord.directory.models import ExternalOrganization, Location, Practitioner
from carecoord.patients.domain import search_name, sort_name
from carecoord.patients.models import Condition, Patient, RelatedPerson

TEST_PASSWORD = "correct-horse-battery-staple-42"


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Test Clinic {n}")
    slug = factory.Sequence(lambda n: f"test-clinic-{n}")
    kind = OrganizationKind.CLINIC
    state = "IL"
    timezone = "America/Chicago"
    require_mfa = False


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.COORDINATOR


def make_actor(organization: Organization | None = None, *roles: str, user: User | None = None) -> Actor:
    """A user with the given roles (coordinator by default) in `organization`, as an Actor."""
    organization = organization or OrganizationFactory()
    user = user or UserFactory()
    for role in roles or (Role.COORDINATOR,):
        Membership.objects.get_or_create(user=user, organization=organization, role=role)
    return Actor(user=user, organization=organization, roles=frozenset(roles or (Role.COORDINATOR,)))


class PatientFactory(DjangoModelFactory):
    class Meta:
        model = Patient

    organization = factory.SubFactory(OrganizationFactory)
    mrn = factory.Sequence(lambda n: f"MRN{n:06d}")
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    birth_date = factory.Faker("date_of_birth", minimum_age=20, maximum_age=95)
    gender = "female"
    search_name = factory.LazyAttribute(lambda o: search_name(o.given_name, o.family_name))
    sort_name = factory.LazyAttribute(lambda o: sort_name(o.family_name, o.given_name))


class RelatedPersonFactory(DjangoModelFactory):
    class Meta:
        model = RelatedPerson

    patient = factory.SubFactory(PatientFactory)
    organization = factory.SelfAttribute("patient.organization")
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    relationship = "DAUC"
    phone = "+13125550142"


class ConditionFactory(DjangoModelFactory):
    class Meta:
        model = Condition

    patient = factory.SubFactory(PatientFactory)
    organization = factory.SelfAttribute("patient.organization")
    code_system = "http://hl7.org/fhir/sid/icd-10-cm"
    code = "E11.9"
    display = "Type 2 diabetes mellitus without complications"
    onset_date = dt.date(2015, 6, 1)


class ExternalOrganizationFactory(DjangoModelFactory):
    class Meta:
        model = ExternalOrganization

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Outside Practice {n}")
    kind = "clinic"


class PractitionerFactory(DjangoModelFactory):
    class Meta:
        model = Practitioner

    organization = factory.SubFactory(OrganizationFactory)
    npi = ""
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    suffix = "MD"
    specialty_code = "207Q00000X"
    specialty_display = "Family Medicine"
    languages = ["en"]


class LocationFactory(DjangoModelFactory):
    class Meta:
        model = Location

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Main Street Site {n}")
    address_line = "100 Main St"
    city = "Springfield"
    state = "IL"
    postal_code = "62701"


def share_by_consent(home_actor: Actor, patient: Patient, grantee: Organization, signed_on: dt.date):
    """The patient's signed consent to share with `grantee`, and the share it allows (through the services)."""
    from carecoord.patients import services

    consent = services.consent_record(
        actor=home_actor, patient=patient, grantee=grantee, signed_on=signed_on, signed_by="The patient",
        method="Signed form",
    )  # fmt: skip
    return services.share_grant(actor=home_actor, patient=patient, consent=consent)


def open_break_glass(user: User, patient: Patient, opened_at: dt.datetime, expires_at: dt.datetime, reason="Emergency"):
    """A break-glass window of `user` on a restricted `patient` (of the patient's organization), as stored."""
    return BreakGlassAccess.objects.create(
        organization=patient.organization, user=user, patient_pk=patient.pk, patient_public_id=patient.public_id,
        reason=reason, opened_at=opened_at, expires_at=expires_at,
    )  # fmt: skip
