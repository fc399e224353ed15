"""The ingest service: what becomes of each received message.

The parser (boards.inbound.parse) has tests of its own; here it is replaced
by the ParsedMail each test needs, so that every decision is tested alone.
"""

import io
import itertools
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone
from PIL import Image

from boards import mail_addresses
from boards.inbound.parse import Bounce, MailFile, ParsedMail
from boards.models import (
    Addressee,
    Category,
    InboundMail,
    Interest,
    Post,
    ReplyKey,
)
from boards.services import collaboration, inbound, moderation
from members.models import ContactChange
from members.services.mail import signed_address
from tests import factories

pytestmark = pytest.mark.django_db

DOMAIN = "mail.renkei.test"
Result = InboundMail.Result
Reason = InboundMail.Reason
_numbers = itertools.count(1)


def png():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _mail_domain(settings):
    settings.MAIL_DOMAIN = DOMAIN


@pytest.fixture
def thread(other_member):
    return factories.make_thread(author=other_member)


@pytest.fixture
def address(member, thread):
    return mail_addresses.reply_address(user=member, thread=thread)


@pytest.fixture
def ingest(monkeypatch, django_capture_on_commit_callbacks):
    """Hand the service a message the parser read as `fields` say."""

    def ingest(*, to, raw=b"raw message", channel="smtp", **fields):
        values = {
            "message_id": f"m{next(_numbers)}@example.jp",
            "from_address": "member@example.jp",
            "from_name": "",
            "subject": "Re: 観光物産展への出展について",
            "text": "参加します。",
            "elided": "",
            **fields,
        }
        parsed = ParsedMail(**values)
        monkeypatch.setattr(inbound, "parse_mail", lambda _raw: parsed)
        with django_capture_on_commit_callbacks(execute=True):
            return inbound.mail_ingest(
                raw=raw,
                channel=channel,
                recipients=to if isinstance(to, list) else [to],
                envelope_from="x@y",
            )

    return ingest


def key_of(address):
    return ReplyKey.objects.get(key=mail_addresses.recipient_parse(address).value)


def refused_with(row, reason):
    return (row.result, row.reason) == (Result.REFUSED, reason)


# ----- replies that post -----


def test_a_reply_becomes_a_post_by_the_addresss_owner(ingest, address, member, thread):
    row = ingest(to=address, text="参加します。\nよろしくお願いします。")
    post = Post.objects.get(thread=thread, position=1)
    assert (post.author, post.body) == (member, "参加します。\nよろしくお願いします。")
    assert row.result == Result.POSTED


def test_the_log_row_names_post_thread_and_sender(ingest, address, member, thread):
    row = ingest(to=address)
    row.refresh_from_db()
    assert (row.post.thread, row.thread, row.user) == (thread, thread, member)


def test_a_posting_reply_uses_its_key(ingest, address):
    ingest(to=address)
    assert key_of(address).used_at is not None


def test_a_posted_reply_is_acknowledged_with_the_text_link_and_a_new_address(
    ingest, address, member, mailoutbox
):
    ingest(to=address, text="参加します。")
    (message,) = [m for m in mailoutbox if m.to == [member.email]]
    post = Post.objects.get(position=1)
    assert "参加します。" in message.body
    assert f"/boards/p/{post.pk}/" in message.body
    new_address = message.extra_headers["Reply-To"]
    assert new_address != address
    assert mail_addresses.recipient_parse(new_address).kind == "reply"
    assert message.extra_headers["Auto-Submitted"] == "auto-replied"


def test_the_same_message_id_posts_once(ingest, address):
    first = ingest(to=address, message_id="same@example.jp")
    second = ingest(to=address, message_id="same@example.jp")
    assert first.pk == second.pk
    assert Post.objects.filter(position__gt=0).count() == 1
    assert InboundMail.objects.count() == 1


