"""Mail members send to Renkei: what becomes of each received message.

Both receivers (``manage.py mail_receiver`` over SMTP/LMTP and
``manage.py mail_fetch`` from an IMAP mailbox) hand every message to
mail_ingest. It logs the message as an InboundMail under its Message-ID
and does what the message asks in the same transaction, so a message is
processed exactly once: handed over again (the receiver was killed before
it answered the MTA, the mailbox was read twice), it finds its row and
does nothing.

What a message does, decided in this order:

1. a bounce (mail to a ``bounce+`` address, or a delivery status
   notification) marks the person's address as bouncing, at once for a
   permanent failure and after BOUNCES_BEFORE_MARKING temporary ones within
   BOUNCE_WINDOW, and flags their organisation's contact details as needing
   confirmation (the April confirmation's flag);
2. an automatic reply (不在通知, ...) is logged and ignored;
3. a reply to a ``reply+`` address becomes a post in its thread as the
   address's owner, once; a keyword line at the very top answers for the
   sender's ward (see KEYWORDS);
4. mail to a ``new+<category>`` address waits for the sender to confirm it
   by a mailed link (mail_thread_confirm) before it becomes a thread.

Anything else is refused with a reason. A refused sender who is an active
member is told why, once per address, reason and day; nobody else is
answered (no mail to forged senders), and bounces and automatic replies
never are.
"""

import contextlib
import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import InterfaceError, OperationalError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from members.models import ContactChange, User
from members.permissions import members_area_users
from members.tasks import mail_send_on_commit

from .. import mail_addresses, permissions
from ..attachments import PreparedUpload, max_files_per_post, prepare_upload
from ..inbound.authentication import dmarc_failure
from ..inbound.parse import ParsedMail, parse_mail
from ..models import Addressee, Category, InboundMail, Post, ReplyKey, Thread
from ..selectors import answer_choices
from .collaboration import DETAIL_MODELS, addressee_answer, interest_mark, thread_start
from .posts import post_reply

logger = logging.getLogger(__name__)

Result = InboundMail.Result
Reason = InboundMail.Reason
State = Addressee.State

# A keyword alone on the first line of a reply answers for the sender's
# ward (or marks interest); the rest of the mail is the comment or post.
# Brackets and spaces around it, half or full width, do not matter:
# 「関心あり」, 【関心あり】, [関心あり] and 関心 あり all count.
KEYWORDS = {
    "関心あり": State.INTERESTED,
    "検討中": State.CONSIDERING,
    "見送り": State.DECLINED,
    # Answers to pamphlet requests.
    "受入可": State.ACCEPT,
    "受け入れ可": State.ACCEPT,
    "受入れ可": State.ACCEPT,
    "受入不可": State.REFUSE,
    "受け入れ不可": State.REFUSE,
    "受入れ不可": State.REFUSE,
    "要相談": State.DISCUSS,
}
# After NFKC, which turns full-width （）［］＜＞ into these.
_BRACKETS = "【】「」『』〔〕〈〉《》[]()<>"
# What is kept of a wards' answer as its comment; longer text is a post.
COMMENT_MAX_LENGTH = Addressee._meta.get_field("comment").max_length
BODY_MAX_LENGTH = Post._meta.get_field("body").max_length
TITLE_MAX_LENGTH = Thread._meta.get_field("title").max_length

BOUNCES_BEFORE_MARKING = 3
BOUNCE_WINDOW = timedelta(days=30)

MAIL_THREAD_SALT = "boards.mail_thread"
MAIL_THREAD_MAX_AGE = timedelta(days=7)

# Refusals nobody is told about: the sender is no active member.
_NOT_ANSWERED = {Reason.UNKNOWN_SENDER, Reason.INACTIVE}
# Senders that are machines, never answered.
_MACHINE_SENDER = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply)([+@]|$)", re.I
)
_MESSAGE_ID = re.compile(r"[\x21-\x3b\x3d\x3f-\x7e]+")


