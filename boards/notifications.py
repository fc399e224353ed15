"""Watching and notifications: who hears about what, in the site and by mail.

The board's services call the on_* functions inside their transaction. They
only record cheap facts (who watches what) and, once the transaction has
committed, queue fan_out with ids. fan_out finds every recipient in a few
set-based queries and writes the Notification rows in one insert; mail goes
out from send_pending_mail (at once) and send_daily_digests (once a day),
which mark a notification as mailed only after its mail was accepted, so a
failing mail server delays mail but loses none. Mail asks the board's
reading rule again when it goes out, so it never carries what its reader
may no longer see.
"""

import re
import smtplib
from contextlib import ExitStack
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat, Left, Lower, Replace, StrIndex
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Organisation, User

from . import permissions
from .models import (
    Addressee,
    Frequency,
    Notification,
    NotificationKind,
    NotificationSetting,
    Post,
    ReadState,
    Thread,
    ThreadType,
    Watch,
)

IMPORTANT_SHOWN = 5
UNREAD_COUNTED = 100
# A post cannot page half the membership by listing names.
MAX_MENTIONS = 20
UNSUBSCRIBE_SALT = "boards.unsubscribe"
# Long enough for a mail read weeks later; an old leaked mail goes stale.
UNSUBSCRIBE_MAX_AGE = timedelta(days=90)
# A person answering or marking interest again on the same thread is the
# same news while unread: it is mailed again only after this long.
REPEAT_MAIL_AFTER = timedelta(hours=1)

KIND_TEXTS = {
    NotificationKind.REPLY: _("%(actor)s replied to “%(thread)s”."),
    NotificationKind.NEW_THREAD: _("%(actor)s started “%(thread)s” in %(category)s."),
    NotificationKind.ADDRESSED: _("%(actor)s addressed “%(thread)s” to your ward."),
    NotificationKind.ANSWER: _("%(actor)s responded to your thread “%(thread)s”."),
    NotificationKind.MENTION: _(
        "%(actor)s mentioned you or your organisation in “%(thread)s”."
    ),
    NotificationKind.ANNOUNCEMENT: _("Important announcement: “%(thread)s”."),
}


# ----- watching -----


def watch(*, user, thread=None, category=None):
    """Follow a thread or a category (idempotent)."""
    Watch.objects.bulk_create(
        [Watch(user=user, thread=thread, category=category)], ignore_conflicts=True
    )


def unwatch(*, user, thread=None, category=None):
    """Stop following a thread or a category."""
    Watch.objects.filter(user=user, thread=thread, category=category).delete()


def is_watching(user, thread=None, category=None):
    """Whether a person follows the thread or the category."""
    return Watch.objects.filter(user=user, thread=thread, category=category).exists()


# ----- events, called by the services -----


def _fan_out_on_commit(**kwargs):
    transaction.on_commit(lambda: fan_out.enqueue(**kwargs))


def on_thread_created(*, thread, post):
    """A new thread: its author watches it; category watchers hear of it."""
    watch(user=post.author, thread=thread)
    _fan_out_on_commit(
        kind=NotificationKind.NEW_THREAD,
        thread_id=thread.pk,
        post_id=post.pk,
        actor_id=post.author_id,
    )


def on_reply(*, post):
    """A reply: its author watches the thread; the thread's watchers hear of it."""
    watch(user=post.author, thread=post.thread)
    _fan_out_on_commit(
        kind=NotificationKind.REPLY,
        thread_id=post.thread_id,
        post_id=post.pk,
        actor_id=post.author_id,
    )


def on_addressed(*, thread, organisations):
    """A thread addressed to wards: their staff hear of it."""
    organisation_ids = [organisation.pk for organisation in organisations]
    if organisation_ids:
        _fan_out_on_commit(
            kind=NotificationKind.ADDRESSED,
            thread_id=thread.pk,
            actor_id=thread.author_id,
            organisation_ids=organisation_ids,
        )


def on_answer(*, addressee):
    """A ward answered an addressed thread: the author hears of it."""
    _fan_out_on_commit(
        kind=NotificationKind.ANSWER,
        thread_id=addressee.thread_id,
        actor_id=addressee.answered_by_id,
        since=addressee.answered_at.isoformat(),
    )


def on_interest(*, interest):
    """An organisation marked interest: the author hears of it."""
    _fan_out_on_commit(
        kind=NotificationKind.ANSWER,
        thread_id=interest.thread_id,
        actor_id=interest.marked_by_id,
        since=interest.created_at.isoformat(),
    )


def on_important_announcement(*, thread, mail_everyone):
    """An important お知らせ: everyone hears of it (by mail if asked)."""
    _fan_out_on_commit(
        kind=NotificationKind.ANNOUNCEMENT,
        thread_id=thread.pk,
        actor_id=thread.author_id,
        mail=mail_everyone,
    )