def test_one_message_delivered_to_each_recipient_apart_posts_in_each_thread(
    ingest, address, member, other_member
):
    """LMTP, one recipient per delivery: the same Message-ID arrives once
    for each of Renkei's addresses the mail was sent to."""
    second_thread = factories.make_thread(author=other_member)
    second = mail_addresses.reply_address(user=member, thread=second_thread)
    for to in (address, second, address, second):
        ingest(to=to, message_id="both@example.jp")
    assert Post.objects.filter(position__gt=0).count() == 2
    assert Post.objects.filter(thread=second_thread, position=1).exists()
    assert sorted(InboundMail.objects.values_list("recipient", flat=True)) == sorted(
        [address, second]
    )


def test_one_message_handed_over_for_two_recipients_posts_in_each_thread(
    ingest, address, member, other_member
):
    second_thread = factories.make_thread(author=other_member)
    second = mail_addresses.reply_address(user=member, thread=second_thread)
    for _again in range(2):
        ingest(to=[address, second], message_id="both@example.jp")
    assert Post.objects.filter(position__gt=0).count() == 2
    assert InboundMail.objects.count() == 2


def test_an_accepted_attachment_is_posted_with_the_reply(ingest, address):
    ingest(to=address, attachments=[MailFile("地図.png", "image/png", png())])
    post = Post.objects.get(position=1)
    assert [a.original_name for a in post.attachments.all()] == ["地図.png"]


def test_the_raw_message_is_kept(ingest, address):
    row = ingest(to=address, raw=b"Subject: x\r\n\r\nbody")
    row.refresh_from_db()
    assert bytes(row.raw) == b"Subject: x\r\n\r\nbody"


# ----- replies that are refused -----


def test_an_address_with_a_bad_signature_is_a_bad_token(ingest):
    row = ingest(to=f"reply+abcdef-badsignature@{DOMAIN}")
    assert refused_with(row, Reason.BAD_TOKEN)


def test_a_signed_address_of_no_key_is_a_bad_token(ingest):
    row = ingest(to=signed_address(mail_addresses.REPLY, "nokey"))
    assert refused_with(row, Reason.BAD_TOKEN)


def test_an_old_reply_address_has_expired(ingest, address, settings):
    ReplyKey.objects.update(
        created_at=timezone.now() - timedelta(days=settings.MAIL_REPLY_DAYS + 1)
    )
    assert refused_with(ingest(to=address), Reason.EXPIRED)


def test_a_reply_address_posts_once(ingest, address):
    ingest(to=address)
    assert refused_with(ingest(to=address), Reason.REUSED)
    assert Post.objects.filter(position__gt=0).count() == 1


def test_a_reply_from_another_address_is_refused(ingest, address):
    row = ingest(to=address, from_address="someone@example.com")
    assert refused_with(row, Reason.WRONG_SENDER)
    assert not Post.objects.filter(position__gt=0).exists()


FORGED = ["mx.renkei.example.jp; dmarc=fail header.from=example.jp"]


def test_a_reply_whose_dmarc_failed_at_our_mta_is_refused(ingest, address, settings):
    settings.MAIL_AUTHSERV_ID = "mx.renkei.example.jp"
    row = ingest(to=address, authentication=FORGED)
    assert refused_with(row, Reason.UNAUTHENTICATED)
    assert not Post.objects.filter(position__gt=0).exists()
    assert key_of(address).used_at is None


def test_the_member_whose_address_was_forged_is_told(
    ingest, address, settings, mailoutbox
):
    settings.MAIL_AUTHSERV_ID = "mx.renkei.example.jp"
    ingest(to=address, authentication=FORGED)
    (message,) = refusals_to(mailoutbox, "member@example.jp")
    assert "DMARC" in message.body


def test_authentication_results_are_not_read_without_an_authserv_id(
    ingest, address, settings
):
    settings.MAIL_AUTHSERV_ID = ""
    assert ingest(to=address, authentication=FORGED).result == Result.POSTED


def test_the_sender_is_matched_ignoring_case(ingest, address):
    assert ingest(to=address, from_address="MEMBER@Example.JP").result == (
        Result.POSTED
    )


