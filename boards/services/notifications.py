"""Notifications: who hears about what, in the site and by mail.

The board's services call the on_* functions inside their transaction. They
only record cheap facts (who watches what) and, once the transaction has
committed, queue fan_out with ids. fan_out finds every recipient in a few
set-based queries and writes the Notification rows in one insert; the mail
itself goes out from boards.mail.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.tasks import task
from django.utils import timezone

from members.models import MailMode, Organisation, User

from .. import permissions
from ..mail import send_pending_mail
from ..mentions import mentioned_users, mentions
from ..models import (
    Addressee,
    Frequency,
    Interest,
    Notification,
    NotificationKind,
    NotificationSetting,
    OrganisationWatch,
    Post,
    Thread,
    Watch,
)
from .watching import watch

# A person answering or marking interest again on the same thread is the
# same news while unread: it is mailed again only after this long.
REPEAT_MAIL_AFTER = timedelta(hours=1)


# ----- events, called by the services -----


def _fan_out_on_commit(**kwargs):
    transaction.on_commit(lambda: fan_out.enqueue(**kwargs))


def on_thread_created(*, thread: Thread, post: Post) -> None:
    """A new thread: its author watches it; category watchers hear of it."""
    watch(user=post.author, thread=thread)
    _fan_out_on_commit(
        kind=NotificationKind.NEW_THREAD,
        thread_id=thread.pk,
        post_id=post.pk,
        actor_id=post.author_id,
    )


def on_reply(*, post: Post) -> None:
    """A reply: its author watches the thread; the thread's watchers hear of it."""
    watch(user=post.author, thread=post.thread)
    _fan_out_on_commit(
        kind=NotificationKind.REPLY,
        thread_id=post.thread_id,
        post_id=post.pk,
        actor_id=post.author_id,
    )


def on_addressed(*, thread: Thread, organisations: list[Organisation]) -> None:
    """A thread addressed to wards: their staff hear of it."""
    organisation_ids = [organisation.pk for organisation in organisations]
    if organisation_ids:
        _fan_out_on_commit(
            kind=NotificationKind.ADDRESSED,
            thread_id=thread.pk,
            actor_id=thread.author_id,
            organisation_ids=organisation_ids,
        )


def _author_hears(*, thread_id: int, actor_id: int, at) -> None:
    """A ward answered the author's thread, or marked interest in it, at ``at``."""
    _fan_out_on_commit(
        kind=NotificationKind.ANSWER,
        thread_id=thread_id,
        actor_id=actor_id,
        since=at.isoformat(),
    )


def on_answer(*, addressee: Addressee) -> None:
    """A ward answered an addressed thread: the author hears of it."""
    _author_hears(
        thread_id=addressee.thread_id,
        actor_id=addressee.answered_by_id,
        at=addressee.answered_at,
    )


def on_interest(*, interest: Interest) -> None:
    """An organisation marked interest: the author hears of it."""
    _author_hears(
        thread_id=interest.thread_id,
        actor_id=interest.marked_by_id,
        at=interest.created_at,
    )


def on_important_announcement(*, thread: Thread, mail_everyone: bool) -> None:
    """An important お知らせ: everyone hears of it (by mail if asked)."""
    _fan_out_on_commit(
        kind=NotificationKind.ANNOUNCEMENT,
        thread_id=thread.pk,
        actor_id=thread.author_id,
        mail=mail_everyone,
    )


# ----- finding the recipients -----


def _organisation_news(thread, *, own=True, followed_thread=True, category=False):
    """People who hear of their organisation's news on a thread: those who
    chose to (User.organisation_news) in the organisation that started it
    (own), or in one following the thread or its category."""
    follows = OrganisationWatch.objects.filter(organisation=OuterRef("organisation"))
    condition = Q(pk__in=[])
    if own:
        condition |= Q(organisation=thread.organisation_id)
    if followed_thread:
        condition |= Exists(follows.filter(thread=thread))
    if category:
        condition |= Exists(follows.filter(category_id=thread.category_id))
    return Q(organisation_news=True) & condition


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
        # Mailing-list mode: a category's watchers read every reply in it.
        watchers = Watch.objects.filter(user=OuterRef("pk"), thread=thread)
        category_watchers = Watch.objects.filter(
            user=OuterRef("pk"), category_id=thread.category_id
        )
        audiences.append(
            (
                kind,
                readers.filter(
                    Exists(watchers)
                    | Q(Exists(category_watchers), mail_mode=MailMode.EVERY_POST)
                    | _organisation_news(thread)
                ),
            )
        )
    elif kind == NotificationKind.NEW_THREAD and not thread.is_important:
        # Addressed wards' staff hear of the thread as ADDRESSED, and an
        # important announcement reaches everyone as ANNOUNCEMENT.
        watchers = Watch.objects.filter(
            user=OuterRef("pk"), category_id=thread.category_id
        )
        addressed = Addressee.objects.filter(thread=thread).values("organisation")
        audiences.append(
            (
                kind,
                readers.filter(
                    Exists(watchers)
                    | _organisation_news(
                        thread, own=False, followed_thread=False, category=True
                    )
                ).exclude(organisation__in=addressed),
            )
        )
    elif kind == NotificationKind.ADDRESSED:
        audiences.append((kind, readers.filter(organisation__in=organisation_ids)))
    elif kind == NotificationKind.ANSWER:
        audiences.append(
            (
                kind,
                readers.filter(Q(pk=thread.author_id) | _organisation_news(thread)),
            )
        )
    elif kind == NotificationKind.ANNOUNCEMENT:
        audiences.append((kind, readers))
    return audiences