class Refusal(Exception):
    """A message that does not become what it asks for, and why."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class _Target:
    """One recipient of a message: the address and what it stands for."""

    address: str
    recipient: mail_addresses.Recipient | None


def mail_ingest(
    *,
    raw: bytes,
    channel: str,
    envelope_from: str = "",
    recipients: list[str],
) -> InboundMail:
    """Log a received message and do what it asks, exactly once.

    One row per recipient of Renkei's (see _log_row); returns the first. Raises
    only for a database that cannot be reached, when the whole message is
    left undone for the sender's MTA to hand over again.
    """
    too_large = len(raw) > settings.MAIL_MAX_BYTES
    parsed = _parse(raw, headers_only=too_large)
    kept = _header_block(raw) if too_large else raw
    rows = [
        _ingest_one(
            raw=kept,
            size=len(raw),
            parsed=parsed,
            channel=channel,
            envelope_from=envelope_from,
            target=target,
            too_large=too_large,
        )
        for target in _targets(recipients)
    ]
    return rows[0]


def _parse(raw: bytes, *, headers_only: bool) -> ParsedMail:
    if not headers_only:
        return parse_mail(raw)
    parsed = parse_mail(_header_block(raw))
    if parsed.message_id.startswith("sha256:"):
        # The key the whole message gets when it is read (parse_mail).
        parsed.message_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    return parsed


def _header_block(raw: bytes) -> bytes:
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, _rest = raw.partition(separator)
        if found:
            return head + separator
    return raw[:65536]


def _targets(recipients: list[str]) -> list[_Target]:
    """The recipients that are Renkei's, in order and once each.

    An address at Renkei's domain that recipient_parse does not know (a
    made-up key) is kept too, to be logged; with none at all, the first
    recipient is, so the message is logged as not for Renkei.
    """
    targets, seen = [], set()
    for address in recipients:
        address = address.strip().strip("<>").lower()
        if not address or address in seen:
            continue
        seen.add(address)
        recipient = mail_addresses.recipient_parse(address)
        if recipient is not None or _at_our_domain(address):
            targets.append(_Target(address, recipient))
    if not targets:
        first = next((a for a in recipients if a.strip()), "")
        targets.append(_Target(first.strip().strip("<>").lower(), None))
    return targets


def _at_our_domain(address: str) -> bool:
    domain = settings.MAIL_DOMAIN
    return bool(domain) and address.rpartition("@")[2] == domain


def _ingest_one(
    *,
    raw: bytes,
    size: int,
    parsed: ParsedMail,
    channel: str,
    envelope_from: str,
    target: _Target,
    too_large: bool,
) -> InboundMail:
    with transaction.atomic():
        row, created = _log_row(
            parsed.message_id,
            {
                "channel": channel,
                "envelope_from": envelope_from.strip("<>")[:254],
                "recipient": target.address[:254],
                "from_address": parsed.from_address[:254],
                "subject": parsed.subject[:255],
                "size": size,
                "raw": raw,
            },
        )
        message_id = row.message_id
        if not created:
            logger.info("inbound %s: seen before, %s", message_id, row.result)
            return row
        try:
            # A savepoint: a refusal undoes whatever was done before it.
            with transaction.atomic():
                _decide(row, parsed, target, too_large=too_large)
        except Refusal as refusal:
            row.result, row.reason = Result.REFUSED, refusal.reason
            row.detail, row.post = refusal.detail, None
        except (OperationalError, InterfaceError):
            raise
        except Exception as error:
            # A message that trips over a fault is logged, not handed back
            # to the MTA to fail again forever.
            logger.exception("inbound %s could not be processed", message_id)
            row.result, row.reason = Result.REFUSED, Reason.UNREADABLE
            row.detail = f"{type(error).__name__}: {error}"[:1000]
            row.post = None
        row.save()
        if row.result == Result.REFUSED:
            _refusal_answer(row, parsed)
    logger.info(
        "inbound %s from %s to %s: %s %s",
        message_id,
        row.from_address or "-",
        row.recipient or "-",
        row.result,
        row.reason or "",
    )
    return row


def _log_row(message_id: str, fields: dict) -> tuple[InboundMail, bool]:
    """The log row of a message for one recipient, and whether it is new.

    The first of Renkei's addresses a message comes for is keyed by its
    Message-ID alone, any other by the Message-ID and that address. So a
    message to several addresses is done once for each, whether it is
    handed over once for all of them or once for each (LMTP, one recipient
    per delivery), and a message handed over again is done no more.
    """
    row, created = InboundMail.objects.get_or_create(
        message_id=message_id[:998], defaults=fields
    )
    if created or row.recipient == fields["recipient"]:
        return row, created
    return InboundMail.objects.get_or_create(
        message_id=f"{message_id} for {fields['recipient']}"[:998], defaults=fields
    )


def _decide(row, parsed, target, *, too_large):
    recipient = target.recipient
    kind = recipient.kind if recipient else None
    if kind == mail_addresses.BOUNCE and (parsed.bounce or not parsed.auto_reply):
        return _bounce(row, parsed, recipient)
    if parsed.bounce is not None:
        return _bounce(row, parsed, None)
    if parsed.auto_reply:
        row.result, row.detail = Result.AUTO_REPLY, parsed.auto_reply
        return None
    if too_large:
        raise Refusal(
            Reason.TOO_LARGE,
            f"{row.size} bytes; at most {settings.MAIL_MAX_BYTES} are accepted",
        )
    if kind == mail_addresses.REPLY:
        return _reply(row, parsed, recipient)
    if kind == mail_addresses.NEW_THREAD:
        return _new_thread(row, parsed, recipient)
    local = target.address.partition("@")[0]
    if _at_our_domain(target.address) and local.startswith(
        (f"{mail_addresses.REPLY}+", f"{mail_addresses.BOUNCE}+")
    ):
        raise Refusal(Reason.BAD_TOKEN, "the address's signature does not match")
    raise Refusal(Reason.UNKNOWN_ADDRESS)


# ----- bounces -----


def _bounce(row, parsed, recipient):
    bounce = parsed.bounce
    permanent = bool(bounce and bounce.permanent)
    row.result = Result.BOUNCE
    parts = ["permanent" if permanent else "temporary"]
    if bounce:
        parts += [bounce.status, bounce.diagnostic]
    row.detail = " ".join(part for part in parts if part)[:1000]
    user = mail_addresses.bounce_user_find(recipient) if recipient else None
    if user is None:
        return
    row.user = user
    if user.mail_bouncing_since is not None:
        return
    if not permanent:
        earlier = InboundMail.objects.filter(
            result=Result.BOUNCE,
            recipient=row.recipient,
            received_at__gte=timezone.now() - BOUNCE_WINDOW,
        ).exclude(pk=row.pk)
        if earlier.count() + 1 < BOUNCES_BEFORE_MARKING:
            return
    address_mark_bouncing(user=user)


@transaction.atomic
def address_mark_bouncing(*, user: User) -> None:
    """Mail to a person bounces: none goes to them, their details need confirming."""
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(mail_bouncing_since=now)
    organisation = user.organisation
    old = organisation.contact_confirmed_at
    organisation.contact_confirmed_at = None
    organisation.save(update_fields=["contact_confirmed_at"])
    ContactChange.objects.create(
        organisation=organisation,
        field="contact_confirmed_at",
        old_value=timezone.localtime(old).strftime("%Y-%m-%d %H:%M") if old else "",
        new_value=_("Mail to %(address)s bounced; the details need confirming")
        % {"address": user.email},
    )


# ----- replies -----


def _reply(row, parsed, recipient):
    key = mail_addresses.reply_key_find(recipient)
    if key is None:
        raise Refusal(Reason.BAD_TOKEN, "no such reply key")
    user, thread = key.user, key.thread
    row.user, row.thread = user, thread
    # Locked, so that two messages to one address cannot both post.
    key.used_at = (
        ReplyKey.objects.select_for_update()
        .values_list("used_at", flat=True)
        .get(pk=key.pk)
    )
    if key.created_at < timezone.now() - timedelta(days=settings.MAIL_REPLY_DAYS):
        raise Refusal(Reason.EXPIRED, f"made {key.created_at:%Y-%m-%d}")
    if key.used_at is not None:
        raise Refusal(Reason.REUSED, f"used {key.used_at:%Y-%m-%d %H:%M}")
    if parsed.from_address.lower() != user.email.lower():
        raise Refusal(
            Reason.WRONG_SENDER, f"the address belongs to {user.email.lower()}"
        )
    forged = dmarc_failure(parsed.authentication, settings.MAIL_AUTHSERV_ID)
    if forged:
        raise Refusal(Reason.UNAUTHENTICATED, forged)
    if not permissions.can_use_members_area(user):
        raise Refusal(Reason.INACTIVE)
    if thread.is_hidden or not permissions.can_view_thread(user, thread):
        raise Refusal(Reason.THREAD_HIDDEN)
    if thread.is_locked:
        raise Refusal(Reason.THREAD_CLOSED)
    # NUL cannot be stored, and no mail client means one.
    original = parsed.text.replace("\x00", "").strip()
    if not original:
        raise Refusal(Reason.EMPTY, _empty_detail(parsed))
    state, text = keyword_split(original)
    _check_text(text)
    _check_problems(parsed)
    uploads = _uploads(parsed)
    answered = ""
    if state:
        answered, text = _answer(user, thread, state, text, uploads, original=original)
    post = None
    if text:
        post = _post(thread=thread, user=user, body=text, uploads=uploads)
    elif not answered:
        raise Refusal(Reason.EMPTY, _empty_detail(parsed))
    elif uploads:
        raise Refusal(Reason.EMPTY, "files without text to post them with")
    ReplyKey.objects.filter(pk=key.pk).update(used_at=timezone.now())
    row.result, row.post = Result.POSTED, post
    row.detail = f"answer: {answered}" if answered else ""
    _acknowledge(row, parsed, user=user, thread=thread, post=post, answered=answered)


def keyword_split(text: str) -> tuple[str, str]:
    """The answer a keyword line at the top stands for, and the text after it.

    ("", text) when the first line is no keyword.
    """
    first, _newline, rest = text.strip().partition("\n")
    word = "".join(
        character
        for character in unicodedata.normalize("NFKC", first)
        if not character.isspace() and character not in _BRACKETS
    ).rstrip("。.!！")
    state = KEYWORDS.get(word, "")
    return (state, rest.strip()) if state else ("", text.strip())


def _answer(user, thread, state, text, uploads, *, original):
    """Answer for the sender's ward, or mark interest; ("", text) if neither."""
    addressee = Addressee.objects.filter(
        thread=thread, organisation_id=user.organisation_id
    ).first()
    if (
        addressee is not None
        and permissions.can_answer_for(user, addressee)
        and state in dict(answer_choices(thread))
    ):
        as_comment = len(text) <= COMMENT_MAX_LENGTH and not uploads
        try:
            addressee_answer(
                addressee=addressee,
                actor=user,
                state=state,
                comment=text if as_comment else "",
            )
        except (PermissionDenied, ValidationError) as error:
            raise Refusal(Reason.NOT_ALLOWED, str(error)) from error
        return state, "" if as_comment else text
    if state == State.INTERESTED and permissions.can_mark_interest(user, thread):
        # Marked already: still 関心あり.
        with contextlib.suppress(ValidationError):
            interest_mark(thread=thread, actor=user)
        return state, text
    # Not an answer this person can give here: the line is part of the text.
    return "", original