def test_a_reply_of_a_deactivated_account_is_refused(ingest, address, member):
    member.is_active = False
    member.save()
    assert refused_with(ingest(to=address), Reason.INACTIVE)


def test_a_reply_to_a_hidden_thread_is_refused(ingest, address, thread, office_staff):
    moderation.thread_hide(thread=thread, actor=office_staff, reason="重複")
    assert refused_with(ingest(to=address), Reason.THREAD_HIDDEN)


def test_a_reply_to_a_locked_thread_is_refused(ingest, address, thread, office_staff):
    moderation.thread_lock(thread=thread, actor=office_staff, reason="終了")
    assert refused_with(ingest(to=address), Reason.THREAD_CLOSED)


def test_a_reply_with_no_new_text_is_empty(ingest, address):
    row = ingest(to=address, text="", elided="> 以前のメール")
    assert refused_with(row, Reason.EMPTY)
    assert key_of(address).used_at is None


def test_a_reply_longer_than_a_post_is_refused(ingest, address):
    assert refused_with(ingest(to=address, text="あ" * 20001), Reason.TOO_LONG)


def test_a_tnef_mail_is_refused_as_an_attachment_problem(ingest, address):
    row = ingest(to=address, problems=["tnef"])
    assert refused_with(row, Reason.ATTACHMENT)
    assert "winmail.dat" in row.detail


def test_an_unreadable_mail_is_refused(ingest, address):
    assert refused_with(ingest(to=address, problems=["unreadable"]), Reason.UNREADABLE)


def test_a_refused_attachment_posts_nothing(ingest, address):
    row = ingest(
        to=address,
        attachments=[
            MailFile("地図.png", "image/png", png()),
            MailFile("tool.exe", "application/octet-stream", b"MZ\x90\x00" * 100),
        ],
    )
    assert refused_with(row, Reason.ATTACHMENT)
    assert "tool.exe" in row.detail
    assert not Post.objects.filter(position__gt=0).exists()
    assert key_of(address).used_at is None


def test_a_mail_over_the_size_limit_is_refused(ingest, address, settings):
    settings.MAIL_MAX_BYTES = 100
    row = ingest(to=address, raw=b"Subject: x\r\n\r\n" + b"a" * 200)
    assert refused_with(row, Reason.TOO_LARGE)
    row.refresh_from_db()
    assert (row.size, bytes(row.raw)) == (214, b"Subject: x\r\n\r\n")


def test_mail_to_an_address_not_ours_is_logged_as_unknown(ingest):
    row = ingest(to="office@example.jp")
    assert refused_with(row, Reason.UNKNOWN_ADDRESS)


def test_a_database_outage_leaves_nothing_done(ingest, address, monkeypatch):
    def fail(**kwargs):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(inbound, "post_reply", fail)
    with pytest.raises(OperationalError):
        ingest(to=address)
    assert not InboundMail.objects.exists()


