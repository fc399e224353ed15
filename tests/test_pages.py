from unittest import mock

import pytest
from django.db import OperationalError
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_landing_page_is_public_and_japanese(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "landing.html" in [t.name for t in response.templates]
    content = response.content.decode()
    assert '<html lang="ja">' in content
    assert "特別区全国連携プロジェクト" in content
    assert "会員登録について" in content
    assert "03-5210-9747" in content and "03-5210-9080" in content


def test_signed_in_member_gets_the_members_home(member_client, member):
    response = member_client.get("/")
    assert response.status_code == 200
    assert "home.html" in [t.name for t in response.templates]
    assert member.organisation.full_name in response.content.decode()


def test_member_home_shows_todays_date_in_the_japanese_era(member_client, settings):
    response = member_client.get("/")
    assert "本日は令和" in response.content.decode()


def test_home_refuses_post(client):
    assert client.post("/").status_code == 405


def test_admin_link_only_for_staff(client, member, office_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    admin_url = reverse("admin:index")
    client.force_login(member)
    assert admin_url not in client.get("/").content.decode()
    client.force_login(office_staff)
    assert admin_url in client.get("/").content.decode()


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_healthz_answers_503_when_the_database_does_not(client):
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute",
        side_effect=OperationalError("connection refused"),
    ):
        response = client.get("/healthz")
    assert response.status_code == 503


def test_database_outage_shows_the_japanese_maintenance_page(member_client):
    member_client.raise_request_exception = False
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.load",
        side_effect=OperationalError("connection refused"),
    ):
        response = member_client.get("/accounts/2fa/")
    assert response.status_code == 503
    assert response["Retry-After"] == "300"
    assert "メンテナンス中" in response.content.decode()


def test_other_server_errors_show_the_japanese_500_page(member_client):
    member_client.raise_request_exception = False
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.load",
        side_effect=RuntimeError("boom"),
    ):
        response = member_client.get("/accounts/2fa/")
    assert response.status_code == 500
    assert "サーバーエラー" in response.content.decode()


def test_unknown_page_shows_the_japanese_404_page(member_client):
    response = member_client.get("/no-such-page/")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.content.decode()


def test_members_only_pages_send_anonymous_visitors_to_login(client):
    response = client.get("/accounts/2fa/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
