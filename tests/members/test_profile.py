"""Each person edits their own name, department and phone number."""

import pytest
from django.urls import reverse

from members.models import AccessChange, MembershipStatus, Organisation, User

pytestmark = pytest.mark.django_db

URL = reverse("members:profile")
VALID = {"display_name": "佐藤 花子", "department": "企画課", "phone": "0767-53-1111"}


@pytest.fixture(autouse=True)
def _no_staff_mfa(settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False


def profile_changes(user):
    return AccessChange.objects.filter(user=user, field__in=User.PROFILE_FIELDS)


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_staff_of_a_suspended_organisation_cannot_edit(client, member):
    Organisation.objects.filter(pk=member.organisation.pk).update(
        membership_status=MembershipStatus.SUSPENDED
    )
    client.force_login(member)
    response = client.post(URL, VALID)
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.display_name == "山田 太郎"


def test_page_shows_own_details_and_links_to_mail_and_address(member_client, member):
    response = member_client.get(URL)
    assert response.status_code == 200
    assert response.context["form"].initial["display_name"] == member.display_name
    content = response.content.decode()
    assert reverse("account_email") in content
    assert reverse("boards:notification_settings") in content
    # Mail preferences and the address have one place each: not this form.
    assert set(response.context["form"].fields) == {
        "display_name",
        "department",
        "phone",
    }


def test_saving_changes_name_department_and_phone(member_client, member):
    response = member_client.post(URL, {**VALID, "phone": "０７６７－５３－１１１１"})
    assert response.status_code == 302
    assert response["Location"] == URL
    member.refresh_from_db()
    assert (member.display_name, member.department, member.phone) == (
        "佐藤 花子",
        "企画課",
        "0767-53-1111",
    )


def test_each_changed_field_is_recorded(member_client, member):
    member_client.post(URL, {**VALID, "department": member.department})
    records = {
        change.field: (change.old_value, change.new_value, change.changed_by)
        for change in AccessChange.objects.filter(
            user=member, field__in=User.PROFILE_FIELDS
        )
    }
    assert records == {
        "display_name": ("山田 太郎", "佐藤 花子", member),
        "phone": ("", "0767-53-1111", member),
    }


def test_saving_unchanged_details_records_nothing(member_client, member):
    member_client.post(
        URL,
        {"display_name": member.display_name, "department": member.department},
    )
    assert not AccessChange.objects.filter(
        user=member, field__in=User.PROFILE_FIELDS
    ).exists()


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({**VALID, "display_name": ""}, "display_name", "required"),
        ({**VALID, "display_name": "x" * 101}, "display_name", "max_length"),
        ({**VALID, "phone": "0767"}, "phone", "phone"),
        ({**VALID, "phone": "電話番号"}, "phone", "phone"),
    ],
)
def test_invalid_input_is_refused_and_nothing_is_saved(
    member_client, member, data, field, code
):
    response = member_client.post(URL, data)
    assert response.status_code == 200
    assert response.context["form"].has_error(field, code)
    member.refresh_from_db()
    assert (member.display_name, member.department, member.phone) == (
        "山田 太郎",
        "観光交流課",
        "",
    )
    assert not AccessChange.objects.filter(
        user=member, field__in=User.PROFILE_FIELDS
    ).exists()


def test_other_fields_in_the_form_are_ignored(member_client, member, other_member):
    member_client.post(
        URL,
        {
            **VALID,
            "email": "taken@example.jp",
            "organisation": other_member.organisation.pk,
            "mail_mode": "daily",
        },
    )
    member.refresh_from_db()
    assert member.email == "member@example.jp"
    assert member.organisation_id != other_member.organisation_id
    assert member.mail_mode == "notices"


def test_a_person_edits_only_their_own_profile(client, member, other_member):
    client.force_login(other_member)
    client.post(URL, VALID)
    member.refresh_from_db()
    other_member.refresh_from_db()
    assert member.display_name == "山田 太郎"
    assert other_member.display_name == "佐藤 花子"


def test_office_sees_the_name_change_in_admin(
    client, member_client, member, office_staff
):
    member_client.post(URL, VALID)
    client.force_login(office_staff)
    response = client.get(reverse("admin:members_user_change", args=[member.pk]))
    content = response.content.decode()
    assert "佐藤 花子" in content
    assert "山田 太郎" in content


def test_the_site_menu_links_to_the_profile(member_client):
    response = member_client.get(reverse("members:directory"))
    assert f'href="{URL}"' in response.content.decode()