def test_a_fault_while_processing_is_logged_not_raised(ingest, address, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(inbound, "post_reply", fail)
    row = ingest(to=address)
    assert refused_with(row, Reason.UNREADABLE)
    assert key_of(address).used_at is None


# ----- telling the sender -----


def refusals_to(mailoutbox, address):
    return [m for m in mailoutbox if m.to == [address]]


def test_a_refused_member_is_told_why_in_japanese(ingest, address, mailoutbox):
    ingest(to=address, text="")
    (message,) = refusals_to(mailoutbox, "member@example.jp")
    assert "投稿されませんでした" in message.body
    assert "引用" in message.body


def test_the_refusal_threads_under_the_mail_and_is_marked_automatic(
    ingest, address, mailoutbox
):
    ingest(to=address, text="", message_id="orig@example.jp")
    (message,) = refusals_to(mailoutbox, "member@example.jp")
    assert message.extra_headers["In-Reply-To"] == "<orig@example.jp>"
    assert message.extra_headers["Auto-Submitted"] == "auto-replied"


def test_the_answered_refusal_is_marked_in_the_log(ingest, address):
    row = ingest(to=address, text="")
    assert InboundMail.objects.get(pk=row.pk).answered_at is not None


def test_a_member_is_told_once_per_reason_and_day(ingest, address, mailoutbox):
    ingest(to=address, text="")
    second = ingest(to=address, text="")
    assert len(refusals_to(mailoutbox, "member@example.jp")) == 1
    assert InboundMail.objects.get(pk=second.pk).answered_at is None


def test_another_reason_the_same_day_is_told(ingest, address, mailoutbox):
    ingest(to=address, text="")
    ingest(to=address, text="あ" * 20001)
    assert len(refusals_to(mailoutbox, "member@example.jp")) == 2


def test_an_unknown_sender_is_never_answered(ingest, address, mailoutbox):
    row = ingest(to=address, from_address="forger@example.com")
    assert refused_with(row, Reason.WRONG_SENDER)
    assert mailoutbox == []
    assert InboundMail.objects.get(pk=row.pk).answered_at is None


def test_a_member_using_anothers_address_is_told(
    ingest, address, other_member, mailoutbox
):
    ingest(to=address, from_address=other_member.email)
    assert len(refusals_to(mailoutbox, other_member.email)) == 1


def test_a_header_injection_in_the_subject_reaches_no_header(
    ingest, address, mailoutbox
):
    ingest(to=address, text="", subject="件名\r\nBcc: victim@example.com")
    (message,) = refusals_to(mailoutbox, "member@example.jp")
    rendered = message.message().as_bytes()
    assert b"\nBcc:" not in rendered
    assert message.bcc == []


def test_an_unsafe_message_id_is_not_echoed_in_headers(ingest, address, mailoutbox):
    ingest(to=address, text="", message_id="x>\r\nBcc: victim@example.com")
    (message,) = refusals_to(mailoutbox, "member@example.jp")
    assert "In-Reply-To" not in message.extra_headers


# ----- automatic replies and bounces -----


def test_an_automatic_reply_is_ignored_and_never_answered(ingest, address, mailoutbox):
    row = ingest(to=address, auto_reply="auto-submitted", text="")
    assert (row.result, row.detail) == (Result.AUTO_REPLY, "auto-submitted")
    assert mailoutbox == []
    assert key_of(address).used_at is None


def bounce_to(member):
    return mail_addresses.bounce_address(user=member)


def test_a_hard_bounce_marks_the_address_bouncing(ingest, member):
    row = ingest(
        to=bounce_to(member),
        from_address="mailer-daemon@example.jp",
        bounce=Bounce(permanent=True, status="5.1.1"),
    )
    member.refresh_from_db()
    assert row.result == Result.BOUNCE
    assert member.mail_bouncing_since is not None


def test_a_bounce_flags_the_organisations_details_for_confirmation(ingest, member):
    organisation = member.organisation
    organisation.contact_confirmed_at = timezone.now()
    organisation.save()
    ingest(to=bounce_to(member), bounce=Bounce(permanent=True))
    organisation.refresh_from_db()
    assert organisation.contact_confirmed_at is None
    change = ContactChange.objects.get(organisation=organisation)
    assert change.field == "contact_confirmed_at"
    assert member.email in change.new_value


def test_two_soft_bounces_do_not_mark_the_address(ingest, member):
    for _ in range(2):
        ingest(to=bounce_to(member), bounce=Bounce(permanent=False, status="4.2.2"))
    member.refresh_from_db()
    assert member.mail_bouncing_since is None


def test_three_soft_bounces_within_30_days_mark_the_address(ingest, member):
    for _ in range(3):
        ingest(to=bounce_to(member), bounce=Bounce(permanent=False, status="4.2.2"))
    member.refresh_from_db()
    assert member.mail_bouncing_since is not None


def test_soft_bounces_older_than_30_days_do_not_count(ingest, member):
    for _ in range(2):
        ingest(to=bounce_to(member), bounce=Bounce(permanent=False))
    InboundMail.objects.update(received_at=timezone.now() - timedelta(days=31))
    ingest(to=bounce_to(member), bounce=Bounce(permanent=False))
    member.refresh_from_db()
    assert member.mail_bouncing_since is None


def test_a_bounce_is_never_answered(ingest, member, mailoutbox):
    ingest(to=bounce_to(member), bounce=Bounce(permanent=True), from_address="")
    ingest(
        to="office@example.jp",
        bounce=Bounce(permanent=True),
        from_address=member.email,
    )
    assert mailoutbox == []


def test_a_bounce_for_an_old_address_marks_nobody(ingest, member):
    old = bounce_to(member)
    member.email = "new@example.jp"
    member.save()
    ingest(to=old, bounce=Bounce(permanent=True))
    member.refresh_from_db()
    assert member.mail_bouncing_since is None


# ----- keywords -----


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("関心あり\n詳しく伺いたいです。", Addressee.State.INTERESTED),
        ("【関心あり】\n詳しく伺いたいです。", Addressee.State.INTERESTED),
        ("「検討中」\n詳しく伺いたいです。", Addressee.State.CONSIDERING),
        ("［見送り］\n詳しく伺いたいです。", Addressee.State.DECLINED),
        ("関心　あり\n詳しく伺いたいです。", Addressee.State.INTERESTED),
        ("  受入可 \n詳しく伺いたいです。", Addressee.State.ACCEPT),
        ("受け入れ不可。\n詳しく伺いたいです。", Addressee.State.REFUSE),
        ("(要相談)\n詳しく伺いたいです。", Addressee.State.DISCUSS),
    ],
)
def test_a_keyword_line_at_the_top_is_read(text, state):
    assert inbound.keyword_split(text) == (state, "詳しく伺いたいです。")


