"""Directory writes against the real database: validation, conflicts, versions, roles and audit."""

import pytest

from carecoord.core.choices import AuditAction, Role
from carecoord.core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from carecoord.core.models import AuditEvent
from carecoord.directory import services
from carecoord.directory.models import ExternalOrganization, Location, Practitioner
from tests.factories import ExternalOrganizationFactory, LocationFactory, PractitionerFactory, make_actor

from .helpers import CMS_EXAMPLE_NPI, external_organization_data, location_data, practitioner_data, valid_npi


def audit_events(event: str):
    return AuditEvent.objects.filter(event=event)


# --- practitioners --------------------------------------------------------------------------------------


class TestPractitionerCreate:
    def test_creates_a_normalized_practitioner_and_audits_it(self, actor):
        practitioner = services.practitioner_create(
            actor=actor, data=practitioner_data(npi="123 456 7893", given_name="  Maria  ")
        )
        practitioner.refresh_from_db()
        assert practitioner.organization == actor.organization
        assert practitioner.given_name == "Maria"
        assert practitioner.npi == CMS_EXAMPLE_NPI
        assert practitioner.specialty_display == "Family Medicine"
        assert practitioner.languages == ["en", "es"]
        assert practitioner.phone == "+13125550100"
        assert practitioner.email == "m.lopez@example.org"
        event = audit_events("practitioner.create").get()
        assert event.action == AuditAction.CREATE
        assert event.object_id == str(practitioner.public_id)
        assert event.user == actor.user
        assert event.acting_organization == actor.organization
        assert event.tenant_organization == actor.organization

    def test_a_failed_npi_check_digit_is_a_field_error(self, actor):
        with pytest.raises(ValidationError) as caught:
            services.practitioner_create(actor=actor, data=practitioner_data(npi="1234567890"))
        assert caught.value.field == "npi"
        assert "1234567890 fails the NPI check digit" in caught.value.message
        assert not Practitioner.objects.exists()
        assert not audit_events("practitioner.create").exists()

    def test_a_nine_digit_npi_is_a_field_error(self, actor):
        with pytest.raises(ValidationError, match="10 digits") as caught:
            services.practitioner_create(actor=actor, data=practitioner_data(npi="123456789"))
        assert caught.value.field == "npi"

    def test_the_npi_is_optional(self, actor):
        assert services.practitioner_create(actor=actor, data=practitioner_data(npi="")).npi == ""

    def test_a_duplicate_npi_in_the_same_organization_is_a_conflict(self, actor):
        PractitionerFactory(organization=actor.organization, npi=CMS_EXAMPLE_NPI, given_name="Ann", family_name="Lee")
        with pytest.raises(ConflictError, match="Ann Lee") as caught:
            services.practitioner_create(actor=actor, data=practitioner_data())
        assert caught.value.field == "npi"
        assert Practitioner.objects.filter(npi=CMS_EXAMPLE_NPI).count() == 1

    def test_the_same_npi_in_another_organization_is_fine(self, actor, other_actor):
        services.practitioner_create(actor=other_actor, data=practitioner_data())
        services.practitioner_create(actor=actor, data=practitioner_data())
        assert Practitioner.objects.filter(npi=CMS_EXAMPLE_NPI).count() == 2

    def test_many_practitioners_may_have_no_npi(self, actor):
        services.practitioner_create(actor=actor, data=practitioner_data(npi=""))
        services.practitioner_create(actor=actor, data=practitioner_data(npi="", given_name="Other"))
        assert Practitioner.objects.filter(npi="").count() == 2

    def test_an_unknown_taxonomy_code_needs_its_display(self, actor):
        with pytest.raises(ValidationError) as caught:
            services.practitioner_create(actor=actor, data=practitioner_data(specialty_code="207RI0008X"))
        assert caught.value.field == "specialty_display"
        practitioner = services.practitioner_create(
            actor=actor, data=practitioner_data(specialty_code="207RI0008X", specialty_display="Hepatology")
        )
        assert (practitioner.specialty_code, practitioner.specialty_display) == ("207RI0008X", "Hepatology")

    def test_a_malformed_taxonomy_code_is_refused(self, actor):
        with pytest.raises(ValidationError) as caught:
            services.practitioner_create(actor=actor, data=practitioner_data(specialty_code="CARDIO"))
        assert caught.value.field == "specialty_code"

    def test_a_bad_phone_is_a_field_error(self, actor):
        with pytest.raises(ValidationError) as caught:
            services.practitioner_create(actor=actor, data=practitioner_data(phone="555-01"))
        assert caught.value.field == "phone"

    def test_an_unknown_language_is_refused(self, actor):
        with pytest.raises(ValidationError) as caught:
            services.practitioner_create(actor=actor, data=practitioner_data(languages=["en", "xx"]))
        assert caught.value.field == "languages"

    @pytest.mark.parametrize("field", ["given_name", "family_name"])
    def test_names_are_required(self, actor, field):
        with pytest.raises(ValidationError) as caught:
            services.practitioner_create(actor=actor, data=practitioner_data(**{field: "   "}))
        assert caught.value.field == field

    def test_a_bad_email_is_a_field_error(self, actor):
        with pytest.raises(ValidationError) as caught:
            services.practitioner_create(actor=actor, data=practitioner_data(email="not-an-email"))
        assert caught.value.field == "email"

    def test_links_to_an_external_organization_of_the_same_directory(self, actor):
        clinic = ExternalOrganizationFactory(organization=actor.organization)
        practitioner = services.practitioner_create(actor=actor, data=practitioner_data(external_organization=clinic))
        assert practitioner.external_organization == clinic

    def test_refuses_an_external_organization_of_another_directory(self, actor, other_org):
        foreign = ExternalOrganizationFactory(organization=other_org)
        with pytest.raises(ValidationError) as caught:
            services.practitioner_create(actor=actor, data=practitioner_data(external_organization=foreign))
        assert caught.value.field == "external_organization"

    def test_unknown_fields_are_a_programming_error(self, actor):
        with pytest.raises(TypeError, match="organization"):
            services.practitioner_create(actor=actor, data=practitioner_data(organization=None))


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SUPERVISOR, Role.SCHEDULER, Role.ORG_ADMIN])
def test_directory_editors_may_create(org, role):
    editor = make_actor(org, role)
    services.practitioner_create(actor=editor, data=practitioner_data())
    services.external_organization_create(actor=editor, data=external_organization_data())
    services.location_create(actor=editor, data=location_data())
    assert Practitioner.objects.count() == ExternalOrganization.objects.count() == Location.objects.count() == 1


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.AUDITOR])
def test_providers_and_auditors_may_not_change_the_directory(org, role):
    reader = make_actor(org, role)
    practitioner = PractitionerFactory(organization=org)
    calls = [
        lambda: services.practitioner_create(actor=reader, data=practitioner_data()),
        lambda: services.practitioner_update(actor=reader, practitioner=practitioner, data={"given_name": "X"},
                                             expected_version=practitioner.version),
        lambda: services.practitioner_deactivate(actor=reader, practitioner=practitioner),
        lambda: services.external_organization_create(actor=reader, data=external_organization_data()),
        lambda: services.location_create(actor=reader, data=location_data()),
    ]  # fmt: skip
    for call in calls:
        with pytest.raises(PermissionDeniedError):
            call()
    practitioner.refresh_from_db()
    assert practitioner.given_name != "X"
    assert practitioner.active
    assert Practitioner.objects.count() == 1
    assert not ExternalOrganization.objects.exists()
    assert not Location.objects.exists()
    assert not AuditEvent.objects.exists()


