import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from members.models import User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


def login(client, email, password):
    return client.post(LOGIN_URL, {"login": email, "password": password})


def test_login_page_is_japanese(client):
    content = client.get(LOGIN_URL).content.decode()
    assert "会員専用サイトにログイン" in content
    assert 'name="login"' in content and 'name="password"' in content


def test_member_logs_in_with_email_and_password(client, member):
    response = login(client, member.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").context["user"] == member


def test_email_login_ignores_case(client, member):
    response = login(client, member.email.upper(), PASSWORD)
    assert response.status_code == 302


def test_wrong_password_gives_a_japanese_error_tied_to_the_form(client, member):
    response = login(client, member.email, "wrong-password")
    assert response.status_code == 200
    content = response.content.decode()
    assert "メールアドレスもしくはパスワードが正しくありません" in content
    assert "_auth_user_id" not in client.session


def test_unknown_email_gives_the_same_error_as_a_wrong_password(client, member):
    unknown = login(client, "nobody@example.jp", PASSWORD).content.decode()
    assert "メールアドレスもしくはパスワードが正しくありません" in unknown


def test_too_many_failed_logins_are_refused_in_japanese(client, member):
    for _attempt in range(5):
        login(client, member.email, "wrong-password")
    response = login(client, member.email, PASSWORD)
    assert "_auth_user_id" not in client.session
    assert "ログイン失敗が連続しています" in response.content.decode()


def test_deactivated_account_cannot_log_in(client, member):
    member.is_active = False
    member.save()
    response = login(client, member.email, PASSWORD)
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"] == reverse("account_inactive")


def test_unverified_address_must_be_confirmed_before_login(client, make_user):
    user = make_user(email="new@example.jp", email_verified=False)
    response = login(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]


def test_signup_is_closed(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "x@example.jp", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert response.templates[0].name == "account/signup_closed.html"
    assert not User.objects.filter(email="x@example.jp").exists()


def test_logout_ends_the_session(member_client):
    response = member_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in member_client.session


def test_login_rotates_the_session_key(client, member):
    client.get(LOGIN_URL)
    client.session.save()
    before = client.session.session_key
    login(client, member.email, PASSWORD)
    assert client.session.session_key != before


def test_password_reset_mails_a_japanese_link(client, member):
    response = client.post("/accounts/password/reset/", {"email": member.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "パスワード" in mail.outbox[0].subject


def test_expired_password_reset_link_says_so_in_japanese(client, member):
    uid = user_pk_to_url_str(member)
    token = default_token_generator.make_token(member)
    member.set_password("changed-meanwhile-123")
    member.last_login = timezone.now()
    member.save()
    url = reverse(
        "account_reset_password_from_key", kwargs={"uidb36": uid, "key": token}
    )
    response = client.get(url, follow=True)
    assert response.status_code == 200
    assert "不正なトークン" in response.content.decode()


def test_sessions_page_lists_the_members_sessions(member_client):
    response = member_client.get(reverse("usersessions_list"))
    assert response.status_code == 200
    assert "ログイン中の端末" in response.content.decode()


def test_staff_without_two_factor_are_sent_to_set_it_up(client, ward_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = True
    login(client, ward_staff.email, PASSWORD)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    # allauth asks for the password again before showing the TOTP secret.
    prompt = client.get(response["Location"], follow=True)
    assert prompt.status_code == 200
    assert "2段階認証が必要です" in prompt.content.decode()
    client.post(
        prompt.request["PATH_INFO"] + "?" + prompt.request["QUERY_STRING"],
        {"password": PASSWORD},
    )
    setup = client.get(reverse("mfa_activate_totp"))
    assert setup.status_code == 200
    assert "認証アプリ" in setup.content.decode()


def test_staff_are_not_let_into_admin_without_two_factor(
    client, office_staff, settings
):
    settings.RENKEI_REQUIRE_STAFF_MFA = True
    client.force_login(office_staff)
    response = client.get("/admin/")
    assert response["Location"] == reverse("mfa_activate_totp")


def test_staff_with_two_factor_pass(client, ward_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = True
    Authenticator.objects.create(
        user=ward_staff, type=Authenticator.Type.TOTP, data={"secret": "x"}
    )
    client.force_login(ward_staff)
    assert client.get("/").status_code == 200


def test_members_are_never_forced_to_two_factor(member_client, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = True
    assert member_client.get("/").status_code == 200


def test_admin_login_goes_through_allauth(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_member_is_refused_admin(member_client):
    response = member_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert member_client.get(response["Location"]).status_code == 403


def test_office_staff_use_admin(client, office_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.force_login(office_staff)
    response = client.get("/admin/members/organisation/")
    assert response.status_code == 200


def test_ward_staff_cannot_change_users_in_admin(client, ward_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.force_login(ward_staff)
    assert client.get("/admin/members/user/").status_code == 403