def _post(*, thread, user, body, uploads):
    try:
        return post_reply(thread=thread, author=user, body=body, uploads=uploads)
    except ValidationError as error:
        if getattr(error, "code", None) == "thread_closed":
            raise Refusal(Reason.THREAD_CLOSED) from error
        raise Refusal(Reason.UNREADABLE, " ".join(error.messages)) from error


def _empty_detail(parsed):
    if parsed.elided:
        return "only quoted text was found"
    return "no text was found"


def _check_text(text):
    if len(text) > BODY_MAX_LENGTH:
        raise Refusal(
            Reason.TOO_LONG, f"{len(text)} characters; at most {BODY_MAX_LENGTH}"
        )


_PROBLEMS = {
    "tnef": (
        Reason.ATTACHMENT,
        _lazy("winmail.dat (Outlook’s rich text format) cannot be read."),
    ),
    "attached_message": (
        Reason.ATTACHMENT,
        _lazy("A mail attached to the mail cannot be posted."),
    ),
    "encrypted": (Reason.UNREADABLE, _lazy("An encrypted mail cannot be read.")),
}


def _check_problems(parsed):
    for problem in parsed.problems:
        reason, detail = _PROBLEMS.get(problem, (Reason.UNREADABLE, problem))
        raise Refusal(reason, str(detail))


