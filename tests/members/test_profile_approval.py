"""An organisation's introduction: its staff write it; the office may have
it wait for approval."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from members import permissions
from members.models import (
    ContactChange,
    DirectorySettings,
    MembershipStatus,
    Organisation,
    ProfileChange,
)
from members.services import profiles

pytestmark = pytest.mark.django_db

OLD = "能登の里山里海の町です。"
NEW = "七尾市は和倉温泉のまちです。"


@pytest.fixture(autouse=True)
def _no_staff_mfa(settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False


@pytest.fixture
def organisation(member):
    Organisation.objects.filter(pk=member.organisation.pk).update(profile=OLD)
    member.organisation.refresh_from_db()
    return member.organisation


@pytest.fixture
def approval_on(db):
    settings = DirectorySettings.load()
    settings.approve_profiles = True
    settings.save()


def url(organisation):
    return reverse("members:organisation_profile", args=[organisation.pk])


def shown_profile(client, organisation):
    response = client.get(
        reverse("members:organisation_detail", args=[organisation.pk])
    )
    return response.content.decode()


def test_without_approval_the_text_is_saved_and_recorded(
    member_client, member, organisation
):
    response = member_client.post(url(organisation), {"text": NEW})
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.profile == NEW
    change = ContactChange.objects.get(organisation=organisation, field="profile")
    assert (change.old_value, change.new_value, change.changed_by) == (
        OLD,
        NEW,
        member,
    )
    assert not ProfileChange.objects.exists()


def test_with_approval_the_text_waits_and_the_directory_keeps_the_old(
    member_client,
    member,
    organisation,
    approval_on,
    office_staff,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(url(organisation), {"text": NEW})
    organisation.refresh_from_db()
    assert organisation.profile == OLD
    change = ProfileChange.objects.get()
    assert (change.text, change.submitted_by, change.status) == (
        NEW,
        member,
        ProfileChange.Status.PENDING,
    )
    content = shown_profile(member_client, organisation)
    assert OLD in content
    assert NEW not in content
    assert "承認待ち" in content
    assert [m.to for m in mail.outbox] == [[office_staff.email]]


def test_other_members_do_not_see_the_waiting_notice(
    member_client, client, other_member, organisation, approval_on
):
    member_client.post(url(organisation), {"text": NEW})
    client.force_login(other_member)
    content = shown_profile(client, organisation)
    assert OLD in content
    assert "承認待ち" not in content


def test_the_form_shows_the_waiting_text_and_says_it_waits(
    member_client, organisation, approval_on
):
    member_client.post(url(organisation), {"text": NEW})
    response = member_client.get(url(organisation))
    assert response.context["form"].initial["text"] == NEW
    assert "承認待ち" in response.content.decode()


def test_saving_again_replaces_the_waiting_text(
    member_client, organisation, approval_on
):
    member_client.post(url(organisation), {"text": NEW})
    member_client.post(url(organisation), {"text": "改訂版です。"})
    assert list(ProfileChange.objects.values_list("text", "status")) == [
        ("改訂版です。", "pending")
    ]


def test_the_office_edits_at_once_even_with_approval_on(
    client, office_staff, organisation, approval_on
):
    client.force_login(office_staff)
    client.post(url(organisation), {"text": NEW})
    organisation.refresh_from_db()
    assert organisation.profile == NEW
    assert not ProfileChange.objects.exists()


def test_too_long_text_is_refused_and_nothing_is_saved(
    member_client, organisation, approval_on
):
    response = member_client.post(url(organisation), {"text": "あ" * 2001})
    assert response.status_code == 200
    assert response.context["form"].has_error("text", "max_length")
    organisation.refresh_from_db()
    assert organisation.profile == OLD
    assert not ProfileChange.objects.exists()
    assert not ContactChange.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, organisation):
    response = client.get(url(organisation))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_another_organisation_gets_404_and_saves_nothing(
    client, other_member, organisation
):
    client.force_login(other_member)
    assert client.get(url(organisation)).status_code == 404
    assert client.post(url(organisation), {"text": NEW}).status_code == 404
    organisation.refresh_from_db()
    assert organisation.profile == OLD


def test_ward_staff_of_another_organisation_get_404(client, ward_staff, organisation):
    client.force_login(ward_staff)
    assert client.post(url(organisation), {"text": NEW}).status_code == 404


def test_staff_of_a_suspended_organisation_get_403(client, member, organisation):
    Organisation.objects.filter(pk=organisation.pk).update(
        membership_status=MembershipStatus.SUSPENDED
    )
    client.force_login(member)
    assert client.post(url(organisation), {"text": NEW}).status_code == 403


# ----- the office decides in admin -----


def submitted(member, organisation):
    return profiles.organisation_update_profile(
        organisation=organisation, actor=member, text=NEW
    )


def admin_action(client, action, change, **extra):
    return client.post(
        reverse("admin:members_profilechange_changelist"),
        {"action": action, "_selected_action": [change.pk], **extra},
    )


def test_office_approves_in_admin_and_the_submitter_is_told(
    client,
    office_staff,
    member,
    organisation,
    approval_on,
    django_capture_on_commit_callbacks,
):
    change = submitted(member, organisation)
    client.force_login(office_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_action(client, "approve", change)
    assert response.status_code == 302
    organisation.refresh_from_db()
    change.refresh_from_db()
    assert organisation.profile == NEW
    assert (change.status, change.decided_by) == ("approved", office_staff)
    (message,) = mail.outbox
    assert message.to == [member.email]
    assert "承認されました" in message.subject
    record = ContactChange.objects.get(field="profile")
    assert (record.old_value, record.new_value) == (OLD, NEW)


def test_office_rejects_with_a_reason_which_is_mailed(
    client,
    office_staff,
    member,
    organisation,
    approval_on,
    django_capture_on_commit_callbacks,
):
    change = submitted(member, organisation)
    client.force_login(office_staff)
    response = admin_action(client, "reject", change)
    assert response.status_code == 200
    assert "admin/members/profilechange/reject.html" in [
        t.name for t in response.templates
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_action(client, "reject", change, reason="表現を確認中です。")
    assert response.status_code == 302
    change.refresh_from_db()
    organisation.refresh_from_db()
    assert (change.status, change.reason) == ("rejected", "表現を確認中です。")
    assert organisation.profile == OLD
    (message,) = mail.outbox
    assert message.to == [member.email]
    assert "表現を確認中です。" in message.body


def test_rejecting_without_a_reason_changes_nothing(
    client, office_staff, member, organisation, approval_on
):
    change = submitted(member, organisation)
    client.force_login(office_staff)
    response = admin_action(client, "reject", change, reason=" ")
    assert response.status_code == 200
    assert response.context["form"].has_error("reason", "required")
    change.refresh_from_db()
    assert change.status == "pending"


def test_a_decided_change_cannot_be_decided_again(
    office_staff, member, organisation, approval_on
):
    change = submitted(member, organisation)
    profiles.profile_change_approve(change=change, actor=office_staff)
    with pytest.raises(ValidationError):
        profiles.profile_change_reject(change=change, actor=office_staff, reason="x")
    change.refresh_from_db()
    assert change.status == "approved"


def test_member_staff_cannot_open_the_admin_list(member_client):
    response = member_client.get(reverse("admin:members_profilechange_changelist"))
    assert response.status_code in (302, 403)


def test_ward_staff_cannot_decide(
    client, ward_staff, member, organisation, approval_on
):
    change = submitted(member, organisation)
    client.force_login(ward_staff)
    response = admin_action(client, "approve", change)
    assert response.status_code == 403
    change.refresh_from_db()
    assert change.status == "pending"


@pytest.mark.parametrize(
    ("role", "approve", "waits"),
    [
        ("member", False, False),
        ("member", True, True),
        ("ward_staff", True, True),
        ("office_staff", True, False),
        ("office_staff", False, False),
    ],
)
def test_who_waits_for_approval(request, role, approve, waits):
    user = request.getfixturevalue(role)
    settings = DirectorySettings(approve_profiles=approve)
    assert permissions.profile_needs_approval(user, settings) is waits