# ----- finding the recipients -----

MENTION_PATTERN = re.compile(
    r"(?<![A-Za-z0-9._%+\-])@"
    r"([^\s@、。，．,!?！？:：;；()（）「」『』【】\[\]<>\"'“”]+)"
)
HONORIFICS = ("さん", "さま", "様", "殿", "御中", "各位")


def mentions(body):
    """The names a post mentions with @, in order, without repeats.

    A mention is @ followed by a name up to the next space or punctuation
    mark, e.g. "@七尾市 様", "@石川県七尾市、" or "@yamada.taro"; a trailing
    honorific (さん, 様, 御中…) is dropped. An @ inside an e-mail address is
    not a mention. Lines quoted with > are skipped, so quoting a post does
    not notify the people it mentions again. mentioned_users() says who a
    name stands for.
    """
    names = []
    for line in body.splitlines():
        if line.lstrip().startswith(">"):
            continue
        for match in MENTION_PATTERN.findall(line):
            name = match.rstrip(".")
            for honorific in HONORIFICS:
                name = name.removesuffix(honorific)
            if name and name not in names:
                names.append(name)
    return names[:MAX_MENTIONS]


def mentioned_users(users, names):
    """The people among `users` that mentioned names stand for.

    A member organisation matches by its name (七尾市) or its prefecture and
    name (石川県七尾市), and then all its staff hear of it; a person matches
    by their full name without spaces (山田太郎) or by the part of their
    e-mail address before the @ (yamada.taro, in any case). A name shared
    by several organisations or people reaches them all: write the
    prefecture too to pick one organisation.
    """
    organisations = (
        Organisation.objects.members()
        .alias(prefixed=Concat("prefecture__name", "name"))
        .filter(Q(name__in=names) | Q(prefixed__in=names))
    )
    return users.alias(
        compact_name=Replace(
            Replace("display_name", Value(" "), Value("")), Value("\u3000"), Value("")
        ),
        local_part=Lower(Left("email", StrIndex("email", Value("@")) - 1)),
    ).filter(
        Q(organisation__in=organisations)
        | Q(compact_name__in=names)
        | Q(local_part__in=[name.lower() for name in names])
    )


def _audiences(kind, thread, post, organisation_ids):
    """(kind, people) pairs that hear of an event, the most specific first."""
    readers = (
        permissions.post_readers(post)
        if post is not None
        else permissions.thread_readers(thread)
    )
    audiences = []
    names = mentions(post.body) if post is not None else []
    if names:
        audiences.append((NotificationKind.MENTION, mentioned_users(readers, names)))
    if kind == NotificationKind.REPLY:
        watchers = Watch.objects.filter(user=OuterRef("pk"), thread=thread)
        audiences.append((kind, readers.filter(Exists(watchers))))
    elif kind == NotificationKind.NEW_THREAD and not thread.is_important:
        # Addressed wards' staff hear of the thread as ADDRESSED, and an
        # important announcement reaches everyone as ANNOUNCEMENT.
        watchers = Watch.objects.filter(
            user=OuterRef("pk"), category_id=thread.category_id
        )
        addressed = Addressee.objects.filter(thread=thread).values("organisation")
        audiences.append(
            (kind, readers.filter(Exists(watchers)).exclude(organisation__in=addressed))
        )
    elif kind == NotificationKind.ADDRESSED:
        audiences.append((kind, readers.filter(organisation__in=organisation_ids)))
    elif kind == NotificationKind.ANSWER:
        audiences.append((kind, readers.filter(pk=thread.author_id)))
    elif kind == NotificationKind.ANNOUNCEMENT:
        audiences.append((kind, readers))
    return audiences


def _frequency(kind):
    """A person's chosen mail frequency for a kind, as an SQL expression."""
    chosen = NotificationSetting.objects.filter(user=OuterRef("pk"), kind=kind)
    return Coalesce(
        Subquery(chosen.values("frequency")[:1]), Value(Frequency.IMMEDIATE)
    )


