"""Mail out: full posts, reply addresses, thread headers and encodings."""

import email
import email.header
import email.policy
import re
import socket
import subprocess
import sys

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from boards import mail, mail_addresses
from boards.models import (
    Attachment,
    Category,
    Frequency,
    Notification,
    NotificationKind,
    ReplyKey,
    Watch,
)
from boards.services import collaboration, moderation, notifications, posts, watching
from members.common.japanese_mail import decode_text
from members.common.mail_messages import columns, wrap_text
from members.models import MailEncoding, MailMode
from members.services.mail import mail_build
from tests.migration_rows import make_migration_rows
from tests.reliability.conftest import site_environment

pytestmark = pytest.mark.django_db

DOMAIN = "mail.renkei.example.jp"


@pytest.fixture(autouse=True)
def _mail_domain(settings):
    settings.MAIL_DOMAIN = DOMAIN


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def thread(make_thread, member):
    return make_thread(author=member, title="観光物産展への出展について")


def raw(message):
    return message.message(policy=email.policy.SMTP).as_bytes()


def parsed(message):
    return email.message_from_bytes(raw(message), policy=email.policy.compat32)


def header_text(value):
    """A header as a Japanese mail client reads it (CP50220 for JIS)."""
    return "".join(
        decode_text(part, charset)[0] if isinstance(part, bytes) else part
        for part, charset in email.header.decode_header(value)
    )


def text_part(message, subtype="plain"):
    for part in parsed(message).walk():
        if part.get_content_type() == f"text/{subtype}":
            return part
    raise AssertionError(f"no text/{subtype} part")


def part_text(part):
    return decode_text(part.get_payload(decode=True), part.get_content_charset())[0]


def reply_mail(thread, author, on_commit, mailoutbox, **kwargs):
    with on_commit():
        post = posts.post_reply(thread=thread, author=author, **kwargs)
    [message] = [
        m
        for m in mailoutbox
        if f"renkei.post.{post.pk}." in m.extra_headers["Message-ID"]
    ]
    return post, message


# ----- what a notification mail carries -----


def test_a_reply_mail_carries_the_post_title_category_author_and_link(
    thread, member, other_member, on_commit, mailoutbox
):
    body = "出展を希望します。\n\n**ブースは2小間**でお願いします。"
    post, message = reply_mail(thread, other_member, on_commit, mailoutbox, body=body)
    text = message.body
    assert "出展を希望します。" in text
    assert "ブースは2小間でお願いします。" in text  # bold markers gone
    assert thread.title in text
    assert thread.category.name in text
    assert post.organisation.full_name in text
    assert other_member.display_name in text
    assert "令和" in text
    notification = Notification.objects.get(user=member)
    link = "http://testserver" + reverse(
        "boards:notification_open", args=[notification.pk]
    )
    assert f"\n{link}\n" in text
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "<strong>ブースは2小間</strong>" in html
    assert "<style" not in html and "<img" not in html
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert message.subject.endswith(f"Re: {thread.title}")


def test_attachments_are_linked_with_name_size_and_type_not_attached(
    thread, member, other_member, on_commit, mailoutbox, settings
):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    post = posts.post_reply(thread=thread, author=other_member, body="資料です。")
    attachment = Attachment.objects.create(
        post=post,
        file="boards/x.pdf",
        original_name="出展要項.pdf",
        kind=Attachment.Kind.PDF,
        content_type="application/pdf",
        size=1_572_864,
    )
    notifications.fan_out.call(
        kind=NotificationKind.REPLY,
        thread_id=thread.pk,
        post_id=post.pk,
        actor_id=other_member.pk,
    )
    mail.send_pending_mail.call()
    [message] = mailoutbox
    assert message.attachments == []
    url = "http://testserver" + reverse(
        "boards:attachment_download", args=[attachment.pk, attachment.original_name]
    )
    assert "出展要項.pdf (PDF, 1.5 MB)" in message.body
    assert f"\n  {url}\n" in message.body
    assert url in message.alternatives[0][0]


def test_an_addressed_ward_is_told_how_to_answer_by_mail(
    member, ward_staff, on_commit, mailoutbox
):
    with on_commit():
        collaboration.thread_start(
            category=Category.objects.get(slug="proposals"),
            author=member,
            title="連携事業のご提案",
            body="ご検討ください。",
            details={"field": "tourism"},
            wards=[ward_staff.organisation],
        )
    [message] = [m for m in mailoutbox if m.to == [ward_staff.email]]
    assert "ご検討ください。" in message.body
    assert ward_staff.organisation.full_name in message.body
    assert "「検討中」「関心あり」「見送り」" in message.body.replace("\n", "")


