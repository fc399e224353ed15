import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from members.models import ContactChange, MembershipStatus
from members.services import accounts, organisations

pytestmark = pytest.mark.django_db


def contact_url(organisation):
    return reverse("members:organisation_contact", args=[organisation.pk])


def contact_data(organisation, **overrides):
    return {
        "department": "観光交流課",
        "contact_person": "山田 太郎",
        "contact_email": "kanko@example.jp",
        "phone": "0767-53-1111",
        "postal_code": "926-8611",
        "address": "石川県七尾市袖ケ江町イ部25番地",
        "version": organisation.contact_version,
        **overrides,
    }


def test_own_staff_edit_contact_details_and_each_change_is_recorded(
    member_client, member, office_staff, django_capture_on_commit_callbacks
):
    organisation = member.organisation
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            contact_url(organisation), contact_data(organisation)
        )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.contact_person == "山田 太郎"
    assert organisation.contact_version == 1
    changes = ContactChange.objects.filter(organisation=organisation).exclude(
        field="contact_confirmed_at"
    )
    assert {change.field for change in changes} == set(organisation.CONTACT_FIELDS)
    assert all(change.changed_by == member for change in changes)
    assert all(change.old_value == "" for change in changes)
    (notice,) = mail.outbox
    assert notice.to == [office_staff.email]
    assert "山田 太郎" in notice.body


def test_saving_also_confirms_the_details_for_the_year(member_client, member):
    organisation = member.organisation
    member_client.post(contact_url(organisation), contact_data(organisation))
    organisation.refresh_from_db()
    assert not organisations.confirmation_pending(organisation=organisation)


