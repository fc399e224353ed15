"""The received-mail log in admin, and confirming a thread sent by mail."""

import base64
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from boards import mail_addresses
from boards.models import Category, InboundMail, Thread
from boards.services import inbound
from tests import factories

pytestmark = pytest.mark.django_db

DOMAIN = "mail.renkei.test"
Result = InboundMail.Result

MAIL = (
    "From: 山田 <{sender}>\r\n"
    "To: {to}\r\n"
    "Subject: =?UTF-8?B?{subject}?=\r\n"
    "Message-ID: <{message_id}>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "{body}\r\n"
)


def raw_mail(*, sender, to, subject, body, message_id):
    encoded = base64.b64encode(subject.encode()).decode()
    return MAIL.format(
        sender=sender, to=to, subject=encoded, body=body, message_id=message_id
    ).encode()


@pytest.fixture(autouse=True)
def _mail_domain(settings):
    settings.MAIL_DOMAIN = DOMAIN
    settings.RENKEI_REQUIRE_STAFF_MFA = False


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


# ----- the log in admin -----


def log_row(n=0, **fields):
    values = {
        "message_id": f"m{n}@example.jp",
        "channel": InboundMail.Channel.SMTP,
        "from_address": "tanaka@example.jp",
        "recipient": f"reply+x-y@{DOMAIN}",
        "subject": "Re: 件名",
        "result": Result.REFUSED,
        "reason": InboundMail.Reason.EXPIRED,
        "raw": b"Subject: x\r\n\r\nbody",
        "size": 20,
        **fields,
    }
    return InboundMail.objects.create(**values)


def changelist():
    return reverse("admin:boards_inboundmail_changelist")


def test_the_office_reads_the_log(office_staff):
    log_row()
    response = client_for(office_staff).get(changelist())
    assert response.status_code == 200
    assert "tanaka@example.jp" in response.content.decode()


def test_ward_staff_do_not_read_the_log(ward_staff):
    assert client_for(ward_staff).get(changelist()).status_code == 403


def test_members_do_not_reach_the_log(member):
    response = client_for(member).get(changelist())
    assert response.status_code in (302, 403)


def test_the_log_lists_with_a_flat_number_of_queries(
    office_staff, member, uncached, django_assert_max_num_queries
):
    thread = factories.make_thread(author=member)
    client = client_for(office_staff)
    for n in range(2):
        log_row(n, post=thread.posts.get(), result=Result.POSTED)
    client.get(changelist())
    with django_assert_max_num_queries(12) as few:
        client.get(changelist())
    for n in range(2, 30):
        log_row(n, post=thread.posts.get(), thread=thread, user=member)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = client.get(changelist())
    # The kept messages are not read for the list.
    assert all('boards_inboundmail"."raw"' not in q["sql"] for q in many)
    post_url = reverse("boards:post", args=[thread.posts.get().pk])
    assert response.content.decode().count(post_url) == 30