# ----- reply addresses -----


def test_the_reply_to_is_a_reply_address_of_that_reader_and_thread(
    thread, member, other_member, on_commit, mailoutbox
):
    post, message = reply_mail(thread, other_member, on_commit, mailoutbox, body="はい")
    [address] = message.reply_to
    recipient = mail_addresses.recipient_parse(address)
    key = mail_addresses.reply_key_find(recipient)
    assert (key.user, key.thread, key.post) == (member, thread, post)
    assert "このメールに返信すると、スレッドに投稿されます。" in message.body


def test_no_reply_to_where_the_reader_may_not_reply(
    thread, member, other_member, ward_staff, mailoutbox, settings
):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    post = posts.post_reply(thread=thread, author=other_member, body="締め切ります")
    moderation.thread_lock(thread=thread, actor=ward_staff, reason="終了")
    notifications.fan_out.call(
        kind=NotificationKind.REPLY,
        thread_id=thread.pk,
        post_id=post.pk,
        actor_id=other_member.pk,
    )
    mail.send_pending_mail.call()
    [message] = [m for m in mailoutbox if m.to == [member.email]]
    assert message.reply_to == []
    assert "このメールに返信すると" not in message.body
    assert not ReplyKey.objects.exists()


def test_no_reply_to_without_a_mail_domain(
    thread, other_member, on_commit, mailoutbox, settings
):
    settings.MAIL_DOMAIN = ""
    _, message = reply_mail(thread, other_member, on_commit, mailoutbox, body="はい")
    assert message.reply_to == []
    assert not ReplyKey.objects.exists()
    assert message.from_email == settings.DEFAULT_FROM_EMAIL


def test_the_envelope_sender_is_the_readers_bounce_address(
    thread, member, other_member, on_commit, mailoutbox, settings
):
    _, message = reply_mail(thread, other_member, on_commit, mailoutbox, body="はい")
    assert message.from_email == mail_addresses.bounce_address(user=member)
    written = header_text(parsed(message)["From"]).replace(" ", "")
    assert written == settings.DEFAULT_FROM_EMAIL.replace(" ", "")


# ----- thread headers -----


def test_mails_of_a_thread_refer_to_the_thread_and_the_quoted_post(
    thread, member, other_member, on_commit, mailoutbox
):
    opening = thread.posts.get(position=0)
    watching.watch(user=other_member, thread=thread)
    first, _ = reply_mail(thread, other_member, on_commit, mailoutbox, body="一つ目")
    mailoutbox.clear()
    with on_commit():
        second = posts.post_reply(
            thread=thread, author=member, body="了解です", quoted=first
        )
    [message] = mailoutbox
    assert message.to == [other_member.email]
    thread_id = f"<renkei.thread.{thread.pk}@{DOMAIN}>"
    quoted_id = f"<renkei.post.{first.pk}.{other_member.pk}@{DOMAIN}>"
    headers = parsed(message)
    assert (
        headers["Message-ID"] == f"<renkei.post.{second.pk}.{other_member.pk}@{DOMAIN}>"
    )
    assert headers["In-Reply-To"] == quoted_id
    assert headers["References"].split() == [thread_id, quoted_id]
    assert opening.pk != second.pk


def test_the_opening_post_mail_refers_to_the_thread(
    member, other_member, on_commit, mailoutbox
):
    Watch.objects.create(
        user=other_member, category=Category.objects.get(slug="proposals")
    )
    with on_commit():
        thread = posts.thread_create(
            category=Category.objects.get(slug="proposals"),
            author=member,
            title="新しい提案",
            body="本文です。",
        )
    [message] = mailoutbox
    opening = thread.posts.get(position=0)
    headers = parsed(message)
    assert (
        headers["Message-ID"]
        == f"<renkei.post.{opening.pk}.{other_member.pk}@{DOMAIN}>"
    )
    assert headers["References"] == f"<renkei.thread.{thread.pk}@{DOMAIN}>"
    assert message.subject.endswith("] 新しい提案")


# ----- encodings and lines -----


def test_utf8_is_the_default(thread, other_member, on_commit, mailoutbox):
    _, message = reply_mail(thread, other_member, on_commit, mailoutbox, body="はい")
    assert text_part(message).get_content_charset() == "utf-8"


@pytest.fixture
def jis_reader(member):
    member.organisation.mail_encoding = MailEncoding.ISO2022JP
    member.organisation.save(update_fields=["mail_encoding"])
    return member


