"""Writes on organizations, users and memberships (core.services) and the actor checks (core.access)."""

import pytest
from django.contrib.auth.hashers import check_password

from carecoord.core.access import actor_for, memberships_of, require_patient_editor, require_patient_reader
from carecoord.core.choices import Role
from carecoord.core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from carecoord.core.models import AuditEvent, Membership, Organization, User
from carecoord.core.services import (
    membership_add,
    organization_create,
    organization_settings_update,
    user_create,
)
from tests.factories import OrganizationFactory, UserFactory, make_actor

GOOD_PASSWORD = "plum-orchard-ladder-1987"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.Argon2PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 takes most of a second per hash; tests that check the stored hash switch it back on."""
    settings.PASSWORD_HASHERS = FAST_HASHERS


def create_org(**overrides) -> Organization:
    values = {"name": "Lakeview Clinic", "kind": "clinic", "state": "IL", "timezone": "America/Chicago"}
    return organization_create(**(values | overrides))


# --- organization_create ----------------------------------------------------------------------------------


def test_organization_create_defaults(db):
    org = create_org(state="il")
    assert org.slug == "lakeview-clinic"
    assert org.state == "IL"
    assert org.require_mfa is True
    assert org.idle_timeout_minutes == 15
    event = AuditEvent.objects.get(event="organization.create")
    assert event.acting_organization == org
    assert event.tenant_organization == org
    assert event.object_id == str(org.public_id)


def test_organization_create_makes_slugs_unique(db):
    first = create_org()
    second = create_org()
    third = create_org(name="Lakeview   Clinic!")
    assert [first.slug, second.slug, third.slug] == ["lakeview-clinic", "lakeview-clinic-2", "lakeview-clinic-3"]


def test_organization_create_with_a_name_that_has_no_slug_letters(db):
    assert create_org(name="!!!").slug == "organization"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": None}, "name"),
        ({"kind": "spaceport"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"state": "XX"}, "state"),
        ({"state": ""}, "state"),
        ({"state": None}, "state"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "-leading-dash"}, "slug"),
    ],
)
def test_organization_create_rejects_bad_input(db, overrides, field):
    with pytest.raises(ValidationError) as info:
        create_org(**overrides)
    assert info.value.field == field
    assert info.value.message
    assert not Organization.objects.exists()
    assert not AuditEvent.objects.exists()


def test_organization_create_rejects_a_taken_slug(db):
    create_org(slug="lakeview")
    with pytest.raises(ConflictError) as info:
        create_org(name="Another", slug="lakeview")
    assert info.value.field == "slug"
    assert Organization.objects.count() == 1


# --- user_create ------------------------------------------------------------------------------------------


def test_user_create_stores_an_argon2_hash_and_a_membership(org, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = user_create(
        email="  Alice.Smith@Example.ORG ", full_name=" Alice Smith ", password=GOOD_PASSWORD, organization=org,
        role=Role.COORDINATOR,
    )  # fmt: skip
    user.refresh_from_db()
    assert user.email == "alice.smith@example.org"
    assert user.full_name == "Alice Smith"
    assert user.password.startswith("argon2")
    assert GOOD_PASSWORD not in user.password
    assert check_password(GOOD_PASSWORD, user.password)
    assert list(Membership.objects.filter(user=user).values_list("organization", "role")) == [
        (org.pk, Role.COORDINATOR)
    ]
    event = AuditEvent.objects.get(event="user.create")
    assert event.acting_organization == org
    assert event.detail == {"role": "coordinator"}
    assert GOOD_PASSWORD not in str(event.detail)


def test_user_create_names_the_user_from_the_email_when_no_name_is_given(org):
    user = user_create(email="bob@example.org", full_name="", password=GOOD_PASSWORD, organization=org,
                       role=Role.PROVIDER)  # fmt: skip
    assert user.full_name == "bob"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"email": "a@b"}, "email"),
        ({"role": "superhero"}, "role"),
        ({"password": "Sh0rt-pass"}, "password"),  # under 12 characters
        ({"password": "password1234"}, "password"),  # common
        ({"password": "123456789012345"}, "password"),  # all digits
        ({"password": "alice.smith.example"}, "password"),  # too like the email
    ],
)
def test_user_create_rejects_bad_input(org, overrides, field):
    values = {"email": "alice.smith@example.org", "full_name": "Alice Smith", "password": GOOD_PASSWORD,
              "organization": org, "role": Role.COORDINATOR}  # fmt: skip
    with pytest.raises(ValidationError) as info:
        user_create(**(values | overrides))
    assert info.value.field == field
    assert not User.objects.exists()
    assert not Membership.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(("first", "second"), [("Alice@x.org", "alice@x.org"), ("alice@x.org", "ALICE@X.ORG")])
def test_user_create_rejects_the_same_email_in_another_case(org, first, second):
    user_create(email=first, full_name="", password=GOOD_PASSWORD, organization=org, role=Role.COORDINATOR)
    with pytest.raises(ConflictError) as info:
        user_create(email=second, full_name="", password=GOOD_PASSWORD, organization=org, role=Role.PROVIDER)
    assert info.value.field == "email"
    assert User.objects.count() == 1
    assert Membership.objects.count() == 1


# --- membership_add ---------------------------------------------------------------------------------------


def test_membership_add_by_an_org_admin(org):
    admin = make_actor(org, Role.ORG_ADMIN)
    user = UserFactory()
    membership = membership_add(actor=admin, user=user, organization=org, role=Role.SCHEDULER)
    assert membership.active
    assert AuditEvent.objects.get(event="membership.add").user == admin.user


def test_membership_add_reactivates_an_old_membership(org):
    user = UserFactory()
    old = Membership.objects.create(user=user, organization=org, role=Role.PROVIDER, active=False)
    membership = membership_add(actor=None, user=user, organization=org, role=Role.PROVIDER)
    assert membership.pk == old.pk
    old.refresh_from_db()
    assert old.active


def test_membership_add_refuses_non_admins_and_other_organizations(org, other_org):
    user = UserFactory()
    with pytest.raises(PermissionDeniedError):
        membership_add(actor=make_actor(org, Role.COORDINATOR), user=user, organization=org, role=Role.PROVIDER)
    with pytest.raises(ValidationError):
        membership_add(actor=make_actor(org, Role.ORG_ADMIN), user=user, organization=other_org, role=Role.PROVIDER)
    with pytest.raises(ValidationError) as info:
        membership_add(actor=None, user=user, organization=org, role="wizard")
    assert info.value.field == "role"
    assert not Membership.objects.filter(user=user).exists()


# --- organization_settings_update -------------------------------------------------------------------------


def test_settings_update_by_the_org_admin(org):
    admin = make_actor(org, Role.ORG_ADMIN)
    updated = organization_settings_update(
        actor=admin, idle_timeout_minutes=30, require_mfa=True, expected_version=org.version
    )
    assert (updated.idle_timeout_minutes, updated.require_mfa, updated.version) == (30, True, org.version + 1)
    org.refresh_from_db()
    assert org.idle_timeout_minutes == 30
    event = AuditEvent.objects.get(event="organization.settings")
    assert event.detail == {"idle_timeout_minutes": 30, "require_mfa": True, "escalation_hours": 24}
    assert event.acting_organization == org


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SUPERVISOR, Role.AUDITOR, Role.PROVIDER])
def test_settings_update_only_by_an_org_admin(org, role):
    with pytest.raises(PermissionDeniedError):
        organization_settings_update(
            actor=make_actor(org, role), idle_timeout_minutes=30, require_mfa=True, expected_version=org.version
        )
    org.refresh_from_db()
    assert org.idle_timeout_minutes == 15


@pytest.mark.parametrize(("minutes", "ok"), [(0, False), (1, True), (720, True), (721, False), (-5, False)])
def test_settings_update_idle_timeout_range(org, minutes, ok):
    admin = make_actor(org, Role.ORG_ADMIN)
    if ok:
        updated = organization_settings_update(
            actor=admin, idle_timeout_minutes=minutes, require_mfa=False, expected_version=org.version
        )
        assert updated.idle_timeout_minutes == minutes
    else:
        with pytest.raises(ValidationError) as info:
            organization_settings_update(
                actor=admin, idle_timeout_minutes=minutes, require_mfa=False, expected_version=org.version
            )
        assert info.value.field == "idle_timeout_minutes"


def test_settings_update_with_a_stale_version_conflicts(org):
    admin = make_actor(org, Role.ORG_ADMIN)
    other_admin = make_actor(org, Role.ORG_ADMIN)
    version = org.version
    organization_settings_update(actor=admin, idle_timeout_minutes=20, require_mfa=True, expected_version=version)
    with pytest.raises(ConflictError):
        organization_settings_update(
            actor=other_admin, idle_timeout_minutes=60, require_mfa=False, expected_version=version
        )
    org.refresh_from_db()
    assert (org.idle_timeout_minutes, org.require_mfa) == (20, True)
    assert AuditEvent.objects.filter(event="organization.settings").count() == 1


# --- access -----------------------------------------------------------------------------------------------


def test_actor_for_a_member(org):
    user = UserFactory()
    make_actor(org, Role.COORDINATOR, Role.ORG_ADMIN, user=user)
    actor = actor_for(user, org)
    assert actor.roles == {Role.COORDINATOR, Role.ORG_ADMIN}
    assert actor.is_org_admin
    assert actor.can_edit_patients


def test_actor_for_refuses_non_members_and_inactive_users_and_organizations(org, other_org):
    user = UserFactory()
    make_actor(org, Role.COORDINATOR, user=user)
    with pytest.raises(NotFoundError):
        actor_for(user, other_org)
    Membership.objects.filter(user=user).update(active=False)
    with pytest.raises(NotFoundError):
        actor_for(user, org)
    Membership.objects.filter(user=user).update(active=True)
    org.active = False
    org.save()
    with pytest.raises(NotFoundError):
        actor_for(user, org)
    assert not memberships_of(user).exists()
    org.active = True
    org.save()
    user.is_active = False
    user.save()
    with pytest.raises(NotFoundError):
        actor_for(user, org)


@pytest.mark.parametrize(
    ("role", "reads", "writes"),
    [
        (Role.COORDINATOR, True, True),
        (Role.PROVIDER, True, True),
        (Role.SUPERVISOR, True, True),
        (Role.ORG_ADMIN, True, True),
        (Role.SCHEDULER, True, False),
        (Role.AUDITOR, False, False),
    ],
)
def test_patient_access_by_role(org, role, reads, writes):
    actor = make_actor(org, role)
    assert actor.can_see_patients is reads
    assert actor.can_edit_patients is writes
    if reads:
        require_patient_reader(actor)
    else:
        with pytest.raises(NotFoundError):
            require_patient_reader(actor)
    if writes:
        require_patient_editor(actor)
    else:
        with pytest.raises(PermissionDeniedError):
            require_patient_editor(actor)


def test_memberships_of_lists_active_organizations_in_name_order(db):
    user = UserFactory()
    zeta = OrganizationFactory(name="Zeta Health")
    alpha = OrganizationFactory(name="Alpha Care")
    closed = OrganizationFactory(name="Closed Clinic", active=False)
    for org in (zeta, alpha, closed):
        make_actor(org, Role.COORDINATOR, user=user)
    assert [m.organization for m in memberships_of(user)] == [alpha, zeta]


@pytest.mark.parametrize(("overrides", "field"), [({"name": "N" * 201}, "name"), ({"slug": "s" * 61}, "slug")])
def test_organization_create_rejects_values_too_long_to_store(db, overrides, field):
    with pytest.raises(ValidationError) as info:
        create_org(**overrides)
    assert info.value.field == field
    assert not Organization.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"full_name": "F" * 201}, "full_name"), ({"email": "a" * 250 + "@example.org"}, "email")],
)
def test_user_create_rejects_values_too_long_to_store(org, overrides, field):
    values = {"email": "alice.smith@example.org", "full_name": "Alice Smith", "password": GOOD_PASSWORD,
              "organization": org, "role": Role.COORDINATOR}  # fmt: skip
    with pytest.raises(ValidationError) as info:
        user_create(**(values | overrides))
    assert info.value.field == field
    assert not User.objects.exists()