def _uploads(parsed) -> list[PreparedUpload]:
    """The attachments through the site's upload checks, or a refusal."""
    limit = max_files_per_post()
    if len(parsed.attachments) > limit:
        raise Refusal(
            Reason.ATTACHMENT,
            f"{len(parsed.attachments)} files; at most {limit} per post",
        )
    uploads = []
    for attachment in parsed.attachments:
        upload = SimpleUploadedFile(
            attachment.name or "attachment",
            attachment.data,
            content_type=attachment.content_type,
        )
        try:
            uploads.append(prepare_upload(upload))
        except ValidationError as error:
            raise Refusal(Reason.ATTACHMENT, " ".join(error.messages)) from error
    return uploads


# ----- new threads -----


def _new_thread(row, parsed, recipient):
    category = Category.objects.filter(slug=recipient.value).first()
    row.category = category
    if category is None or not category.accepts_mail:
        raise Refusal(Reason.NO_MAIL_THREADS)
    if category.thread_type in DETAIL_MODELS:
        raise Refusal(
            Reason.NO_MAIL_THREADS,
            "threads of this category carry details only the site's form asks",
        )
    sender = member_by_address(parsed.from_address)
    if sender is None:
        raise Refusal(Reason.UNKNOWN_SENDER)
    row.user = sender
    if not permissions.can_start_thread(sender, category):
        raise Refusal(Reason.NOT_ALLOWED)
    if not parsed.subject.strip():
        raise Refusal(Reason.EMPTY, "no subject to be the thread's title")
    if not parsed.text.strip():
        raise Refusal(Reason.EMPTY, _empty_detail(parsed))
    _check_text(parsed.text)
    _check_problems(parsed)
    _uploads(parsed)
    row.result = Result.AWAITING_CONFIRMATION
    token = signing.dumps(row.pk, salt=MAIL_THREAD_SALT)
    _mail(
        row,
        parsed,
        to=sender.email,
        template="boards/email/inbound_thread_confirm",
        context={
            "user": sender,
            "category": category,
            "title": mail_thread_title(parsed),
            "url": settings.SITE_URL
            + reverse("boards:mail_thread_confirm", args=[token]),
            "days": MAIL_THREAD_MAX_AGE.days,
        },
    )


