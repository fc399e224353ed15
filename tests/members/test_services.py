import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from members import permissions
from members.models import User
from members.services import accounts

pytestmark = pytest.mark.django_db


def test_role_groups_exist_after_migrate():
    names = set(Group.objects.values_list("name", flat=True))
    assert set(permissions.ROLE_LABELS) <= names


def test_office_group_can_change_organisations():
    group = Group.objects.get(name=permissions.OFFICE_STAFF)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"change_organisation", "change_user"} <= codenames


def test_member_group_has_no_admin_permissions():
    group = Group.objects.get(name=permissions.MEMBER_STAFF)
    assert not group.permissions.exists()


def test_user_create_makes_member_with_unverified_address(make_organisation):
    organisation = make_organisation(name="七尾市")
    user = accounts.user_create(
        email="Someone@Example.JP",
        display_name="山田 太郎",
        organisation=organisation,
    )
    assert user.email == "Someone@example.jp"
    assert permissions.roles_of(user) == {permissions.MEMBER_STAFF}
    assert not user.has_usable_password()
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.primary, address.verified) == (
        user.email,
        True,
        False,
    )


def test_user_create_refuses_a_duplicate_address_ignoring_case(
    member, make_organisation
):
    with pytest.raises(ValidationError):
        accounts.user_create(
            email=member.email.upper(),
            display_name="別人",
            organisation=make_organisation(),
        )
    assert User.objects.count() == 1


def test_user_create_refuses_ward_role_outside_a_ward_and_saves_nothing(
    make_organisation,
):
    with pytest.raises(ValidationError) as raised:
        accounts.user_create(
            email="ward@example.jp",
            display_name="区 職員",
            organisation=make_organisation(kind="city"),
            role=permissions.WARD_STAFF,
        )
    assert raised.value.code == "not_a_ward"
    assert not User.objects.exists()
    assert not EmailAddress.objects.exists()


def test_user_set_role_replaces_the_previous_role(ward_staff):
    accounts.user_set_role(user=ward_staff, role=permissions.OFFICE_STAFF, actor=None)
    fresh = User.objects.get(pk=ward_staff.pk)
    assert permissions.roles_of(fresh) == {permissions.OFFICE_STAFF}


def test_user_signature_shows_prefecture_organisation_department_and_name(
    make_organisation, make_user
):
    ishikawa = make_organisation(name="石川県", kind="prefecture")
    nanao = make_organisation(name="七尾市", kind="city", prefecture=ishikawa)
    user = make_user(organisation=nanao, department="観光交流課", display_name="山田")
    assert user.signature == "石川県七尾市 観光交流課 山田"


def test_ward_name_has_no_prefecture_prefix(make_organisation):
    tokyo = make_organisation(name="東京都", kind="prefecture")
    chiyoda = make_organisation(name="千代田区", kind="special_ward", prefecture=tokyo)
    assert chiyoda.full_name == "千代田区"