def _with_frequency(users, kind):
    """People annotated with how a notification of ``kind`` is mailed to them.

    A kind turned off stays off. Otherwise the person's mail mode decides:
    全文 (every post) mails everything at once, 日次まとめ puts everything in
    the daily mail, and 通知のみ follows the frequency chosen for the kind.
    """
    chosen = NotificationSetting.objects.filter(user=OuterRef("pk"), kind=kind)
    return users.annotate(
        chosen_frequency=Coalesce(
            Subquery(chosen.values("frequency")[:1]), Value(Frequency.IMMEDIATE)
        )
    ).annotate(
        frequency=Case(
            When(chosen_frequency=Frequency.OFF, then=Value(Frequency.OFF)),
            When(mail_mode=MailMode.EVERY_POST, then=Value(Frequency.IMMEDIATE)),
            When(mail_mode=MailMode.DAILY, then=Value(Frequency.DAILY)),
            default=F("chosen_frequency"),
        )
    )


@task
def fan_out(
    *,
    kind: str,
    thread_id: int,
    post_id: int | None = None,
    actor_id: int | None = None,
    organisation_ids: list[int] | tuple[()] = (),
    mail: bool = True,
    since: str | None = None,
) -> int:
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
        users = (
            _with_frequency(users, audience_kind)
            if mail
            else users.annotate(frequency=Value(Frequency.OFF))
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
    # One row at most per person (boards_notification_answer_unread_once).
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


# ----- reading and mail settings -----


def notification_mark_read(*, notification: Notification) -> Notification:
    """Opening a notification marks it read."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> None:
    """Mark every notification of a person read."""
    Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def mail_frequency(*, mode: str, chosen: str) -> str:
    """How a kind is mailed to a person in ``mode``: _with_frequency's rule."""
    if chosen == Frequency.OFF:
        return Frequency.OFF
    if mode == MailMode.EVERY_POST:
        return Frequency.IMMEDIATE
    if mode == MailMode.DAILY:
        return Frequency.DAILY
    return chosen


@transaction.atomic
def notification_settings_update(
    *,
    user: User,
    frequencies: dict[str, str],
    mail_mode: str | None = None,
    mail_encoding: str | None = None,
    organisation_news: bool | None = None,
) -> None:
    """Store how a person gets mail: per kind, their mode and encoding, and
    whether they hear of their organisation's threads.

    Notifications not mailed yet follow the new choice, so turning a kind
    off stops mail that is still waiting. ``mail_mode``, ``mail_encoding``
    and ``organisation_news`` stay as they are when not given.
    """
    changed = {
        name: value
        for name, value in (
            ("mail_mode", mail_mode),
            ("mail_encoding", mail_encoding),
            ("organisation_news", organisation_news),
        )
        if value is not None
    }
    if changed:
        for name, value in changed.items():
            setattr(user, name, value)
        user.clean_fields(
            exclude={f.name for f in User._meta.fields if f.name not in changed}
        )
        user.save(update_fields=list(changed))
    NotificationSetting.objects.bulk_create(
        [
            NotificationSetting(user=user, kind=kind, frequency=frequency)
            for kind, frequency in frequencies.items()
        ],
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["frequency"],
    )
    chosen = dict(
        NotificationSetting.objects.filter(user=user).values_list("kind", "frequency")
    )
    kinds = NotificationKind if "mail_mode" in changed else frequencies
    for kind in kinds:
        mailed = mail_frequency(
            mode=user.mail_mode, chosen=chosen.get(kind, Frequency.IMMEDIATE)
        )
        Notification.objects.filter(
            user=user, kind=kind, mailed_at__isnull=True
        ).exclude(mail=mailed).exclude(mail=Frequency.OFF).update(mail=mailed)


def unsubscribe(*, user: User, kinds: list[str]) -> None:
    """Turn mail of some kinds off, from the link in a mail."""
    notification_settings_update(
        user=user, frequencies=dict.fromkeys(kinds, Frequency.OFF)
    )
