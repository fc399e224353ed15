"""Links in mails point at RENKEI_SITE_URL, never at the request's Host.

"localhost:6666" passes ALLOWED_HOSTS (the port is not checked), so a
forged Host header reaches the views; the mails must not carry it.
"""

import re

import pytest
from django.core import mail

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

SITE_URL = "https://renkei.example.jp"
HOSTILE_HOST = "localhost:6666"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE_URL


def links(message):
    return re.findall(r"https?://\S+", message.body)


def test_password_reset_link_is_built_from_the_site_url(client, member):
    response = client.post(
        "/accounts/password/reset/", {"email": member.email}, HTTP_HOST=HOSTILE_HOST
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    reset_links = [link for link in links(message) if "/password/reset/key/" in link]
    assert len(reset_links) == 1
    assert reset_links[0].startswith(SITE_URL + "/accounts/password/reset/key/")
    assert HOSTILE_HOST not in message.body


def test_reset_for_an_unknown_address_names_no_forged_host(client):
    client.post(
        "/accounts/password/reset/",
        {"email": "nobody@example.jp"},
        HTTP_HOST=HOSTILE_HOST,
    )
    (message,) = mail.outbox
    assert message.to == ["nobody@example.jp"]
    assert HOSTILE_HOST not in message.body
    assert all(link.startswith(SITE_URL + "/") for link in links(message))


def test_address_confirmation_link_is_built_from_the_site_url(client, make_user):
    user = make_user(email="new@example.jp", email_verified=False)
    client.post(
        "/accounts/login/",
        {"login": user.email, "password": PASSWORD},
        HTTP_HOST=HOSTILE_HOST,
    )
    (message,) = mail.outbox
    confirm_links = [link for link in links(message) if "/confirm-email/" in link]
    assert len(confirm_links) == 1
    assert confirm_links[0].startswith(SITE_URL + "/accounts/confirm-email/")
    assert HOSTILE_HOST not in message.body