class TestPractitionerUpdate:
    def test_saves_bumps_the_version_and_audits_the_changed_fields(self, actor):
        practitioner = PractitionerFactory(organization=actor.organization, given_name="Ann", npi=valid_npi(1))
        updated = services.practitioner_update(
            actor=actor, practitioner=practitioner, expected_version=1,
            data={"given_name": "Anna", "accepting_new_patients": False, "npi": valid_npi(1)},
        )  # fmt: skip
        practitioner.refresh_from_db()
        assert (practitioner.given_name, practitioner.accepting_new_patients) == ("Anna", False)
        assert practitioner.version == updated.version == 2
        event = audit_events("practitioner.update").get()
        assert event.action == AuditAction.UPDATE
        assert event.detail == {"changed": ["given_name", "accepting_new_patients"]}

    def test_a_stale_version_is_a_conflict_and_changes_nothing(self, actor):
        practitioner = PractitionerFactory(organization=actor.organization, given_name="Ann")
        services.practitioner_update(actor=actor, practitioner=practitioner, data={"given_name": "Anne"},
                                     expected_version=1)  # fmt: skip
        with pytest.raises(ConflictError, match="Someone else saved changes"):
            services.practitioner_update(actor=actor, practitioner=practitioner, data={"given_name": "Annie"},
                                         expected_version=1)  # fmt: skip
        practitioner.refresh_from_db()
        assert (practitioner.given_name, practitioner.version) == ("Anne", 2)
        assert audit_events("practitioner.update").count() == 1

    def test_taking_another_practitioners_npi_is_a_conflict(self, actor):
        PractitionerFactory(organization=actor.organization, npi=valid_npi(1))
        second = PractitionerFactory(organization=actor.organization, npi=valid_npi(2))
        with pytest.raises(ConflictError) as caught:
            services.practitioner_update(actor=actor, practitioner=second, data={"npi": valid_npi(1)},
                                         expected_version=1)  # fmt: skip
        assert caught.value.field == "npi"
        second.refresh_from_db()
        assert second.npi == valid_npi(2)

    def test_invalid_input_is_refused(self, actor):
        practitioner = PractitionerFactory(organization=actor.organization)
        with pytest.raises(ValidationError):
            services.practitioner_update(actor=actor, practitioner=practitioner, data={"npi": "1234567890"},
                                         expected_version=1)  # fmt: skip

    def test_another_organizations_practitioner_is_not_found(self, actor, other_org):
        foreign = PractitionerFactory(organization=other_org, given_name="Ann")
        with pytest.raises(NotFoundError):
            services.practitioner_update(actor=actor, practitioner=foreign, data={"given_name": "X"},
                                         expected_version=1)  # fmt: skip
        foreign.refresh_from_db()
        assert foreign.given_name == "Ann"