@task
def fan_out(
    *,
    kind,
    thread_id,
    post_id=None,
    actor_id=None,
    organisation_ids=(),
    mail=True,
    since=None,
):
    """Make the notifications of one event, for all its recipients at once.

    Each person gets at most one notification per event (a mention beats a
    reply), never for their own action, and never twice for the same kind,
    thread and post. Every answer is news of its own: an answer made at
    `since` is told once, however often the task runs (a notification from
    the same person on the thread made after that time stands for it), and
    a person's answers on a thread fold into one unread notification
    (_fold_repeated_answers). Queues one mail task when anyone wants mail
    at once.
    """
    thread = Thread.objects.filter(pk=thread_id).first()
    post = (
        Post.objects.select_related("thread").filter(pk=post_id).first()
        if post_id
        else None
    )
    if thread is None or (post_id and post is None):
        return 0
    chosen = {}
    for audience_kind, users in _audiences(kind, thread, post, organisation_ids):
        if actor_id is not None:
            users = users.exclude(pk=actor_id)
        earlier = Notification.objects.filter(
            user=OuterRef("pk"), kind=audience_kind, thread=thread
        )
        if audience_kind != NotificationKind.ANSWER:
            users = users.exclude(Exists(earlier.filter(post=post)))
        elif since is not None:
            users = users.exclude(
                Exists(
                    earlier.filter(
                        actor_id=actor_id,
                        created_at__gte=datetime.fromisoformat(since),
                    )
                )
            )
        users = users.annotate(
            frequency=_frequency(audience_kind) if mail else Value(Frequency.OFF)
        )
        for user_id, frequency in users.values_list("pk", "frequency"):
            chosen.setdefault(user_id, (audience_kind, frequency))
    with transaction.atomic():
        mail_now = kind == NotificationKind.ANSWER and _fold_repeated_answers(
            thread=thread, actor_id=actor_id, chosen=chosen
        )
        Notification.objects.bulk_create(
            [
                Notification(
                    user_id=user_id,
                    kind=notification_kind,
                    thread=thread,
                    post=post,
                    actor_id=actor_id,
                    mail=frequency,
                )
                for user_id, (notification_kind, frequency) in chosen.items()
            ],
            ignore_conflicts=True,
        )
        # Queued in the same transaction, so the worker cannot start it
        # before the notifications exist.
        if mail_now or any(
            frequency == Frequency.IMMEDIATE for _, frequency in chosen.values()
        ):
            send_pending_mail.enqueue()
    return len(chosen)


def _fold_repeated_answers(*, thread, actor_id, chosen):
    """Fold a repeated answer into the unread notification of the last one.

    Marking and withdrawing interest, or changing an answer, over and over
    must not flood the author: an unread answer notification from the same
    person on the thread moves to the top instead of a new one being made,
    and is mailed again only when its last mail is older than
    REPEAT_MAIL_AFTER. The people folded are taken out of `chosen`; returns
    whether a folded notification is to be mailed at once.
    """
    now = timezone.now()
    unread = Notification.objects.select_for_update().filter(
        kind=NotificationKind.ANSWER,
        thread=thread,
        actor_id=actor_id,
        read_at__isnull=True,
        user_id__in=[
            user_id
            for user_id, (kind, _) in chosen.items()
            if kind == NotificationKind.ANSWER
        ],
    )
    mail_now = False
    # Only the thread's author hears of answers: one row at most.
    for notification in unread:
        frequency = chosen.pop(notification.user_id)[1]
        notification.created_at = now
        mailed_at = notification.mailed_at
        if mailed_at is not None and mailed_at < now - REPEAT_MAIL_AFTER:
            notification.mailed_at = None
            notification.mail = frequency
            mail_now = mail_now or frequency == Frequency.IMMEDIATE
        notification.save(update_fields=["created_at", "mailed_at", "mail"])
    return mail_now


# ----- mail -----


def describe(notification):
    """One sentence saying what happened (needs thread__category and actor)."""
    actor = notification.actor
    return KIND_TEXTS[notification.kind] % {
        "actor": actor.signature if actor else "",
        "thread": notification.thread.title,
        "category": notification.thread.category.name,
    }


