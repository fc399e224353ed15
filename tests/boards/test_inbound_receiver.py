"""The real receiver over SMTP on loopback.

`manage.py mail_receiver` runs as its own process on the test database;
the tests send it mail with smtplib as an MTA would, and the mail it
answers with is queued for the task worker, which a `manage.py db_worker
--batch` process sends to an SMTP sink the test listens with.
"""

import email
import email.policy
import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.utils import timezone

from boards import mail_addresses
from boards.models import Addressee, InboundMail, Post, ReplyKey
from boards.services import collaboration, moderation, posts
from boards.services.watching import watch
from config.database_url import database_url
from members import permissions
from members.services.mail import signed_address
from tests import factories
from tests.boards import mails
from tests.migration_rows import make_migration_rows

pytestmark = pytest.mark.django_db(transaction=True)

DOMAIN = "mail.renkei.test"
# Small enough that a 10 MB attachment (13.7 MB in base64) is refused and
# answered, not only turned away by the receiver's size limit.
MAX_BYTES = 12 * 1024 * 1024
REFUSAL_SUBJECT = "メールを投稿できませんでした"
Result = InboundMail.Result
Reason = InboundMail.Reason


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError("gave up waiting")
        time.sleep(0.05)
    return value


class Sink:
    """An SMTP server that keeps what it is sent."""

    def __init__(self):
        self.messages = []
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=email.policy.default
        )
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address):
        return [message for rcpt, message in self.messages if address in rcpt]


@pytest.fixture(scope="module")
def sink():
    sink = Sink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


def environment(sink):
    return {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict),
        "RENKEI_MAIL_DOMAIN": DOMAIN,
        "RENKEI_MAIL_MAX_BYTES": str(MAX_BYTES),
        "DJANGO_EMAIL_HOST": "127.0.0.1",
        "DJANGO_EMAIL_PORT": str(sink.controller.port),
    }


class Receiver:
    """`manage.py mail_receiver` on a free port, its log in a file."""

    def __init__(self, sink, log_path, *options, **env):
        self.port = free_port()
        self.log_path = log_path
        self.log = open(log_path, "ab")  # noqa: SIM115 - open while it runs
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "mail_receiver",
                "--bind",
                f"127.0.0.1:{self.port}",
                *options,
            ],
            cwd=settings.BASE_DIR,
            env={**environment(sink), **env},
            stdout=self.log,
            stderr=self.log,
        )
        wait_for(self.listening)

    def listening(self):
        if self.process.poll() is not None:
            raise AssertionError(self.log_path.read_text())
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    def send(self, raw, *, to, sender="mta@example.jp"):
        """Hand over one message; the receiver's answer to it."""
        with smtplib.SMTP("127.0.0.1", self.port, timeout=120) as client:
            client.ehlo("mta.example.jp")
            client.mail(sender)
            code, answer = client.rcpt(to)
            if code != 250:
                return code, answer
            return client.data(raw)

    def stop(self, signum=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(signum)
        self.process.wait(timeout=90)
        self.log.close()


@pytest.fixture(scope="module")
def receiver(sink, django_db_setup, django_db_blocker, tmp_path_factory):
    receiver = Receiver(sink, tmp_path_factory.mktemp("receiver") / "log")
    yield receiver
    receiver.stop()


def send_queued_mail(sink):
    """Run the task worker until the queue is empty, as the worker service does."""
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--batch",
            "--no-startup-delay",
            "--interval",
            "0.1",
        ],
        cwd=settings.BASE_DIR,
        env=environment(sink),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=300,
    )


@pytest.fixture(autouse=True)
def world(transactional_db, settings, sink):
    make_migration_rows()
    settings.MAIL_DOMAIN = DOMAIN
    sink.messages.clear()


@pytest.fixture
def member(world):
    return factories.make_user(email="tanaka@city.nanao.lg.jp", display_name="田中")


@pytest.fixture
def author(world):
    return factories.make_user(email="yamada@city.chiyoda.lg.jp", display_name="山田")


@pytest.fixture
def thread(author):
    return factories.make_thread(author=author, title="受援計画の改定について")


def reply_to(user, thread):
    return mail_addresses.reply_address(user=user, thread=thread)


def new_posts(thread):
    return list(Post.objects.filter(thread=thread, position__gt=0).order_by("position"))


# ----- replies become posts -----


