"""Reply, bounce and category addresses: made and read in one place."""

import pytest
from django.test import override_settings

from boards import mail_addresses
from boards.models import Category, ReplyKey
from tests.factories import make_thread, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mail_domain(settings):
    # Production settings leave it unset (reply by mail off) unless given.
    settings.MAIL_DOMAIN = "renkei.localhost"


@pytest.fixture
def thread():
    return make_thread(author=make_user())


def test_a_reply_address_reads_back_to_its_key(thread):
    user = make_user()
    address = mail_addresses.reply_address(user=user, thread=thread)
    recipient = mail_addresses.recipient_parse(address)
    key = mail_addresses.reply_key_find(recipient)
    assert (key.user, key.thread) == (user, thread)


def test_a_reply_address_is_short_and_lower_case(thread):
    address = mail_addresses.reply_address(user=make_user(), thread=thread)
    local = address.partition("@")[0]
    assert len(local) <= 64
    assert local == local.lower()


def test_each_mail_gets_its_own_key(thread):
    user = make_user()
    first = mail_addresses.reply_address(user=user, thread=thread)
    second = mail_addresses.reply_address(user=user, thread=thread)
    assert first != second
    assert ReplyKey.objects.filter(user=user, thread=thread).count() == 2


def test_an_address_folded_to_upper_case_still_reads(thread):
    address = mail_addresses.reply_address(user=make_user(), thread=thread)
    local, _, domain = address.partition("@")
    assert mail_addresses.recipient_parse(f"<{local.upper()}@{domain.upper()}>")


def test_a_changed_key_fails_its_signature(thread):
    address = mail_addresses.reply_address(user=make_user(), thread=thread)
    local, _, domain = address.partition("@")
    kind, _, rest = local.partition("+")
    key, _, signature = rest.rpartition("-")
    forged = f"{kind}+{key[:-1]}{'a' if key[-1] != 'a' else 'b'}-{signature}@{domain}"
    assert mail_addresses.recipient_parse(forged) is None


def test_an_address_at_another_domain_is_not_ours(thread):
    address = mail_addresses.reply_address(user=make_user(), thread=thread)
    local = address.partition("@")[0]
    assert mail_addresses.recipient_parse(f"{local}@example.jp") is None


@pytest.mark.parametrize(
    "address",
    [
        "postmaster@renkei.localhost",
        "reply@renkei.localhost",
        "other+x-y@renkei.localhost",
    ],
)
def test_addresses_of_no_known_kind_are_not_ours(address):
    assert mail_addresses.recipient_parse(address) is None


def test_a_bounce_address_names_the_person():
    user = make_user()
    recipient = mail_addresses.recipient_parse(mail_addresses.bounce_address(user=user))
    assert recipient.kind == mail_addresses.BOUNCE
    assert mail_addresses.bounce_user_find(recipient) == user


def test_a_bounce_for_an_address_since_changed_names_nobody():
    user = make_user()
    recipient = mail_addresses.recipient_parse(mail_addresses.bounce_address(user=user))
    user.email = "changed@city.example.jp"
    user.save()
    assert mail_addresses.bounce_user_find(recipient) is None


def test_a_category_address_names_its_slug():
    category = Category.objects.first()
    recipient = mail_addresses.recipient_parse(
        mail_addresses.category_address(category)
    )
    assert (recipient.kind, recipient.value) == (
        mail_addresses.NEW_THREAD,
        category.slug,
    )


@override_settings(MAIL_DOMAIN="")
def test_without_a_mail_domain_nothing_is_ours():
    assert not mail_addresses.enabled()
    assert mail_addresses.recipient_parse("reply+abc-def@renkei.localhost") is None


def test_a_category_taking_mail_shows_its_address_to_those_who_may_start(client):
    category = Category.objects.get(slug="proposals")
    Category.objects.filter(pk=category.pk).update(accepts_mail=True)
    client.force_login(make_user())
    response = client.get(f"/boards/c/{category.slug}/")
    assert "new+proposals@renkei.localhost" in response.text


def test_a_category_not_taking_mail_shows_no_address(client):
    client.force_login(make_user())
    response = client.get("/boards/c/proposals/")
    assert "new+proposals@" not in response.text
