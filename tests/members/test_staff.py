import pytest
from allauth.usersessions.models import UserSession
from django.core import mail
from django.urls import reverse

from members import permissions
from members.models import User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def staff_url(organisation):
    return reverse("members:organisation_staff", args=[organisation.pk])


def test_staff_invite_a_colleague_who_gets_a_password_link(
    member_client, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            staff_url(member.organisation),
            {
                "email": "new@example.jp",
                "display_name": "新人 花子",
                "department": "観光交流課",
            },
        )
    assert response.status_code == 302
    colleague = User.objects.get(email="new@example.jp")
    assert colleague.organisation == member.organisation
    assert permissions.roles_of(colleague) == {permissions.MEMBER_STAFF}
    (invitation,) = mail.outbox
    assert invitation.to == ["new@example.jp"]
    assert "/accounts/password/reset/key/" in invitation.body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"email": "bad", "display_name": "x"},
            "有効なメールアドレスを入力してください",
        ),
        ({"email": "n@example.jp", "display_name": ""}, "このフィールドは必須です"),
    ],
)
def test_bad_invitations_are_refused(member_client, member, data, message):
    response = member_client.post(staff_url(member.organisation), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == 1


@pytest.mark.parametrize("owner", ["other_member", "office_staff"])
def test_inviting_an_address_with_an_account_looks_alike_and_mails_its_owner(
    member_client, member, owner, request, django_capture_on_commit_callbacks
):
    account = request.getfixturevalue(owner)
    url = staff_url(member.organisation)
    for email in ("new@example.jp", account.email.upper()):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = member_client.post(
                url, {"email": email, "display_name": "新人 花子"}, follow=True
            )
        assert response.redirect_chain == [(url, 302)]
        assert f"{email} に招待メールを送信しました" in response.content.decode()
    assert not User.objects.filter(
        display_name="新人 花子", email__iexact=account.email
    )
    (notice,) = mail.outbox
    assert notice.to == [account.email]
    assert member.signature in notice.body
    assert "/accounts/password/reset/key/" not in notice.body
    account.refresh_from_db()
    assert account.organisation != member.organisation


def test_other_organisations_cannot_invite(client, member, other_member):
    client.force_login(other_member)
    response = client.post(
        staff_url(member.organisation), {"email": "x@example.jp", "display_name": "x"}
    )
    assert response.status_code == 404
    assert not User.objects.filter(email="x@example.jp").exists()


def test_deactivating_someone_who_left_ends_their_sessions(client, member, make_user):
    colleague = make_user(organisation=member.organisation, email="left@example.jp")
    client.post("/accounts/login/", {"login": colleague.email, "password": PASSWORD})
    assert UserSession.objects.filter(user=colleague).exists()
    client.logout()
    client.force_login(member)
    response = client.post(
        reverse("members:staff_deactivate", args=[member.organisation.pk, colleague.pk])
    )
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert not colleague.is_active
    assert not UserSession.objects.filter(user=colleague).exists()


def test_the_last_active_account_cannot_be_turned_off(member_client, member):
    response = member_client.post(
        reverse("members:staff_deactivate", args=[member.organisation.pk, member.pk]),
        follow=True,
    )
    assert "最後の有効なアカウント" in response.content.decode()
    member.refresh_from_db()
    assert member.is_active


def test_staff_of_another_organisation_cannot_be_turned_off(
    client, member, other_member
):
    client.force_login(other_member)
    response = client.post(
        reverse("members:staff_deactivate", args=[member.organisation.pk, member.pk])
    )
    assert response.status_code == 404
    member.refresh_from_db()
    assert member.is_active


def test_deactivate_by_get_is_refused(member_client, member):
    url = reverse("members:staff_deactivate", args=[member.organisation.pk, member.pk])
    assert member_client.get(url).status_code == 405


def test_staff_page_query_count_stays_flat(
    member_client, member, make_user, django_assert_max_num_queries
):
    url = staff_url(member.organisation)
    for _ in range(2):
        make_user(organisation=member.organisation)
    with django_assert_max_num_queries(12):
        member_client.get(url)
    for _ in range(20):
        make_user(organisation=member.organisation)
    with django_assert_max_num_queries(12):
        member_client.get(url)