def test_iso_2022_jp_mail_is_seven_bit_and_reads_back_exactly(
    jis_reader, make_thread, other_member, on_commit, mailoutbox
):
    thread = make_thread(
        author=jis_reader,
        title="①㈱髙島屋との連携について、長い件名でも正しく分けて送られることを確かめる",
    )
    body = "①会場は㈱髙島屋の催事場です。\n" + "全角の文章が続きます。" * 20
    _, message = reply_mail(thread, other_member, on_commit, mailoutbox, body=body)
    data = raw(message)
    assert max(data) < 0x80
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    part = text_part(message)
    assert part.get_content_charset() == "iso-2022-jp"
    assert part["Content-Transfer-Encoding"] == "7bit"
    text = part_text(part)
    assert "①会場は㈱髙島屋の催事場です。" in text
    assert re.sub(r"\s", "", text).count("全角の文章が続きます。") == 20
    html = part_text(text_part(message, "html"))
    assert "①会場は㈱髙島屋の催事場です。" in html
    headers = parsed(message)
    assert header_text(headers["Subject"]).endswith(f"Re: {thread.title}")
    words = re.findall(rb"=\?ISO-2022-JP\?B\?[^?]*\?=", data)
    assert len(words) > 2 and all(len(word) <= 75 for word in words)
    assert (
        header_text(headers["To"]) == f"{jis_reader.display_name} <{jis_reader.email}>"
    )


def test_a_persons_choice_beats_the_organisations(
    jis_reader, thread, other_member, on_commit, mailoutbox
):
    jis_reader.mail_encoding = MailEncoding.UTF8
    jis_reader.save(update_fields=["mail_encoding"])
    _, message = reply_mail(thread, other_member, on_commit, mailoutbox, body="はい")
    assert text_part(message).get_content_charset() == "utf-8"


def test_a_mail_with_an_emoji_goes_as_utf8(
    jis_reader, thread, other_member, on_commit, mailoutbox, caplog
):
    _, message = reply_mail(
        thread, other_member, on_commit, mailoutbox, body="楽しみです😀"
    )
    part = text_part(message)
    assert part.get_content_charset() == "utf-8"
    assert "楽しみです😀" in part_text(part)
    assert "sent as UTF-8" in caplog.text


def test_no_line_is_longer_than_998_octets_and_our_text_wraps_at_70_columns(
    make_thread, member, other_member, on_commit, mailoutbox
):
    url = "https://example.jp/" + "a" * 150
    thread = make_thread(author=member, title="とても長い件名" * 8)
    body = "長い行。" * 400 + f"\n詳しくは {url} をご覧ください。"
    _, message = reply_mail(thread, other_member, on_commit, mailoutbox, body=body)
    assert all(len(line) <= 998 for line in raw(message).split(b"\r\n"))
    lines = message.body.splitlines()
    assert f"詳しくは {url} をご覧ください。" in lines  # the post as written
    sentence = [line for line in lines if "に返信がありました" in line]
    assert sentence and all(columns(line) <= 72 for line in sentence)
    assert len([line for line in lines if "とても長い件名" in line]) > 2


def test_wrap_text_keeps_urls_whole_and_counts_full_width_as_two():
    url = "https://example.jp/path/" + "x" * 80
    text = wrap_text("あ" * 50 + f" {url} " + "い" * 10)
    assert text.splitlines() == ["あ" * 35, "あ" * 15, url, "い" * 10]


def test_no_mail_goes_to_a_bouncing_address(
    thread,
    member,
    other_member,
    on_commit,
    mailoutbox,
    caplog,
    django_capture_on_commit_callbacks,
):
    member.mail_bouncing_since = member.date_joined
    member.save(update_fields=["mail_bouncing_since"])
    with django_capture_on_commit_callbacks(execute=True):
        posts.post_reply(thread=thread, author=other_member, body="はい")
    assert mailoutbox == []
    assert "bounces" in caplog.text
    assert Notification.objects.get(user=member).mailed_at is not None


def test_mail_build_skips_a_bouncing_member_given_by_address(member, other_member):
    member.mail_bouncing_since = member.date_joined
    member.save(update_fields=["mail_bouncing_since"])
    messages = mail_build(
        to=[member.email.upper(), other_member.email, "someone@example.com"],
        subject="件名",
        body="本文",
    )
    assert [message.to for message in messages] == [
        [other_member.email],
        ["someone@example.com"],
    ]


# ----- who hears what, in each mode -----


@pytest.fixture
def category_watcher(make_user, thread):
    """A person who follows the thread's category but not the thread."""
    watcher = make_user()
    Watch.objects.create(user=watcher, category=thread.category)
    return watcher


