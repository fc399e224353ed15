import pytest
from django.contrib.auth.models import AnonymousUser

from members import permissions

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(member, ward_staff, office_staff):
    return {"member": member, "ward": ward_staff, "office": office_staff}


@pytest.mark.parametrize(
    ("who", "office", "ward", "admin"),
    [
        ("member", False, False, False),
        ("ward", False, True, True),
        ("office", True, False, True),
    ],
)
def test_role_predicates(people, who, office, ward, admin):
    user = people[who]
    assert permissions.is_office_staff(user) is office
    assert permissions.is_ward_staff(user) is ward
    assert permissions.can_use_admin(user) is admin
    assert user.is_staff is admin


def test_anonymous_user_has_no_role():
    anonymous = AnonymousUser()
    assert permissions.roles_of(anonymous) == frozenset()
    assert not permissions.is_office_staff(anonymous)
    assert not permissions.is_ward_staff(anonymous)


def test_deactivated_staff_cannot_use_admin(office_staff):
    office_staff.is_active = False
    assert not permissions.can_use_admin(office_staff)


def test_superuser_counts_as_office_staff(make_user):
    user = make_user()
    user.is_superuser = True
    assert permissions.is_office_staff(user)
    assert permissions.can_use_admin(user)


@pytest.mark.parametrize(
    ("who", "required"), [("member", False), ("ward", True), ("office", True)]
)
def test_two_factor_is_required_for_staff_only(people, settings, who, required):
    settings.RENKEI_REQUIRE_STAFF_MFA = True
    assert permissions.must_use_two_factor(people[who]) is required


def test_two_factor_requirement_can_be_switched_off(ward_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    assert not permissions.must_use_two_factor(ward_staff)


@pytest.mark.parametrize(
    ("role", "kind", "fits"),
    [
        (permissions.WARD_STAFF, "special_ward", True),
        (permissions.WARD_STAFF, "city", False),
        (permissions.WARD_STAFF, "body", False),
        (permissions.MEMBER_STAFF, "city", True),
        (permissions.OFFICE_STAFF, "body", True),
    ],
)
def test_role_fits_organisation(make_organisation, role, kind, fits):
    organisation = make_organisation(kind=kind)
    assert permissions.role_fits_organisation(role, organisation) is fits


def test_roles_are_read_once_per_user_object(member, django_assert_num_queries):
    permissions.roles_of(member)
    with django_assert_num_queries(0):
        permissions.is_office_staff(member)
        permissions.is_ward_staff(member)


@pytest.mark.parametrize(
    ("role", "kind", "ward", "staff"),
    [
        (permissions.WARD_STAFF, "special_ward", True, True),
        (permissions.MEMBER_STAFF, "special_ward", True, False),
        (permissions.MEMBER_STAFF, "city", False, False),
        (permissions.OFFICE_STAFF, "body", False, False),
    ],
)
def test_special_ward_staff(make_organisation, make_user, role, kind, ward, staff):
    user = make_user(organisation=make_organisation(kind=kind), role=role)
    assert permissions.is_special_ward(user.organisation) is ward
    assert permissions.is_special_ward_staff(user) is staff


@pytest.mark.parametrize(
    ("who", "told"),
    [("member", True), ("ward", True), ("office", False), (None, False)],
)
def test_the_office_hears_of_changes_made_by_others(people, who, told):
    user = people[who] if who else None
    assert permissions.office_hears_of_changes_by(user) is told