def mail_thread_title(parsed: ParsedMail) -> str:
    """A mailed thread's title: its subject, cut to the title's length."""
    title = parsed.subject.strip()
    if len(title) > TITLE_MAX_LENGTH:
        title = title[: TITLE_MAX_LENGTH - 1] + "…"
    return title


def mail_thread_find(token: str) -> InboundMail | None:
    """The mailed thread a confirmation link names, if the link is valid."""
    try:
        pk = signing.loads(token, salt=MAIL_THREAD_SALT, max_age=MAIL_THREAD_MAX_AGE)
    except signing.BadSignature:
        return None
    return (
        InboundMail.objects.select_related("category", "user__organisation")
        .filter(pk=pk, result__in=[Result.AWAITING_CONFIRMATION, Result.POSTED])
        .first()
    )


def mail_thread_draft(inbound: InboundMail) -> ParsedMail:
    """The mailed thread as it would be posted."""
    return parse_mail(bytes(inbound.raw))


@transaction.atomic
def mail_thread_confirm(*, inbound: InboundMail, actor: User) -> Thread:
    """The sender confirms a mailed thread: it is started, once."""
    inbound = (
        InboundMail.objects.select_for_update(of=("self",))
        .select_related("category")
        .get(pk=inbound.pk)
    )
    category = inbound.category
    if (
        inbound.result != Result.AWAITING_CONFIRMATION
        or inbound.user_id != actor.pk
        or category is None
        or not category.accepts_mail
        or not permissions.can_start_thread(actor, category)
    ):
        raise PermissionDenied
    parsed = mail_thread_draft(inbound)
    try:
        uploads = _uploads(parsed)
    except Refusal as refusal:
        raise ValidationError(refusal.detail, code=refusal.reason) from None
    thread = thread_start(
        category=category,
        author=actor,
        title=mail_thread_title(parsed),
        body=parsed.text,
        uploads=uploads,
    )
    inbound.result = Result.POSTED
    inbound.thread = thread
    inbound.post = thread.posts.get(position=0)
    inbound.save(update_fields=["result", "thread", "post"])
    return thread