def reply_and_fan_out(thread, author, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    post = posts.post_reply(thread=thread, author=author, body="返信")
    notifications.fan_out.call(
        kind=NotificationKind.REPLY,
        thread_id=thread.pk,
        post_id=post.pk,
        actor_id=author.pk,
    )
    return post


def test_notices_mode_tells_category_watchers_of_new_threads_only(
    thread, other_member, category_watcher, settings
):
    reply_and_fan_out(thread, other_member, settings)
    assert not Notification.objects.filter(user=category_watcher).exists()


def test_every_post_mode_mails_every_reply_in_watched_categories_at_once(
    thread, other_member, category_watcher, settings
):
    category_watcher.mail_mode = MailMode.EVERY_POST
    category_watcher.save(update_fields=["mail_mode"])
    notifications.notification_settings_update(
        user=category_watcher, frequencies={NotificationKind.REPLY: Frequency.DAILY}
    )
    reply_and_fan_out(thread, other_member, settings)
    notification = Notification.objects.get(user=category_watcher)
    assert notification.kind == NotificationKind.REPLY
    assert notification.mail == Frequency.IMMEDIATE


def test_daily_mode_puts_what_would_be_immediate_in_the_daily_mail(
    thread, member, other_member, settings
):
    member.mail_mode = MailMode.DAILY
    member.save(update_fields=["mail_mode"])
    reply_and_fan_out(thread, other_member, settings)
    assert Notification.objects.get(user=member).mail == Frequency.DAILY


@pytest.mark.parametrize("mode", list(MailMode))
def test_a_kind_turned_off_stays_off_in_every_mode(
    thread, member, other_member, settings, mode
):
    member.mail_mode = mode
    member.save(update_fields=["mail_mode"])
    notifications.notification_settings_update(
        user=member, frequencies={NotificationKind.REPLY: Frequency.OFF}
    )
    reply_and_fan_out(thread, other_member, settings)
    assert Notification.objects.get(user=member).mail == Frequency.OFF


def test_fan_out_queries_stay_flat_as_watchers_grow(
    thread, other_member, make_user, settings
):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }

    def add_watchers(count):
        for _ in range(count):
            watcher = make_user()
            watcher.mail_mode = MailMode.EVERY_POST
            watcher.save(update_fields=["mail_mode"])
            Watch.objects.create(user=watcher, category=thread.category)

    def count_queries():
        post = posts.post_reply(thread=thread, author=other_member, body="返信")
        with CaptureQueriesContext(connection) as captured:
            notifications.fan_out.call(
                kind=NotificationKind.REPLY,
                thread_id=thread.pk,
                post_id=post.pk,
                actor_id=other_member.pk,
            )
        return len(captured)

    add_watchers(2)
    few = count_queries()
    add_watchers(10)
    assert count_queries() == few


# ----- the daily digest -----


def test_the_digest_carries_full_posts_and_a_reply_address_per_thread(
    member, make_thread, other_member, on_commit, mailoutbox
):
    member.mail_mode = MailMode.DAILY
    member.save(update_fields=["mail_mode"])
    first = make_thread(author=member, title="一つ目のスレッド")
    second = make_thread(author=member, title="二つ目のスレッド")
    with on_commit():
        posts.post_reply(thread=first, author=other_member, body="一つ目への返信本文")
        posts.post_reply(thread=second, author=other_member, body="二つ目への返信本文")
    assert mailoutbox == []
    assert mail.send_daily_digests.call() == 1
    [digest] = mailoutbox
    assert "一つ目への返信本文" in digest.body and "二つ目への返信本文" in digest.body
    addresses = re.findall(r"このスレッドに返信:\n(\S+)", digest.body)
    threads = [
        mail_addresses.reply_key_find(mail_addresses.recipient_parse(a)).thread
        for a in addresses
    ]
    assert sorted(t.title for t in threads) == ["一つ目のスレッド", "二つ目のスレッド"]
    assert digest.reply_to == []


# ----- the settings page -----


def settings_data(**changes):
    data = {"mail_mode": MailMode.NOTICES, "mail_encoding": ""}
    data.update({kind.value: Frequency.IMMEDIATE for kind in NotificationKind})
    return {**data, **changes}