class TestPractitionerDeactivate:
    def test_deactivates_once_and_reactivates(self, actor):
        practitioner = PractitionerFactory(organization=actor.organization)
        assert services.practitioner_deactivate(actor=actor, practitioner=practitioner).active is False
        services.practitioner_deactivate(actor=actor, practitioner=practitioner)
        practitioner.refresh_from_db()
        assert (practitioner.active, practitioner.version) == (False, 2)
        assert audit_events("practitioner.deactivate").count() == 1
        assert services.practitioner_reactivate(actor=actor, practitioner=practitioner).active is True
        assert audit_events("practitioner.reactivate").count() == 1

    def test_another_organizations_practitioner_is_not_found(self, actor, other_org):
        foreign = PractitionerFactory(organization=other_org)
        with pytest.raises(NotFoundError):
            services.practitioner_deactivate(actor=actor, practitioner=foreign)
        foreign.refresh_from_db()
        assert foreign.active


# --- external organizations -----------------------------------------------------------------------------


class TestExternalOrganization:
    def test_creates_a_normalized_organization_and_audits_it(self, actor):
        organization = services.external_organization_create(
            actor=actor,
            data=external_organization_data(fax="(312) 555-0199", npi="1234567893", postal_code="606011234"),
        )
        organization.refresh_from_db()
        assert organization.phone == "+13125550123"
        assert organization.fax == "+13125550199"
        assert organization.state == "IL"
        assert organization.postal_code == "60601-1234"
        event = audit_events("external_organization.create").get()
        assert (event.action, event.object_id) == (AuditAction.CREATE, str(organization.public_id))

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"postal_code": "6060"}, "postal_code"),
            ({"state": "ZZ"}, "state"),
            ({"npi": "1234567890"}, "npi"),
            ({"phone": "12"}, "phone"),
            ({"fax": "abc"}, "fax"),
            ({"name": ""}, "name"),
            ({"kind": ""}, "kind"),
            ({"kind": "spaceport"}, "kind"),
            ({"website": "not a url"}, "website"),
        ],
    )
    def test_bad_input_names_the_field(self, actor, change, field):
        with pytest.raises(ValidationError) as caught:
            services.external_organization_create(actor=actor, data=external_organization_data(**change))
        assert caught.value.field == field
        assert not ExternalOrganization.objects.exists()

    def test_update_with_a_stale_version_is_a_conflict(self, actor):
        organization = ExternalOrganizationFactory(organization=actor.organization, name="Old Name")
        services.external_organization_update(actor=actor, organization=organization, data={"name": "New Name"},
                                              expected_version=1)  # fmt: skip
        with pytest.raises(ConflictError):
            services.external_organization_update(actor=actor, organization=organization, data={"name": "Stale"},
                                                  expected_version=1)  # fmt: skip
        organization.refresh_from_db()
        assert (organization.name, organization.version) == ("New Name", 2)
        assert audit_events("external_organization.update").get().detail == {"changed": ["name"]}

    def test_update_may_deactivate(self, actor):
        organization = ExternalOrganizationFactory(organization=actor.organization)
        services.external_organization_update(actor=actor, organization=organization, data={"active": False},
                                              expected_version=1)  # fmt: skip
        organization.refresh_from_db()
        assert not organization.active

    def test_another_organizations_entry_is_not_found(self, actor, other_org):
        foreign = ExternalOrganizationFactory(organization=other_org)
        with pytest.raises(NotFoundError):
            services.external_organization_update(actor=actor, organization=foreign, data={"name": "X"},
                                                  expected_version=1)  # fmt: skip