@pytest.mark.parametrize("client", ["outlook_ja", "thunderbird_ja", "becky"])
def test_a_reply_from_a_mail_client_posts_only_its_new_text(
    receiver, member, thread, client
):
    address = reply_to(member, thread)
    code, _answer = receiver.send(
        mails.load(client, to=address, sender=member.email), to=address
    )
    assert code == 250
    (post,) = new_posts(thread)
    assert (post.author, post.body) == (member, mails.EXPECTED[client])


def test_a_notification_mailed_out_is_answered_by_mail_and_posted(
    receiver, sink, settings, member, author, thread
):
    """The whole loop: a reply on the site is mailed to a watcher over SMTP,
    and the watcher's answer, written as Outlook writes it, is posted."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": sink.controller.port},
        }
    }
    watch(user=member, thread=thread)
    posts.post_reply(
        thread=thread, author=author, body="各区のご意見をお寄せください。"
    )
    (notification,) = sink.to(member.email)
    assert (
        "各区のご意見をお寄せください。"
        in notification.get_body(("plain",)).get_content()
    )
    address = notification["Reply-To"]
    code, _answer = receiver.send(
        mails.load("outlook_ja", to=address, sender=member.email), to=address
    )
    assert code == 250
    *_, answer = new_posts(thread)
    assert (answer.author, answer.body) == (member, mails.EXPECTED["outlook_ja"])


def test_the_poster_is_acknowledged_with_a_new_reply_address(
    receiver, sink, member, thread
):
    address = reply_to(member, thread)
    receiver.send(mails.load("becky", to=address, sender=member.email), to=address)
    send_queued_mail(sink)
    (message,) = sink.to(member.email)
    assert message["Subject"].endswith("投稿しました: 受援計画の改定について")
    assert "Becky!から返信しています。" in message.get_content()
    new_address = message["Reply-To"]
    assert mail_addresses.recipient_parse(new_address).kind == "reply"
    assert new_address != address


def test_a_reply_to_the_mailed_acknowledgement_posts_again(
    receiver, sink, member, thread
):
    address = reply_to(member, thread)
    receiver.send(mails.load("becky", to=address, sender=member.email), to=address)
    send_queued_mail(sink)
    (acknowledgement,) = sink.to(member.email)
    again = acknowledgement["Reply-To"]
    code, _answer = receiver.send(
        mails.load("thunderbird_ja", to=again, sender=member.email), to=again
    )
    assert code == 250
    assert [post.body for post in new_posts(thread)] == [
        mails.EXPECTED["becky"],
        mails.EXPECTED["thunderbird_ja"],
    ]


def test_a_wards_interest_by_mail_changes_its_state(receiver, thread):
    ward = factories.make_ward(name="千代田区")
    staff = factories.make_user(
        organisation=ward,
        email="kikaku@city.chiyoda.lg.jp",
        role=permissions.WARD_STAFF,
    )
    collaboration.addressees_set(thread=thread, wards=[ward])
    address = reply_to(staff, thread)
    receiver.send(
        mails.load("keyword_interest", to=address, sender=staff.email), to=address
    )
    addressee = Addressee.objects.get(thread=thread, organisation=ward)
    assert addressee.state == Addressee.State.INTERESTED
    assert addressee.comment.startswith("七尾市の田中です。")


def test_a_replayed_message_id_posts_once(receiver, member, thread):
    address = reply_to(member, thread)
    raw = mails.load("gmail_ja", to=address, sender=member.email)
    assert receiver.send(raw, to=address)[0] == 250
    assert receiver.send(raw, to=address)[0] == 250
    assert len(new_posts(thread)) == 1
    assert InboundMail.objects.count() == 1


def test_an_address_not_ours_is_refused_during_smtp(receiver):
    code, _answer = receiver.send(b"Subject: x\r\n\r\nx", to="someone@example.com")
    assert code == 550
    forged = f"reply+abcdefgh-notsigned000@{DOMAIN}"
    assert receiver.send(b"Subject: x\r\n\r\nx", to=forged)[0] == 550
    assert not InboundMail.objects.exists()


# ----- refusals: a log line each, and a reply to members only -----


def refusal(receiver, sink, *, raw, to):
    assert receiver.send(raw, to=to)[0] == 250
    send_queued_mail(sink)
    return InboundMail.objects.get(recipient=to)


def assert_told(sink, user, row):
    (message,) = sink.to(user.email)
    assert message["Subject"].endswith(REFUSAL_SUBJECT)
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["In-Reply-To"] == f"<{row.message_id}>"


def test_an_expired_address_is_refused_and_the_member_told(
    receiver, sink, member, thread
):
    address = reply_to(member, thread)
    ReplyKey.objects.update(created_at=timezone.now() - timedelta(days=91))
    row = refusal(
        receiver,
        sink,
        raw=mails.load("becky", to=address, sender=member.email),
        to=address,
    )
    assert (row.result, row.reason) == (Result.REFUSED, Reason.EXPIRED)
    assert_told(sink, member, row)


def test_a_used_address_is_refused_and_the_member_told(receiver, sink, member, thread):
    address = reply_to(member, thread)
    receiver.send(mails.load("becky", to=address, sender=member.email), to=address)
    receiver.send(mails.load("gmail_ja", to=address, sender=member.email), to=address)
    send_queued_mail(sink)
    row = InboundMail.objects.get(reason=Reason.REUSED)
    assert len(new_posts(thread)) == 1
    (message,) = [m for m in sink.to(member.email) if REFUSAL_SUBJECT in m["Subject"]]
    assert message["In-Reply-To"] == f"<{row.message_id}>"


def test_a_closed_thread_refuses_and_the_member_is_told(
    receiver, sink, member, thread, author
):
    office = factories.make_user(role=permissions.OFFICE_STAFF)
    moderation.thread_lock(thread=thread, actor=office, reason="終了")
    address = reply_to(member, thread)
    row = refusal(
        receiver,
        sink,
        raw=mails.load("becky", to=address, sender=member.email),
        to=address,
    )
    assert row.reason == Reason.THREAD_CLOSED
    assert_told(sink, member, row)


def test_a_hidden_thread_refuses_and_the_member_is_told(receiver, sink, member, thread):
    office = factories.make_user(role=permissions.OFFICE_STAFF)
    moderation.thread_hide(thread=thread, actor=office, reason="重複")
    address = reply_to(member, thread)
    row = refusal(
        receiver,
        sink,
        raw=mails.load("becky", to=address, sender=member.email),
        to=address,
    )
    assert row.reason == Reason.THREAD_HIDDEN
    assert_told(sink, member, row)


def test_a_tnef_mail_is_refused_and_the_member_is_told(receiver, sink, member, thread):
    address = reply_to(member, thread)
    row = refusal(
        receiver,
        sink,
        raw=mails.load("tnef", to=address, sender=member.email),
        to=address,
    )
    assert row.reason == Reason.ATTACHMENT
    assert_told(sink, member, row)
    assert new_posts(thread) == []


def test_a_member_using_anothers_address_is_refused_and_told(
    receiver, sink, member, thread, author
):
    address = reply_to(member, thread)
    row = refusal(
        receiver,
        sink,
        raw=mails.load("becky", to=address, sender=author.email),
        to=address,
    )
    assert row.reason == Reason.WRONG_SENDER
    assert_told(sink, author, row)
    assert sink.to(member.email) == []


def test_a_forged_sender_with_a_valid_address_gets_no_reply(
    receiver, sink, member, thread
):
    address = reply_to(member, thread)
    forger = "attacker@example.com"
    row = refusal(
        receiver, sink, raw=mails.load("becky", to=address, sender=forger), to=address
    )
    assert row.reason == Reason.WRONG_SENDER
    assert sink.messages == []
    assert new_posts(thread) == []


def test_a_forged_owners_address_failing_dmarc_is_refused_and_the_owner_told(
    sink, member, thread, tmp_path
):
    """A valid address and the owner's From, from a server the owner's domain
    disowns: the MTA in front of Renkei says so and the mail is not posted."""
    receiver = Receiver(
        sink, tmp_path / "log", RENKEI_MAIL_AUTHSERV_ID="mx.renkei.example.jp"
    )
    address = reply_to(member, thread)
    stamp = (
        b"Authentication-Results: mx.renkei.example.jp; spf=fail "
        b"smtp.mailfrom=attacker.example; dmarc=fail header.from=city.nanao.lg.jp\r\n"
    )
    try:
        row = refusal(
            receiver,
            sink,
            raw=stamp + mails.load("becky", to=address, sender=member.email),
            to=address,
        )
    finally:
        receiver.stop()
    assert row.reason == Reason.UNAUTHENTICATED
    assert_told(sink, member, row)
    assert new_posts(thread) == []


def big_mail(*, to, sender, megabytes=10):
    message = EmailMessage()
    message["From"], message["To"] = sender, to
    message["Subject"] = "Re: 資料"
    message["Message-ID"] = make_msgid(domain="city.nanao.lg.jp")
    message.set_content("資料を添付します。")
    message.add_attachment(
        os.urandom(megabytes * 1024 * 1024),
        maintype="application",
        subtype="pdf",
        filename="資料.pdf",
    )
    return message.as_bytes(policy=email.policy.SMTP)


def test_a_10_mb_attachment_is_too_large_and_the_member_is_told(
    receiver, sink, member, thread
):
    address = reply_to(member, thread)
    row = refusal(
        receiver, sink, raw=big_mail(to=address, sender=member.email), to=address
    )
    assert (row.reason, row.size > MAX_BYTES) == (Reason.TOO_LARGE, True)
    assert_told(sink, member, row)


def test_a_refused_member_is_told_once_a_day(receiver, sink, member, thread):
    address = reply_to(member, thread)
    ReplyKey.objects.update(created_at=timezone.now() - timedelta(days=91))
    for name in ("becky", "gmail_ja"):
        receiver.send(mails.load(name, to=address, sender=member.email), to=address)
    send_queued_mail(sink)
    assert InboundMail.objects.filter(reason=Reason.EXPIRED).count() == 2
    assert len(sink.to(member.email)) == 1


def test_automatic_replies_and_bounces_are_never_answered(
    receiver, sink, member, thread
):
    address = reply_to(member, thread)
    for name in ("auto_reply_ja", "auto_reply_precedence"):
        receiver.send(mails.load(name, to=address, sender=member.email), to=address)
    bounce = mail_addresses.bounce_address(user=member)
    receiver.send(mails.load("bounce_dsn", to=bounce, sender=""), to=bounce)
    send_queued_mail(sink)
    results = sorted(InboundMail.objects.values_list("result", flat=True))
    assert results == [Result.AUTO_REPLY, Result.AUTO_REPLY, Result.BOUNCE]
    assert sink.messages == []
    member.refresh_from_db()
    assert member.mail_bouncing_since is not None


# ----- bad input never crashes the receiver -----


def zip_bomb():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (50 * 1024 * 1024))
    return buffer.getvalue()


def with_attachment(*, to, sender, data, filename):
    message = EmailMessage()
    message["From"], message["To"] = sender, to
    message["Subject"] = "Re: 資料"
    message["Message-ID"] = make_msgid(domain="city.nanao.lg.jp")
    message.set_content("資料を添付します。")
    message.add_attachment(
        data, maintype="application", subtype="octet-stream", filename=filename
    )
    return message.as_bytes(policy=email.policy.SMTP)


def test_bad_input_never_crashes_the_receiver(receiver, sink, member, thread):
    cases = {
        "shift_jis": lambda to: mails.load("shift_jis", to=to, sender=member.email),
        "iso-2022-jp with ①": lambda to: mails.load(
            "outlook_ja", to=to, sender=member.email
        ),
        "html only": lambda to: mails.load(
            "outlook365_html_only", to=to, sender=member.email
        ),
        "quoted-printable": lambda to: mails.load(
            "qp_utf8", to=to, sender=member.email
        ),
        "base64": lambda to: mails.load("gmail_ja", to=to, sender=member.email),
        "forwarded chain": lambda to: mails.load(
            "forwarded_chain", to=to, sender=member.email
        ),
        "tnef": lambda to: mails.load("tnef", to=to, sender=member.email),
        "10 MB": lambda to: big_mail(to=to, sender=member.email),
        "zip bomb": lambda to: with_attachment(
            to=to, sender=member.email, data=zip_bomb(), filename="報告書.docx"
        ),
        "forged from": lambda to: mails.load("becky", to=to, sender="x@example.com"),
        "header injection": lambda to: mails.load(
            "header_injection", to=to, sender=member.email
        ),
        "not a mail": lambda to: b"\xff\xfe\x00garbage\r\n\r\n\x00\x01",
    }
    for name, make in cases.items():
        address = reply_to(member, thread)
        code, answer = receiver.send(make(address), to=address)
        assert code == 250, (name, answer)
        assert InboundMail.objects.get(recipient=address).result in (
            Result.POSTED,
            Result.REFUSED,
        ), name
    assert receiver.listening()
    reasons = dict(InboundMail.objects.values_list("recipient", "reason"))
    bodies = {post.body for post in new_posts(thread)}
    assert mails.EXPECTED["shift_jis"] in bodies
    assert mails.EXPECTED["outlook_ja"] in bodies
    assert mails.EXPECTED["outlook365_html_only"] in bodies
    assert mails.EXPECTED["header_injection"] in bodies
    assert mails.EXPECTED["qp_utf8"] in bodies
    assert mails.EXPECTED["gmail_ja"] in bodies
    assert mails.EXPECTED["forwarded_chain"] in bodies
    assert len(bodies) == len(new_posts(thread)) == 7
    assert sorted(r for r in reasons.values() if r) == sorted(
        [
            Reason.ATTACHMENT,
            Reason.TOO_LARGE,
            Reason.ATTACHMENT,
            Reason.WRONG_SENDER,
            # No From at all: not the address's owner either.
            Reason.WRONG_SENDER,
        ]
    )


def test_a_reply_to_a_header_injection_carries_no_injected_header(
    receiver, sink, member, thread
):
    address = reply_to(member, thread)
    ReplyKey.objects.update(created_at=timezone.now() - timedelta(days=91))
    refusal(
        receiver,
        sink,
        raw=mails.load("header_injection", to=address, sender=member.email),
        to=address,
    )
    (message,) = sink.to(member.email)
    assert [rcpt for rcpt, _ in sink.messages] == [[member.email]]
    assert message["Bcc"] is None and message["Cc"] is None


# ----- restarts -----


def test_a_receiver_killed_mid_batch_posts_each_mail_once(
    sink, member, author, tmp_path
):
    threads = [
        factories.make_thread(author=author, title=f"件名{n}") for n in range(12)
    ]
    batch = []
    for thread in threads:
        address = reply_to(member, thread)
        batch.append((address, mails.load("becky", to=address, sender=member.email)))
    receiver = Receiver(sink, tmp_path / "first.log")
    answered = []

    def deliver():
        for address, raw in batch:
            try:
                answered.append(receiver.send(raw, to=address)[0])
            except (OSError, smtplib.SMTPException):
                return

    sender = threading.Thread(target=deliver)
    sender.start()
    wait_for(lambda: InboundMail.objects.count() >= 3)
    receiver.stop(signal.SIGKILL)
    sender.join(timeout=120)
    assert len(answered) < len(batch)
    # The MTA hands over again whatever it sent, as it cannot know what
    # the dead receiver stored before it died.
    restarted = Receiver(sink, tmp_path / "second.log")
    try:
        codes = [restarted.send(raw, to=address)[0] for address, raw in batch]
    finally:
        restarted.stop()
    assert codes == [250] * len(batch)
    assert [len(new_posts(thread)) for thread in threads] == [1] * len(threads)
    assert InboundMail.objects.filter(result=Result.POSTED).count() == len(batch)


def test_the_receiver_stops_cleanly_on_sigterm(sink, tmp_path):
    receiver = Receiver(sink, tmp_path / "log")
    receiver.stop(signal.SIGTERM)
    assert receiver.process.returncode == 0


def test_a_receiver_without_its_database_answers_try_again_later(sink, tmp_path):
    receiver = Receiver(
        sink, tmp_path / "log", DATABASE_URL="postgres://postgres@127.0.0.1:1/renkei"
    )
    address = signed_address(mail_addresses.REPLY, "somekey")
    try:
        code, answer = receiver.send(mails.load("becky", to=address), to=address)
    finally:
        receiver.stop()
    assert (code, answer[:5]) == (451, b"4.3.0")


def test_the_receiver_speaks_lmtp(sink, member, thread, tmp_path):
    receiver = Receiver(sink, tmp_path / "log", "--lmtp")
    address = reply_to(member, thread)
    try:
        with smtplib.LMTP("127.0.0.1", receiver.port, timeout=60) as client:
            refused = client.sendmail(
                "mta@example.jp",
                [address],
                mails.load("becky", to=address, sender=member.email),
            )
    finally:
        receiver.stop()
    assert refused == {}
    assert [post.body for post in new_posts(thread)] == [mails.EXPECTED["becky"]]


def test_over_lmtp_a_mail_to_two_threads_posts_in_each(sink, member, author, tmp_path):
    """The second recipient is told 452 and delivered again by itself, as
    Postfix does: the same message, Message-ID and all, a second time."""
    threads = [factories.make_thread(author=author, title=f"件名{n}") for n in (1, 2)]
    addresses = [reply_to(member, thread) for thread in threads]
    raw = mails.load("becky", to=", ".join(addresses), sender=member.email)
    receiver = Receiver(sink, tmp_path / "log", "--lmtp")
    try:
        with smtplib.LMTP("127.0.0.1", receiver.port, timeout=60) as client:
            refused = client.sendmail("mta@example.jp", addresses, raw)
            assert list(refused) == [addresses[1]]
            assert client.sendmail("mta@example.jp", [addresses[1]], raw) == {}
    finally:
        receiver.stop()
    assert [[post.body for post in new_posts(thread)] for thread in threads] == [
        [mails.EXPECTED["becky"]],
        [mails.EXPECTED["becky"]],
    ]