def test_office_changes_are_recorded_but_not_mailed_to_the_office(
    client, member, office_staff, settings, django_capture_on_commit_callbacks
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.force_login(office_staff)
    organisation = member.organisation
    with django_capture_on_commit_callbacks(execute=True):
        client.post(contact_url(organisation), contact_data(organisation))
    assert ContactChange.objects.filter(changed_by=office_staff).exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact_email", "not-an-address", "有効なメールアドレスを入力してください"),
        ("phone", "12345", "市外局番から"),
        ("postal_code", "92686", "7桁の郵便番号"),
        ("contact_person", "", "このフィールドは必須です"),
    ],
)
def test_bad_contact_details_are_refused_and_nothing_changes(
    member_client, member, field, value, message
):
    organisation = member.organisation
    response = member_client.post(
        contact_url(organisation), contact_data(organisation, **{field: value})
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.contact_version == 0
    assert not ContactChange.objects.exists()


def test_full_width_postal_code_is_normalised(member_client, member):
    organisation = member.organisation
    member_client.post(
        contact_url(organisation),
        contact_data(organisation, postal_code="９２６８６１１"),
    )
    organisation.refresh_from_db()
    assert organisation.postal_code == "926-8611"


def test_a_stale_form_is_refused_and_nothing_is_overwritten(
    member_client, member, other_member
):
    organisation = member.organisation
    opened_at = organisation.contact_version
    organisations.organisation_update_contact(
        organisation=organisation,
        actor=member,
        changes={"contact_person": "先に保存した人"},
    )
    response = member_client.post(
        contact_url(organisation),
        contact_data(
            organisation, version=opened_at, contact_person="後から保存した人"
        ),
    )
    assert response.status_code == 200
    assert "編集中に他の方がこの連絡先を変更しました" in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.contact_person == "先に保存した人"


def test_other_organisations_cannot_see_or_edit_contact_details(
    client, member, other_member
):
    client.force_login(other_member)
    organisation = member.organisation
    assert client.get(contact_url(organisation)).status_code == 404
    response = client.post(contact_url(organisation), contact_data(organisation))
    assert response.status_code == 404
    assert not ContactChange.objects.exists()


def test_ward_staff_cannot_edit_another_organisations_details(
    client, member, ward_staff, settings
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.force_login(ward_staff)
    assert client.get(contact_url(member.organisation)).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, member):
    response = client.get(contact_url(member.organisation))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_history_shows_who_changed_what(member_client, member):
    organisation = member.organisation
    organisations.organisation_update_contact(
        organisation=organisation, actor=member, changes={"phone": "0767-00-0000"}
    )
    response = member_client.get(
        reverse("members:organisation_history", args=[organisation.pk])
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "0767-00-0000" in content
    assert member.signature in content


def test_history_is_hidden_from_other_organisations(client, member, other_member):
    client.force_login(other_member)
    url = reverse("members:organisation_history", args=[member.organisation.pk])
    assert client.get(url).status_code == 404


def test_history_query_count_stays_flat(
    member_client, member, django_assert_max_num_queries
):
    organisation = member.organisation
    url = reverse("members:organisation_history", args=[organisation.pk])
    for number in range(3):
        organisations.organisation_update_contact(
            organisation=organisation,
            actor=member,
            changes={"phone": f"03-0000-000{number}"},
        )
    with django_assert_max_num_queries(12):
        member_client.get(url)
    for number in range(30):
        organisations.organisation_update_contact(
            organisation=organisation,
            actor=member,
            changes={"address": f"住所{number}"},
        )
    with django_assert_max_num_queries(12):
        member_client.get(url)


def test_banner_nags_until_the_details_are_confirmed(member_client, member):
    organisation = member.organisation
    last_year = timezone.now() - datetime.timedelta(days=400)
    type(organisation).objects.filter(pk=organisation.pk).update(
        contact_confirmed_at=last_year
    )
    assert (
        "今年度の連絡先の確認をお願いします" in member_client.get("/").content.decode()
    )
    response = member_client.post(
        reverse("members:organisation_confirm", args=[organisation.pk])
    )
    assert response.status_code == 302
    assert (
        "今年度の連絡先の確認をお願いします"
        not in member_client.get("/").content.decode()
    )


def test_confirmation_is_due_again_from_april(member):
    organisation = member.organisation
    organisation.contact_confirmed_at = timezone.make_aware(
        datetime.datetime(2026, 3, 31, 12)
    )
    assert (
        organisations.confirmation_pending(
            organisation=organisation,
            now=timezone.make_aware(datetime.datetime(2026, 3, 31, 23)),
        )
        is False
    )
    assert (
        organisations.confirmation_pending(
            organisation=organisation,
            now=timezone.make_aware(datetime.datetime(2026, 4, 1, 0, 1)),
        )
        is True
    )


def test_confirm_by_get_is_refused(member_client, member):
    url = reverse("members:organisation_confirm", args=[member.organisation.pk])
    assert member_client.get(url).status_code == 405


def test_reminders_go_to_unconfirmed_members_only(
    member, other_member, make_organisation, make_user
):
    stale = member.organisation
    type(stale).objects.filter(pk=stale.pk).update(
        contact_confirmed_at=timezone.now() - datetime.timedelta(days=400)
    )
    organisations.organisation_confirm_contact(
        organisation=other_member.organisation, actor=other_member
    )
    non_member = make_organisation(membership_status=MembershipStatus.SUSPENDED)
    make_user(organisation=non_member)
    count = organisations.confirmation_reminders_send()
    assert count == 1
    (reminder,) = mail.outbox
    assert reminder.to == [member.email]
    stale.refresh_from_db()
    assert stale.confirmation_reminded_at is not None


def test_office_sends_reminders_from_admin(client, member, office_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.force_login(office_staff)
    response = client.post(
        reverse("admin:members_organisation_changelist"),
        {
            "action": "send_confirmation_reminders",
            "_selected_action": [member.organisation.pk],
        },
    )
    assert response.status_code == 302
    assert member.email in {address for m in mail.outbox for address in m.to}


def test_reminders_can_be_limited_to_a_selection(member, other_member):
    for organisation in (member.organisation, other_member.organisation):
        type(organisation).objects.filter(pk=organisation.pk).update(
            contact_confirmed_at=None
        )
    selection = type(member.organisation).objects.filter(pk=member.organisation.pk)
    assert organisations.confirmation_reminders_send(organisations=selection) == 1
    assert [m.to for m in mail.outbox] == [[member.email]]


def test_office_turns_an_account_back_on_in_admin(
    client, member, make_user, office_staff, settings
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    colleague = make_user(organisation=member.organisation)
    accounts.staff_deactivate(user=colleague, actor=office_staff)
    client.force_login(office_staff)
    client.post(
        reverse("admin:members_user_changelist"),
        {"action": "reactivate", "_selected_action": [colleague.pk]},
    )
    colleague.refresh_from_db()
    assert colleague.is_active