def unsubscribe_token(*, user, kinds):
    """A signed token that turns mail of some kinds off for one person."""
    return signing.dumps({"u": user.pk, "k": sorted(kinds)}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_check(token):
    """The person and kinds a token stands for, or None if it is not valid."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
        kinds = [NotificationKind(kind) for kind in data["k"]]
        return User.objects.get(pk=data["u"]), kinds
    except (signing.BadSignature, KeyError, TypeError, ValueError, User.DoesNotExist):
        return None


def _site_url(name, *args):
    return settings.SITE_URL + reverse(name, args=args)


class ListUnsubscribe(str):
    """The List-Unsubscribe header value, kept on one line.

    Python's mail package would fold a long URL into RFC 2047 encoded
    words, which mail clients ignore here; RFC 5322 allows 998 characters.
    """

    name = "List-Unsubscribe"

    def fold(self, *, policy):
        return f"{self.name}: {self}{policy.linesep}"


def _message(user, notifications, template):
    kinds = sorted({notification.kind for notification in notifications})
    unsubscribe_url = _site_url(
        "boards:notification_unsubscribe", unsubscribe_token(user=user, kinds=kinds)
    )
    for notification in notifications:
        notification.text = describe(notification)
        notification.url = _site_url("boards:notification_open", notification.pk)
    context = {
        "user": user,
        "notifications": notifications,
        "unsubscribe_url": unsubscribe_url,
        "settings_url": _site_url("boards:notification_settings"),
    }
    subject = render_to_string(f"{template}_subject.txt", context)
    message = EmailMultiAlternatives(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split()),
        body=render_to_string(f"{template}_message.txt", context),
        to=[user.email],
        headers={
            # RFC 8058: mail clients offer a one-click unsubscribe button.
            "List-Unsubscribe": ListUnsubscribe(f"<{unsubscribe_url}>"),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(
        render_to_string(f"{template}_message.html", context), "text/html"
    )
    return message


def _deliver(frequency, template):
    """Mail each person their unmailed notifications in one message.

    Only what the person may still read on the site goes out: a
    notification of a thread or post hidden or deleted since, or of a
    person whose membership was suspended, waits unmailed, and goes out if
    it becomes readable again.

    Each person's rows are locked while their mail is sent and marked as
    mailed in the same short transaction, so two workers never mail the same
    notification, and a worker killed in the middle of a run leaves at most
    the one mail it was sending to go out again. An address the server
    refuses is skipped; any other error stops the run. Either way the rest
    wait for the next run and the error fails the task.
    """
    pending = permissions.readable_notifications(
        Notification.objects.filter(mail=frequency, mailed_at__isnull=True)
    )
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
                rows = list(
                    pending.filter(user_id=first.user_id)
                    .select_for_update(of=("self",))
                    .select_related("user", "thread__category")
                    .select_related("actor__organisation__prefecture")
                    .order_by("created_at", "pk")
                )
                message = _message(rows[0].user, rows, template)
                if connection is None:
                    connection = opened.enter_context(mailers.default)
                try:
                    connection.send_messages([message])
                except smtplib.SMTPRecipientsRefused as error:
                    # One bad address must not hold up everyone's mail.
                    refused.add(first.user_id)
                    refusal = error
                    continue
                Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
                    mailed_at=timezone.now()
                )
                sent += 1
    if refusal is not None:
        raise refusal
    return sent


@task
def send_pending_mail():
    """Mail the notifications people want at once; returns the mails sent."""
    return _deliver(Frequency.IMMEDIATE, "boards/email/notification")


@task
def send_daily_digests():
    """Mail each person one digest of their daily notifications."""
    return _deliver(Frequency.DAILY, "boards/email/digest")


# ----- in the site -----


def notifications_of(user):
    """A person's notifications, newest first, on threads they may read."""
    threads = permissions.visible_threads(user, Thread.objects.all())
    return (
        Notification.objects.filter(user=user, thread__in=threads)
        .select_related("thread__category", "actor__organisation__prefecture")
        .order_by("-created_at", "-pk")
    )


def unread_count(user):
    """How many notifications a person has not opened, up to UNREAD_COUNTED.

    One query on every page, so it stops counting early instead of
    reading all of a long-absent person's notifications.
    """
    unread = notifications_of(user).filter(read_at__isnull=True).order_by()
    return unread[:UNREAD_COUNTED].count()


def notification_mark_read(*, notification):
    """Opening a notification marks it read."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user):
    """Mark every notification of a person read."""
    Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def important_unread(user):
    """Important お知らせ the person has not opened yet, newest first."""
    important = Thread.objects.filter(
        category__thread_type=ThreadType.ANNOUNCEMENT, is_important=True
    )
    read = ReadState.objects.filter(user=user, thread=OuterRef("pk"))
    return list(
        permissions.visible_threads(user, important)
        .exclude(Exists(read))
        .order_by("-created_at", "-pk")[:IMPORTANT_SHOWN]
    )


# ----- mail settings -----


def mail_frequencies(user):
    """A person's mail frequency for every kind (at once unless changed)."""
    chosen = dict(
        NotificationSetting.objects.filter(user=user).values_list("kind", "frequency")
    )
    return {kind: chosen.get(kind, Frequency.IMMEDIATE) for kind in NotificationKind}


@transaction.atomic
def notification_settings_update(*, user, frequencies):
    """Store how often a person gets mail of each kind.

    Notifications not mailed yet follow the new choice, so turning a kind
    off stops mail that is still waiting.
    """
    NotificationSetting.objects.bulk_create(
        [
            NotificationSetting(user=user, kind=kind, frequency=frequency)
            for kind, frequency in frequencies.items()
        ],
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["frequency"],
    )
    for kind, frequency in frequencies.items():
        Notification.objects.filter(
            user=user, kind=kind, mailed_at__isnull=True
        ).exclude(mail=frequency).exclude(mail=Frequency.OFF).update(mail=frequency)


def unsubscribe(*, user, kinds):
    """Turn mail of some kinds off, from the link in a mail."""
    notification_settings_update(
        user=user, frequencies=dict.fromkeys(kinds, Frequency.OFF)
    )
