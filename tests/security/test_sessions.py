"""Issue 7: sessions, sign-in limits and two-factor authentication.

What is proven, and where:

    cookies      production settings make the session and CSRF cookies
                 Secure, HttpOnly and SameSite=Lax (here, from the settings
                 a production environment evaluates to; the flags themselves
                 in tests/test_settings.py::test_production_cookies_are_secure)
    rotation     the session key changes at sign-in
                 (tests/members/test_accounts.py::test_login_rotates_the_session_key)
                 and again when the second factor is passed (here)
    sign-out     ends the session in the browser
                 (test_accounts.py::test_logout_ends_the_session) and on the
                 server: the old cookie is worthless (here)
    password     a password change ends every other session (here)
    limits       five failed sign-ins for one address lock it, even with the
                 right password (test_accounts.py::
                 test_too_many_failed_logins_are_refused_in_japanese); ten
                 from one IP address lock every address (here); password
                 reset mails stop at the limit, per address and per IP (here)
    two-factor   staff without TOTP are sent to set it up from every page,
                 members-only, public and admin; members never are (here;
                 single pages in test_accounts.py); staff with TOTP must give
                 the code before they are signed in (here)
    headers      HSTS, CSP and the rest against gunicorn (tests/test_gunicorn.py)
"""

import json

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import NoReverseMatch, reverse

from members.middleware import SETUP_VIEWS
from members.models import User
from tests.factories import PASSWORD
from tests.test_settings import production_env, run_python

from .test_authorisation_matrix import LOGIN, MATRIX, all_url_names, outcome

pytestmark = pytest.mark.django_db

LOCKED_OUT = "ログイン失敗が連続しています"
COOKIE_SETTINGS = [
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
]


def _sign_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def _signed_in(client):
    return "_auth_user_id" in client.session


# ----- cookies -----


@pytest.fixture(scope="module")
def production_cookie_settings():
    code = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {COOKIE_SETTINGS!r}}}))"
    )
    result = run_python(code, production_env())
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_cookies_are_secure_httponly_and_same_site(
    client, member, settings, production_cookie_settings
):
    for name, value in production_cookie_settings.items():
        setattr(settings, name, value)
    client.get(reverse("account_login"))
    response = _sign_in(client, member.email)
    assert response.status_code == 302
    # Signing in sets a new session cookie and rotates the CSRF cookie.
    header = response.cookies.output()
    session, csrf = response.cookies["sessionid"], response.cookies["csrftoken"]
    assert session["secure"] is True, header
    assert session["httponly"] is True, header
    assert session["samesite"] in ("Lax", "Strict"), header
    assert csrf["secure"] is True, header
    assert csrf["samesite"] in ("Lax", "Strict"), header


# ----- session keys -----


def test_signing_out_ends_the_session_on_the_server(client, member):
    _sign_in(client, member.email)
    old_key = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=old_key).exists()
    client.post(reverse("account_logout"))
    assert not Session.objects.filter(session_key=old_key).exists()
    # Someone who kept a copy of the cookie gets nowhere with it.
    replay = Client()
    replay.cookies["sessionid"] = old_key
    assert outcome(replay.get(reverse("boards:home"))) == LOGIN


def test_changing_the_password_ends_the_other_sessions(client, member):
    laptop, phone = client, Client()
    _sign_in(laptop, member.email)
    _sign_in(phone, member.email)
    response = laptop.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a-new-password-2026",
            "password2": "a-new-password-2026",
        },
    )
    assert response.status_code == 302
    assert outcome(laptop.get(reverse("boards:home"))) == 200
    assert outcome(phone.get(reverse("boards:home"))) == LOGIN


def test_a_deactivated_account_loses_its_open_session(client, member):
    _sign_in(client, member.email)
    User.objects.filter(pk=member.pk).update(is_active=False)
    assert outcome(client.get(reverse("boards:home"))) == LOGIN


# ----- rate limits -----


def test_ten_failed_sign_ins_from_one_address_lock_out_every_account(client, member):
    for number in range(10):
        _sign_in(client, f"guess{number}@example.jp", "wrong-password")
    response = _sign_in(client, member.email)
    assert not _signed_in(client)
    assert LOCKED_OUT in response.content.decode()


def test_another_ip_address_is_not_locked_out(client, member):
    for number in range(10):
        _sign_in(client, f"guess{number}@example.jp", "wrong-password")
    other = Client(REMOTE_ADDR="192.0.2.55")
    _sign_in(other, member.email)
    assert _signed_in(other)


def test_password_reset_mails_stop_at_the_limit_for_one_address(client, member):
    for _attempt in range(8):
        client.post(reverse("account_reset_password"), {"email": member.email})
    assert len(mail.outbox) == 5


def test_password_reset_mails_stop_at_the_limit_for_one_ip(client, make_user):
    users = [make_user(email=f"reset{n}@example.jp") for n in range(22)]
    for user in users:
        client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mail.outbox) == 20


# ----- two-factor authentication -----


def _pages(world):
    """Every page without a required POST, as GET URLs."""
    for name, (kwargs_of, methods) in MATRIX.items():
        if "GET" in methods and methods["GET"].get("a") != 405:
            yield name, reverse(name, kwargs=kwargs_of(world))
    for name in all_url_names():
        if name.startswith(("admin:", "account_", "mfa_", "usersessions_")):
            try:
                yield name, reverse(name)
            except NoReverseMatch:
                continue


@pytest.mark.parametrize("role", ["ward", "office"])
def test_staff_without_totp_are_sent_to_set_it_up_from_every_page(
    client, world, settings, role
):
    settings.RENKEI_REQUIRE_STAFF_MFA = True
    client.force_login(world.users[role])
    setup = reverse("mfa_activate_totp")
    missed = []
    tried = 0
    for name, url in _pages(world):
        if name in SETUP_VIEWS:
            continue
        tried += 1
        response = client.get(url)
        if response.status_code != 302 or response["Location"] != setup:
            missed.append(f"{name}: {response.status_code}")
    assert missed == []
    assert tried >= 60


def test_members_are_never_sent_to_set_up_two_factor(client, world, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = True
    client.force_login(world.users["a"])
    setup = reverse("mfa_activate_totp")
    for name, url in _pages(world):
        response = client.get(url)
        assert response.get("Location") != setup, name


def _current_code(secret):
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


@pytest.fixture
def staff_with_totp(office_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = True
    secret = generate_totp_secret()
    TOTP.activate(office_staff, secret)
    return office_staff, secret


def test_staff_with_totp_are_not_signed_in_by_the_password_alone(
    client, staff_with_totp
):
    user, _secret = staff_with_totp
    response = _sign_in(client, user.email)
    assert response["Location"] == reverse("mfa_authenticate")
    assert not _signed_in(client)
    assert outcome(client.get(reverse("admin:index"))) == LOGIN
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert not _signed_in(client)


def test_the_right_code_signs_staff_in_under_a_new_session_key(client, staff_with_totp):
    user, secret = staff_with_totp
    _sign_in(client, user.email)
    pending_key = client.session.session_key
    response = client.post(reverse("mfa_authenticate"), {"code": _current_code(secret)})
    assert response.status_code == 302
    assert _signed_in(client)
    assert client.session.session_key != pending_key
    assert client.get(reverse("admin:index")).status_code == 200