# --- locations ------------------------------------------------------------------------------------------


class TestLocation:
    def test_creates_a_location_with_hours_and_audits_it(self, actor):
        location = services.location_create(
            actor=actor, data=location_data(phone="312.555.0100", hours={"sun": [], "mon": [["8:00", "17:00"]]})
        )
        location.refresh_from_db()
        assert location.hours == {"mon": [["08:00", "17:00"]], "sun": []}
        assert location.phone == "+13125550100"
        assert audit_events("location.create").get().object_id == str(location.public_id)

    def test_closing_before_opening_names_the_day(self, actor):
        with pytest.raises(ValidationError) as caught:
            services.location_create(actor=actor, data=location_data(hours={"tue": [["17:00", "08:00"]]}))
        assert caught.value.field == "tue_close"
        assert "Tuesday" in caught.value.message
        assert not Location.objects.exists()

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"postal_code": "ABCDE"}, "postal_code"),
            ({"postal_code": ""}, "postal_code"),
            ({"state": ""}, "state"),
            ({"state": "QQ"}, "state"),
            ({"phone": "555"}, "phone"),
            ({"address_line": " "}, "address_line"),
            ({"city": ""}, "city"),
            ({"name": ""}, "name"),
        ],
    )
    def test_bad_input_names_the_field(self, actor, change, field):
        with pytest.raises(ValidationError) as caught:
            services.location_create(actor=actor, data=location_data(**change))
        assert caught.value.field == field

    def test_belongs_only_to_an_external_organization_of_the_same_directory(self, actor, other_org):
        own = ExternalOrganizationFactory(organization=actor.organization)
        assert (
            services.location_create(actor=actor, data=location_data(external_organization=own)).external_organization
            == own
        )
        with pytest.raises(ValidationError):
            services.location_create(
                actor=actor,
                data=location_data(external_organization=ExternalOrganizationFactory(organization=other_org)),
            )

    def test_update_with_a_stale_version_is_a_conflict(self, actor):
        location = LocationFactory(organization=actor.organization)
        services.location_update(actor=actor, location=location, data={"hours": {"sat": []}}, expected_version=1)
        with pytest.raises(ConflictError):
            services.location_update(actor=actor, location=location, data={"name": "Stale"}, expected_version=1)
        location.refresh_from_db()
        assert (location.hours, location.version) == ({"sat": []}, 2)
        assert audit_events("location.update").get().detail == {"changed": ["hours"]}

    def test_another_organizations_location_is_not_found(self, actor, other_org):
        foreign = LocationFactory(organization=other_org)
        with pytest.raises(NotFoundError):
            services.location_update(actor=actor, location=foreign, data={"name": "X"}, expected_version=1)