def test_a_keyword_inside_a_sentence_is_no_keyword():
    text = "関心ありますが、まだ検討中です。"
    assert inbound.keyword_split(text) == ("", text)


@pytest.fixture
def ward_member(db):
    ward = factories.make_ward()
    return factories.make_user(organisation=ward, email="ward-member@example.jp")


@pytest.fixture
def addressed(thread, ward_member):
    collaboration.addressees_set(thread=thread, wards=[ward_member.organisation])
    return thread


def test_a_ward_answers_by_keyword_with_its_comment(ingest, addressed, ward_member):
    address = mail_addresses.reply_address(user=ward_member, thread=addressed)
    row = ingest(
        to=address, from_address=ward_member.email, text="関心あり\n資料をください。"
    )
    addressee = Addressee.objects.get(thread=addressed)
    assert (addressee.state, addressee.comment) == ("interested", "資料をください。")
    assert (row.result, row.post) == (Result.POSTED, None)


def test_a_long_answer_is_also_posted(ingest, addressed, ward_member):
    address = mail_addresses.reply_address(user=ward_member, thread=addressed)
    text = "検討中\n" + "詳細です。" * 500
    ingest(to=address, from_address=ward_member.email, text=text)
    addressee = Addressee.objects.get(thread=addressed)
    assert (addressee.state, addressee.comment) == ("considering", "")
    assert Post.objects.get(position=1).body == "詳細です。" * 500


def test_a_pamphlet_answer_by_keyword(ingest, other_member, ward_member):
    thread = factories.make_thread(author=other_member, category="pamphlets")
    collaboration.addressees_set(thread=thread, wards=[ward_member.organisation])
    address = mail_addresses.reply_address(user=ward_member, thread=thread)
    ingest(to=address, from_address=ward_member.email, text="【受入可】")
    assert Addressee.objects.get(thread=thread).state == "accept"


def test_interest_by_keyword_on_a_thread_not_addressed(ingest, address, thread, member):
    ingest(to=address, text="関心あり\nぜひ参加したいです。")
    assert Interest.objects.filter(thread=thread, organisation=member.organisation)
    assert Post.objects.get(position=1).body == "ぜひ参加したいです。"


def test_a_keyword_the_sender_cannot_give_is_posted_as_text(ingest, address):
    ingest(to=address, text="【見送り】\n今回は見送ります。")
    assert Post.objects.get(position=1).body == "【見送り】\n今回は見送ります。"