# ----- answering the sender -----


def member_by_address(address: str) -> User | None:
    """The active member whose account has this address, if any."""
    if not address:
        return None
    return (
        members_area_users(User.objects.filter(email__iexact=address))
        .select_related("organisation")
        .first()
    )


def _acknowledge(row, parsed, *, user, thread, post, answered):
    if user.mail_bouncing_since is not None:
        return
    _mail(
        row,
        parsed,
        to=user.email,
        template="boards/email/inbound_posted",
        context={
            "user": user,
            "thread": thread,
            "post": post,
            "answer": Addressee.State(answered).label if answered else "",
            "url": settings.SITE_URL
            + (
                reverse("boards:post", args=[post.pk])
                if post
                else reverse("boards:thread", args=[thread.pk])
            ),
        },
        reply_to=mail_addresses.reply_address(user=user, thread=thread, post=post),
    )


def _refusal_answer(row, parsed):
    """Tell a member why their mail was refused: once per address, reason, day."""
    if row.reason in _NOT_ANSWERED or _MACHINE_SENDER.match(row.from_address):
        return
    if _at_our_domain(row.from_address):
        return
    sender = member_by_address(row.from_address)
    if sender is None:
        return
    now = timezone.now()
    day_start = timezone.localtime(now).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    told_today = (
        InboundMail.objects.filter(
            from_address=row.from_address,
            reason=row.reason,
            received_at__gte=day_start,
            answered_at__isnull=False,
        )
        .exclude(pk=row.pk)
        .exists()
    )
    if told_today:
        return
    row.answered_at = now
    row.save(update_fields=["answered_at"])
    _mail(
        row,
        parsed,
        to=sender.email,
        template=f"boards/email/inbound_refused_{row.reason}",
        context={
            "user": sender,
            "thread": row.thread,
            "category": row.category,
            "detail": row.detail,
            "max_megabytes": settings.MAIL_MAX_BYTES // (1024 * 1024),
            "reply_days": settings.MAIL_REPLY_DAYS,
            "thread_url": settings.SITE_URL
            + reverse("boards:thread", args=[row.thread_id])
            if row.thread_id
            else "",
        },
    )


def _mail(row, parsed, *, to, template, context, reply_to=""):
    """A mail answering a received message, sent once the log commits."""
    headers = {"Auto-Submitted": "auto-replied"}
    if _MESSAGE_ID.fullmatch(parsed.message_id) and not parsed.message_id.startswith(
        "sha256:"
    ):
        headers["In-Reply-To"] = f"<{parsed.message_id}>"
        headers["References"] = f"<{parsed.message_id}>"
    if reply_to:
        headers["Reply-To"] = reply_to
    context = {
        "received_at": row.received_at,
        "subject": parsed.subject,
        "site_url": settings.SITE_URL,
        **context,
    }
    mail_send_on_commit(to=[to], template=template, context=context, headers=headers)


# ----- keeping the log -----


def inbound_raw_expire() -> int:
    """Empty the kept messages older than RENKEI_MAIL_KEEP_DAYS; the log stays."""
    cutoff = timezone.now() - timedelta(days=settings.MAIL_KEEP_DAYS)
    return (
        InboundMail.objects.filter(received_at__lt=cutoff)
        .exclude(raw=b"")
        .update(raw=b"")
    )
