"""Notification mail: building the messages and delivering them.

send_pending_mail (queued by boards.services.notifications.fan_out, and run
by the mail scheduler) mails what people want at once, one mail per
notification; send_daily_digests once a day, one mail per person. Each mail
carries the posts themselves (text for fixed-width clients and HTML), so a
member who never opens the site still reads the board, and a reply address
(boards.mail_addresses) where the reader may answer. A notification is
marked as mailed only after its mail was accepted, so a failing mail server
delays mail but loses none. Mail asks the board's reading rule again when
it goes out, so it never carries what its reader may no longer see.
"""

import math
import re
import smtplib
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import nh3
from django.conf import settings
from django.core import signing
from django.core.mail import mailers
from django.db import transaction
from django.db.models import Prefetch
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from members.common.eras import format_wareki
from members.common.mail_messages import RawHeader, wrap_text
from members.models import User
from members.services.mail import mail_build

from . import mail_addresses, permissions
from .markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from .models import (
    Addressee,
    Attachment,
    Frequency,
    Interest,
    Notification,
    NotificationKind,
    Post,
)
from .selectors import answer_choices, describe

UNSUBSCRIBE_SALT = "boards.unsubscribe"
# Long enough for a mail read weeks later; an old leaked mail goes stale.
UNSUBSCRIBE_MAX_AGE = timedelta(days=90)