def test_the_office_downloads_the_message_as_received(office_staff):
    row = log_row()
    response = client_for(office_staff).get(
        reverse("admin:boards_inboundmail_raw", args=[row.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert f"inbound-{row.pk}.eml" in response["Content-Disposition"]
    assert response.content == b"Subject: x\r\n\r\nbody"


def test_ward_staff_do_not_download_messages(ward_staff):
    row = log_row()
    response = client_for(ward_staff).get(
        reverse("admin:boards_inboundmail_raw", args=[row.pk])
    )
    assert response.status_code == 403


def test_the_log_is_not_edited(office_staff):
    row = log_row()
    client_for(office_staff).post(
        reverse("admin:boards_inboundmail_change", args=[row.pk]),
        {"result": Result.POSTED},
    )
    row.refresh_from_db()
    assert row.result == Result.REFUSED


@pytest.fixture
def superuser(office_staff):
    office_staff.is_superuser = True
    office_staff.save()
    return office_staff


def delete_selected(client, *rows):
    return client.post(
        changelist(),
        {
            "action": "delete_selected",
            "_selected_action": [row.pk for row in rows],
            "post": "yes",
        },
    )


def test_a_superuser_deletes_old_rows(superuser):
    old = log_row(1, received_at=timezone.now() - timedelta(days=200))
    delete_selected(client_for(superuser), old)
    assert not InboundMail.objects.exists()


def test_a_superuser_does_not_delete_kept_rows(superuser):
    new = log_row(2)
    delete_selected(client_for(superuser), new)
    assert InboundMail.objects.filter(pk=new.pk).exists()


def test_the_office_deletes_nothing(office_staff):
    old = log_row(1, received_at=timezone.now() - timedelta(days=200))
    response = client_for(office_staff).post(
        reverse("admin:boards_inboundmail_delete", args=[old.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert InboundMail.objects.filter(pk=old.pk).exists()


# ----- confirming a thread sent by mail -----


@pytest.fixture
def category(db):
    category = Category.objects.get(slug="other")
    category.accepts_mail = True
    category.save()
    return category


@pytest.fixture
def awaiting(category, member, django_capture_on_commit_callbacks):
    raw = raw_mail(
        sender=member.email,
        to=mail_addresses.category_address(category),
        subject="防災訓練の見学について",
        body="11月の訓練を見学できる団体を募集します。",
        message_id="new-thread@example.jp",
    )
    with django_capture_on_commit_callbacks(execute=True):
        row = inbound.mail_ingest(
            raw=raw,
            channel="smtp",
            recipients=[mail_addresses.category_address(category)],
        )
    assert row.result == Result.AWAITING_CONFIRMATION
    return row


@pytest.fixture
def confirm_url(awaiting, mailoutbox):
    (message,) = mailoutbox
    line = next(line for line in message.body.splitlines() if "/mail/new/" in line)
    return line.strip().removeprefix("http://testserver")


def test_the_sender_sees_a_preview(member, confirm_url):
    response = client_for(member).get(confirm_url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "防災訓練の見学について" in page
    assert "11月の訓練を見学できる団体を募集します。" in page
    assert "このスレッドを作成する" in page


def test_confirming_starts_the_thread(member, confirm_url, category, awaiting):
    response = client_for(member).post(confirm_url)
    thread = Thread.objects.get(category=category)
    assert response.status_code == 302
    assert (thread.title, thread.author) == ("防災訓練の見学について", member)
    assert thread.posts.get().body == "11月の訓練を見学できる団体を募集します。"
    awaiting.refresh_from_db()
    assert (awaiting.result, awaiting.thread) == (Result.POSTED, thread)


def test_confirming_twice_starts_one_thread(member, confirm_url, category):
    client = client_for(member)
    client.post(confirm_url)
    response = client.post(confirm_url)
    assert response.status_code == 302
    assert Thread.objects.filter(category=category).count() == 1


def test_someone_else_cannot_see_or_confirm(other_member, confirm_url, category):
    client = client_for(other_member)
    assert client.get(confirm_url).status_code == 404
    assert client.post(confirm_url).status_code == 404
    assert not Thread.objects.filter(category=category).exists()


def test_anonymous_is_sent_to_sign_in(client, confirm_url):
    response = client.get(confirm_url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_expired_link_is_not_found(member, awaiting, settings, monkeypatch):
    token = signing.dumps(awaiting.pk, salt=inbound.MAIL_THREAD_SALT)
    monkeypatch.setattr(inbound, "MAIL_THREAD_MAX_AGE", timedelta(seconds=-1))
    url = reverse("boards:mail_thread_confirm", args=[token])
    assert client_for(member).get(url).status_code == 404


def test_a_forged_link_is_not_found(member, awaiting):
    url = reverse("boards:mail_thread_confirm", args=[f"{awaiting.pk}:forged"])
    assert client_for(member).get(url).status_code == 404


def test_a_sender_who_may_no_longer_start_threads_is_refused(
    member, confirm_url, category
):
    category.accepts_mail = False
    category.save()
    response = client_for(member).post(confirm_url)
    assert response.status_code == 403
    assert not Thread.objects.filter(category=category).exists()