def test_the_settings_page_saves_mode_encoding_and_frequencies(member, member_client):
    url = reverse("boards:notification_settings")
    page = member_client.get(url)
    assert "所属団体の設定に従う" in page.content.decode()
    response = member_client.post(
        url,
        settings_data(
            mail_mode=MailMode.EVERY_POST,
            mail_encoding=MailEncoding.ISO2022JP,
            reply=Frequency.OFF,
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    member.refresh_from_db()
    assert member.mail_mode == MailMode.EVERY_POST
    assert member.effective_mail_encoding == MailEncoding.ISO2022JP
    assert (
        notifications.NotificationSetting.objects.get(
            user=member, kind="reply"
        ).frequency
        == Frequency.OFF
    )


@pytest.mark.parametrize(
    "field", ["mail_mode", "mail_encoding", NotificationKind.REPLY.value]
)
def test_an_invalid_choice_saves_nothing(member, member_client, field):
    response = member_client.post(
        reverse("boards:notification_settings"),
        settings_data(
            **{"mail_mode": MailMode.DAILY, "announcement": Frequency.OFF}
            | {field: "sometimes"}
        ),
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    member.refresh_from_db()
    assert member.mail_mode == MailMode.NOTICES
    assert not notifications.NotificationSetting.objects.filter(user=member).exists()


def test_choosing_daily_moves_waiting_mail_to_the_digest(
    thread, member, other_member, settings
):
    reply_and_fan_out(thread, other_member, settings)
    notifications.notification_settings_update(
        user=member,
        frequencies={NotificationKind.REPLY: Frequency.IMMEDIATE},
        mail_mode=MailMode.DAILY,
    )
    assert Notification.objects.get(user=member).mail == Frequency.DAILY


def test_the_settings_page_needs_sign_in(client):
    url = reverse("boards:notification_settings")
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


# ----- on the wire -----


class Sink:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_sink(settings):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 10},
        }
    }
    yield sink
    controller.stop()


def test_an_iso_2022_jp_notification_crosses_smtp_as_written(
    jis_reader, thread, other_member, on_commit, smtp_sink
):
    with on_commit():
        posts.post_reply(
            thread=thread, author=other_member, body="①㈱の資料を送ります。"
        )
    [envelope] = smtp_sink.envelopes
    assert envelope.mail_from == mail_addresses.bounce_address(user=jis_reader)
    assert envelope.rcpt_tos == [jis_reader.email]
    data = envelope.original_content
    assert max(data) < 0x80
    received = email.message_from_bytes(data, policy=email.policy.compat32)
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["Reply-To"].startswith("reply+")
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain = next(p for p in received.walk() if p.get_content_type() == "text/plain")
    assert "①㈱の資料を送ります。" in part_text(plain)
    assert header_text(received["Subject"]).endswith(f"Re: {thread.title}")


# ----- the demo -----


@pytest.fixture
def sink():
    """An SMTP server on loopback that keeps what it is given."""
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    yield sink
    controller.stop()


@pytest.mark.django_db(transaction=True)
def test_after_seed_demo_db_worker_batch_mails_a_demo_account_a_reply_address(
    settings, sink
):
    """The issue's fixed point, with the real command and a real worker."""
    make_migration_rows()
    settings.DEBUG = True
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    call_command("seed_demo", verbosity=0)
    environment = site_environment(
        DJANGO_DEBUG="1",
        DJANGO_EMAIL_HOST="127.0.0.1",
        DJANGO_EMAIL_PORT=str(sink.port),
        RENKEI_MAIL_DOMAIN=DOMAIN,
    )
    subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"],
        cwd=settings.BASE_DIR,
        env=environment,
        check=True,
        capture_output=True,
        timeout=600,
    )
    demo = {"office@example.jp", "chiyoda@example.jp", "nanao@example.jp"}
    answerable = []
    for envelope in sink.envelopes:
        received = email.message_from_bytes(
            envelope.original_content, policy=email.policy.compat32
        )
        subject = header_text(received["Subject"])
        if set(envelope.rcpt_tos) & demo and "Re:" in subject and received["Reply-To"]:
            answerable.append((envelope.rcpt_tos, received["Reply-To"]))
    assert answerable
    for rcpt_tos, reply_to in answerable:
        key = mail_addresses.reply_key_find(mail_addresses.recipient_parse(reply_to))
        assert [key.user.email] == rcpt_tos


# ----- admin -----


def test_the_office_sees_and_sets_mail_fields_in_admin(
    client, office_staff, member, settings
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.force_login(office_staff)
    user_page = client.get(reverse("admin:members_user_change", args=[member.pk]))
    for name in ("mail_mode", "mail_encoding", "mail_bouncing_since"):
        assert name in user_page.context["adminform"].form.fields
    organisation_page = client.get(
        reverse("admin:members_organisation_change", args=[member.organisation.pk])
    )
    assert "mail_encoding" in organisation_page.context["adminform"].form.fields