def test_a_refused_post_undoes_the_answer(ingest, addressed, ward_member):
    address = mail_addresses.reply_address(user=ward_member, thread=addressed)
    ingest(
        to=address,
        from_address=ward_member.email,
        text="関心あり\n資料です。",
        attachments=[MailFile("a.exe", "application/octet-stream", b"MZ" * 10)],
    )
    assert Addressee.objects.get(thread=addressed).state == "unread"


# ----- new threads by mail -----


@pytest.fixture
def mail_category(db):
    category = Category.objects.get(slug="other")
    category.accepts_mail = True
    category.save()
    return category


def new_thread_address(category):
    return mail_addresses.category_address(category)


def test_a_new_thread_by_mail_waits_for_confirmation(
    ingest, mail_category, member, mailoutbox
):
    row = ingest(to=new_thread_address(mail_category), subject="防災訓練のご案内")
    assert row.result == Result.AWAITING_CONFIRMATION
    assert (row.user, row.category) == (member, mail_category)
    (message,) = mailoutbox
    assert message.to == [member.email]
    assert "/boards/mail/new/" in message.body
    assert mail_category.threads.count() == 0


def test_a_category_that_takes_no_mail_refuses_threads(ingest, mail_category):
    mail_category.accepts_mail = False
    mail_category.save()
    row = ingest(to=new_thread_address(mail_category))
    assert refused_with(row, Reason.NO_MAIL_THREADS)


def test_a_new_thread_from_an_unknown_sender_is_refused_silently(
    ingest, mail_category, mailoutbox
):
    row = ingest(to=new_thread_address(mail_category), from_address="x@example.com")
    assert refused_with(row, Reason.UNKNOWN_SENDER)
    assert mailoutbox == []


def test_a_member_may_not_mail_a_thread_to_a_staff_category(ingest, member):
    category = Category.objects.get(slug="announcements")
    category.accepts_mail = True
    category.save()
    row = ingest(to=new_thread_address(category))
    assert refused_with(row, Reason.NOT_ALLOWED)


def test_a_new_thread_needs_a_subject(ingest, mail_category, member):
    row = ingest(to=new_thread_address(mail_category), subject="")
    assert refused_with(row, Reason.EMPTY)


# ----- keeping the log -----


def test_old_messages_are_emptied_and_their_log_kept(ingest, address, settings):
    old = ingest(to=address, raw=b"old")
    new = ingest(to=mail_addresses.reply_address(user=old.user, thread=old.thread))
    InboundMail.objects.filter(pk=old.pk).update(
        received_at=timezone.now() - timedelta(days=settings.MAIL_KEEP_DAYS + 1)
    )
    assert inbound.inbound_raw_expire() == 1
    assert bytes(InboundMail.objects.get(pk=old.pk).raw) == b""
    assert bytes(InboundMail.objects.get(pk=new.pk).raw) == b"raw message"


def test_the_daily_command_empties_old_messages(ingest, address, settings):
    row = ingest(to=address, raw=b"old")
    InboundMail.objects.filter(pk=row.pk).update(
        received_at=timezone.now() - timedelta(days=settings.MAIL_KEEP_DAYS + 1)
    )
    call_command("mail_log_expire")
    assert bytes(InboundMail.objects.get(pk=row.pk).raw) == b""


# ----- categories read by the 23 wards only -----


def test_a_reply_to_a_thread_of_a_category_closed_to_the_sender_is_refused(
    ingest, address, thread
):
    Category.objects.filter(pk=thread.category_id).update(readers="wards")
    row = ingest(to=address)
    assert refused_with(row, Reason.THREAD_HIDDEN)
    assert thread.posts.count() == 1


def test_a_member_may_not_mail_a_thread_to_a_ward_only_category(
    ingest, mail_category, member
):
    mail_category.readers = "wards"
    mail_category.save()
    row = ingest(to=new_thread_address(mail_category))
    assert refused_with(row, Reason.NOT_ALLOWED)