def unsubscribe_token(*, user: User, kinds: list[str]) -> str:
    """A signed token that turns mail of some kinds off for one person."""
    return signing.dumps({"u": user.pk, "k": sorted(kinds)}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_check(token: str) -> tuple[User, list[NotificationKind]] | None:
    """The person and kinds a token stands for, or None if it is not valid.

    A turned-off account's tokens are not valid: whoever holds an old mail
    of someone who left changes nothing.
    """
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
        kinds = [NotificationKind(kind) for kind in data["k"]]
        return User.objects.get(pk=data["u"], is_active=True), kinds
    except (signing.BadSignature, KeyError, TypeError, ValueError, User.DoesNotExist):
        return None


def _site_url(name, *args):
    return settings.SITE_URL + reverse(name, args=args)


class ListUnsubscribe(RawHeader):
    """The List-Unsubscribe header value, kept on one line.

    Python's mail package would fold a long URL into RFC 2047 encoded
    words, which mail clients ignore here; RFC 5322 allows 998 characters.
    """

    def __new__(cls, value):
        return super().__new__(cls, "List-Unsubscribe", value)


# ----- what a mail says about a post -----

_LINK = re.compile(r"!?\[([^\]\n]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^#{1,6}\s+", re.MULTILINE)
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_RELATIVE_HREF = re.compile(r'href="/(?!/)')
# Mail clients block iframes and 無害化 gateways strip them: a player is
# dropped, and the link written under it stays.
MAIL_TAGS = ALLOWED_TAGS - {"iframe"}
MAIL_ATTRIBUTES = {
    tag: attributes for tag, attributes in ALLOWED_ATTRIBUTES.items() if tag != "iframe"
}


def _absolute(url):
    return (
        settings.SITE_URL + url
        if url.startswith("/") and not url.startswith("//")
        else url
    )


def plain_text(markdown: str) -> str:
    """A post's Markdown, lightly cleaned for a plain-text mail.

    Links become "text <url>" (a URL alone stays alone), headings get a ■
    and bold markers go; everything else reads well as written.
    """

    def link(match):
        text, url = match.group(1).strip(), _absolute(match.group(2))
        return url if not text or text == url else f"{text} <{url}>"

    text = _LINK.sub(link, markdown.replace("\r\n", "\n"))
    text = _HEADING.sub("■ ", text)
    return _STRONG.sub(r"\2", text)


def mail_html(body_html: str) -> str:
    """A post's stored HTML for a mail: no players, links to the site whole."""
    cleaned = nh3.clean(body_html, tags=MAIL_TAGS, attributes=MAIL_ATTRIBUTES)
    return _RELATIVE_HREF.sub(f'href="{settings.SITE_URL}/', cleaned)


def file_size(size: int) -> str:
    """1.2 MB, 350 KB: what a reader on a slow line wants to know."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, math.ceil(size / 1024))} KB"


@dataclass
class PostEntry:
    """One post as a mail shows it, or a ward's answer when there is none."""

    notification: Notification
    text: str
    url: str
    post: Post | None = None
    body: str = ""
    html: str = ""
    date: str = ""
    attachments: list = field(default_factory=list)
    answer: str = ""

    @property
    def wrapped_text(self):
        """What happened, wrapped for the text part (HTML wraps by itself)."""
        return wrap_text(self.text)


@dataclass
class ThreadSection:
    """The posts of one thread in a mail, with its link and reply address."""

    thread: object
    url: str
    reply_address: str | None
    addressees: list[str]
    ward_addressed: bool
    answer_words: list[str]
    entries: list[PostEntry] = field(default_factory=list)

    @property
    def answer_words_text(self):
        """「関心あり」「検討中」「見送り」: the words a ward answers with by mail."""
        return "".join(f"「{word}」" for word in self.answer_words)

    @property
    def ward_help(self):
        """How to answer for the ward by mail, wrapped for the text part."""
        return wrap_text(
            gettext(
                "To answer for your ward, write one of %(words)s alone on the "
                "first line."
            )
            % {"words": self.answer_words_text}
        )


def _post_of(notification):
    """The post a notification's mail carries: its own, else the opening one."""
    if notification.post is not None:
        return notification.post
    if notification.kind == NotificationKind.ANSWER:
        return None
    return (
        notification.thread.opening_posts[0]
        if notification.thread.opening_posts
        else None
    )


def _answer_text(notification):
    """What a ward answered, or that an organisation marked interest."""
    actor = notification.actor
    if actor is None:
        return ""
    answered = (
        Addressee.objects.filter(
            thread=notification.thread_id, organisation=actor.organisation_id
        )
        .exclude(state__in=[Addressee.State.UNREAD, Addressee.State.READ])
        .first()
    )
    if answered is not None:
        return " ".join(
            part for part in (answered.get_state_display(), answered.comment) if part
        )
    if Interest.objects.filter(
        thread=notification.thread_id, organisation=actor.organisation_id
    ).exists():
        return str(Addressee.State.INTERESTED.label)
    return ""


def _entry(notification):
    post = _post_of(notification)
    entry = PostEntry(
        notification=notification,
        text=describe(notification),
        url=_site_url("boards:notification_open", notification.pk),
        post=post,
    )
    if post is None:
        entry.answer = _answer_text(notification)
        return entry
    entry.body = plain_text(post.body)
    entry.html = mail_html(post.body_html)
    local = timezone.localtime(post.created_at)
    entry.date = f"{format_wareki(local)} {local:%H:%M}"
    entry.attachments = [
        {
            "name": attachment.original_name,
            "size": file_size(attachment.size),
            "type": attachment.get_kind_display(),
            "url": _site_url(
                "boards:attachment_download", attachment.pk, attachment.original_name
            ),
        }
        for attachment in post.attachments.all()
    ]
    return entry


def _section(user, thread, post):
    addressees = [addressee.organisation for addressee in thread.addressees.all()]
    reply_address = None
    if mail_addresses.enabled() and permissions.can_reply(user, thread):
        reply_address = mail_addresses.reply_address(
            user=user, thread=thread, post=post
        )
    ward_addressed = any(org.pk == user.organisation_id for org in addressees)
    return ThreadSection(
        thread=thread,
        url=_site_url("boards:thread", thread.pk),
        reply_address=reply_address,
        addressees=[org.full_name for org in addressees],
        ward_addressed=ward_addressed and reply_address is not None,
        answer_words=[label for _, label in answer_choices(thread)]
        if ward_addressed
        else [],
    )


def _mail_domain():
    return settings.MAIL_DOMAIN or urlsplit(settings.SITE_URL).hostname or "localhost"


def thread_message_id(thread_id: int) -> str:
    """The id every mail of a thread refers to, so clients group them."""
    return f"<renkei.thread.{thread_id}@{_mail_domain()}>"


def post_message_id(*, post_id: int, user_id: int) -> str:
    """The Message-ID of the mail that carried a post to one person."""
    return f"<renkei.post.{post_id}.{user_id}@{_mail_domain()}>"


def _thread_headers(user, entry):
    """Message-ID, In-Reply-To and References of a notification's mail."""
    notification = entry.notification
    references = [thread_message_id(notification.thread_id)]
    post = entry.post
    if post is not None and post.quoted_id:
        references.append(post_message_id(post_id=post.quoted_id, user_id=user.pk))
    if post is not None:
        message_id = post_message_id(post_id=post.pk, user_id=user.pk)
    else:
        # An answer has no post; a repeated answer is mailed again as new.
        stamp = int(timezone.now().timestamp())
        message_id = (
            f"<renkei.notification.{notification.pk}.{stamp}.{user.pk}"
            f"@{_mail_domain()}>"
        )
    return {
        "Message-ID": message_id,
        "In-Reply-To": references[-1],
        "References": RawHeader("References", *references),
    }


def _messages(user, notifications, template, *, digest):
    """The mail (for ``user``, possibly none) of some of their notifications."""
    kinds = sorted({notification.kind for notification in notifications})
    unsubscribe_url = _site_url(
        "boards:notification_unsubscribe", unsubscribe_token(user=user, kinds=kinds)
    )
    sections = {}
    for notification in notifications:
        entry = _entry(notification)
        section = sections.get(notification.thread_id)
        if section is None:
            section = sections[notification.thread_id] = _section(
                user, notification.thread, entry.post
            )
        section.entries.append(entry)
    sections = list(sections.values())
    context = {
        "user": user,
        "digest": digest,
        "sections": sections,
        "count": len(notifications),
        "unsubscribe_url": unsubscribe_url,
        "settings_url": _site_url("boards:notification_settings"),
        # Our own sentences are wrapped for fixed-width clients; the posts
        # stay as their authors wrote them.
        "reply_help": wrap_text(
            gettext(
                "Reply to this mail and your reply is posted to the thread. "
                "Quoted text and signatures are removed automatically."
            )
        ),
        "digest_help": wrap_text(
            gettext(
                "Reply to a thread by writing to its reply address above. "
                "Quoted text and signatures are removed automatically."
            )
        ),
    }
    headers = {
        # RFC 8058: mail clients offer a one-click unsubscribe button.
        "List-Unsubscribe": ListUnsubscribe(f"<{unsubscribe_url}>"),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    reply_to = ()
    if len(sections) == 1 and len(sections[0].entries) == 1:
        section, entry = sections[0], sections[0].entries[0]
        context["section"], context["entry"] = section, entry
        headers.update(_thread_headers(user, entry))
        reply_to = [section.reply_address] if section.reply_address else ()
        context["is_reply"] = entry.post is None or not entry.post.is_opening
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    return mail_build(
        to=[user],
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        body=render_to_string(f"{template}_message.txt", context),
        html=render_to_string(f"{template}_message.html", context),
        reply_to=reply_to,
        headers=headers,
        auto_generated=True,
    )


def _pending(frequency):
    return permissions.readable_notifications(
        Notification.objects.filter(mail=frequency, mailed_at__isnull=True)
    )


def _rows(queryset):
    """Notifications with all their mail shows, locked while it is sent."""
    return list(
        queryset.select_for_update(of=("self",))
        .select_related(
            "user__organisation",
            "thread__category",
            "actor__organisation__prefecture",
            "post__author",
            "post__organisation__prefecture",
        )
        .prefetch_related(
            Prefetch("post__attachments", queryset=Attachment.objects.all()),
            Prefetch(
                "thread__posts",
                queryset=Post.objects.filter(position=0)
                .select_related("author", "organisation__prefecture")
                .prefetch_related("attachments"),
                to_attr="opening_posts",
            ),
            Prefetch(
                "thread__addressees",
                queryset=Addressee.objects.select_related(
                    "organisation__prefecture"
                ).order_by("organisation__code"),
            ),
        )
        .order_by("created_at", "pk")
    )


def _deliver(frequency: str, template: str) -> int:
    """Mail unmailed notifications: one mail each, or one digest a person.

    Only what the person may still read on the site goes out: a
    notification of a thread or post hidden or deleted since, or of a
    person whose membership was suspended, waits unmailed, and goes out if
    it becomes readable again. A person whose address bounces gets no mail
    (members.common.mail_messages); their notifications are marked as
    mailed, so they do not pile up.

    The rows of a mail are locked while it is sent and marked as mailed in
    the same short transaction, so two workers never mail the same
    notification, and a worker killed in the middle of a run leaves at most
    the one mail it was sending to go out again. An address the server
    refuses is skipped; any other error stops the run. Either way the rest
    wait for the next run and the error fails the task.
    """
    pending = _pending(frequency)
    digest = frequency == Frequency.DAILY
    sent = 0
    refused = set()
    refusal = None
    with ExitStack() as opened:
        connection = None
        while True:
            with transaction.atomic():
                first = (
                    pending.exclude(user_id__in=refused)
                    .select_for_update(skip_locked=True, of=("self",))
                    .order_by("user_id", "created_at", "pk")
                    .first()
                )
                if first is None:
                    break
                rows = _rows(
                    pending.filter(user_id=first.user_id)
                    if digest
                    else pending.filter(pk=first.pk)
                )
                messages = _messages(rows[0].user, rows, template, digest=digest)
                if messages and connection is None:
                    connection = opened.enter_context(mailers.default)
                try:
                    if messages:
                        connection.send_messages(messages)
                except smtplib.SMTPRecipientsRefused as error:
                    # One bad address must not hold up everyone's mail.
                    refused.add(first.user_id)
                    refusal = error
                    continue
                Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
                    mailed_at=timezone.now()
                )
                sent += len(messages)
    if refusal is not None:
        raise refusal
    return sent


@task
def send_pending_mail() -> int:
    """Mail each notification people want at once; returns the mails sent."""
    return _deliver(Frequency.IMMEDIATE, "boards/email/notification")


@task
def send_daily_digests() -> int:
    """Mail each person one digest of their daily notifications; returns how many."""
    return _deliver(Frequency.DAILY, "boards/email/digest")
