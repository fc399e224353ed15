"""Reads of the board that are more than one QuerySet method.

Writes live in boards.services; who may see what in boards.permissions.
"""

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from members.models import User

from . import permissions
from .models import (
    Addressee,
    Category,
    Draft,
    Frequency,
    ModerationLog,
    Notification,
    NotificationKind,
    NotificationSetting,
    OrganisationWatch,
    Proposal,
    ReadState,
    Thread,
    ThreadType,
    Watch,
)

IMPORTANT_SHOWN = 5
UNREAD_COUNTED = 100

# What a ward may answer, by thread type.
PAMPHLET_ANSWERS = [
    Addressee.State.ACCEPT,
    Addressee.State.REFUSE,
    Addressee.State.DISCUSS,
]
PROPOSAL_ANSWERS = [
    Addressee.State.CONSIDERING,
    Addressee.State.INTERESTED,
    Addressee.State.DECLINED,
]

# 募集中 → 調整中 → 実現 / 終了; a proposal can also end without coordination.
STATUS_STEPS = {
    Proposal.Status.OPEN: [Proposal.Status.COORDINATING, Proposal.Status.CLOSED],
    Proposal.Status.COORDINATING: [Proposal.Status.REALISED, Proposal.Status.CLOSED],
    Proposal.Status.REALISED: [],
    Proposal.Status.CLOSED: [],
}

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


# ----- collaboration -----


def answer_choices(thread: Thread) -> list[tuple[str, str]]:
    """The answers a ward can give to this thread."""
    states = (
        PAMPHLET_ANSWERS
        if thread.category.thread_type == ThreadType.PAMPHLET
        else PROPOSAL_ANSWERS
    )
    return [(state.value, state.label) for state in states]


def status_choices(proposal: Proposal) -> list[tuple[str, str]]:
    """The statuses a proposal can move to next."""
    return [(status.value, status.label) for status in STATUS_STEPS[proposal.status]]


# ----- moderation -----


def merged_into(thread: Thread) -> int | None:
    """The pk of the thread a merged thread's posts went to, else None.

    The log entry of the merge is the record of where they went; only hidden
    threads can have been merged, so visible ones cost no query.
    """
    if not thread.is_hidden:
        return None
    return (
        ModerationLog.objects.filter(thread=thread, action=ModerationLog.Action.MERGE)
        .order_by("-created_at", "-pk")
        .values_list("details__to", flat=True)
        .first()
    )


# ----- watching and notifications -----


def watches(user: User, thread=None, category=None) -> QuerySet[Watch]:
    """The person's follow of the thread or the category (either may be an
    OuterRef, for an annotation)."""
    return Watch.objects.filter(user=user, thread=thread, category=category)


def organisation_watches(
    user: User, thread=None, category=None
) -> QuerySet[OrganisationWatch]:
    """The person's organisation's follow of the thread or the category."""
    return OrganisationWatch.objects.filter(
        organisation_id=user.organisation_id, thread=thread, category=category
    )


def is_watching(
    user: User, thread: Thread | None = None, category: Category | None = None
) -> bool:
    """Whether a person follows the thread or the category."""
    return watches(user, thread, category).exists()


def organisation_follows(
    user: User, thread: Thread | None = None, category: Category | None = None
) -> bool:
    """Whether the person's organisation follows the thread or the category."""
    return organisation_watches(user, thread, category).exists()


def category_follows(user: User, category: Category) -> tuple[bool, bool]:
    """is_watching and organisation_follows of a category, in one query."""
    return (
        Category.objects.filter(pk=category.pk)
        .values_list(
            Exists(watches(user, category=OuterRef("pk"))),
            Exists(organisation_watches(user, category=OuterRef("pk"))),
        )
        .get()
    )


def describe(notification: Notification) -> str:
    """One sentence saying what happened (needs thread__category and actor)."""
    actor = notification.actor
    return KIND_TEXTS[notification.kind] % {
        "actor": actor.signature if actor else "",
        "thread": notification.thread.title,
        "category": notification.thread.category.name,
    }


def notifications_of(user: User) -> QuerySet[Notification]:
    """A person's notifications, newest first, on threads they may read."""
    return (
        permissions.visible_threads(
            user, Notification.objects.filter(user=user), through="thread"
        )
        .select_related("thread__category", "actor__organisation__prefecture")
        .order_by("-created_at", "-pk")
    )


def unread_count(user: User) -> int:
    """How many notifications a person has not opened, up to UNREAD_COUNTED.

    One query on every page, so it stops counting early instead of
    reading all of a long-absent person's notifications.
    """
    unread = permissions.visible_threads(
        user,
        Notification.objects.filter(user=user, read_at__isnull=True),
        through="thread",
    )
    return unread[:UNREAD_COUNTED].count()


def important_unread(user: User) -> list[Thread]:
    """Important お知らせ the person has not opened yet, newest first."""
    important = Thread.objects.filter(
        category__thread_type=ThreadType.ANNOUNCEMENT, is_important=True
    )
    read = ReadState.objects.filter(user=user, thread=OuterRef("pk"))
    return list(
        permissions.visible_threads(user, important)
        .exclude(Exists(read))
        # The list shows the title and the day (important_announcements.html).
        .only("title", "created_at")
        .order_by("-created_at", "-pk")[:IMPORTANT_SHOWN]
    )


def mail_frequencies(user: User) -> dict[str, str]:
    """A person's mail frequency for every kind (at once unless changed)."""
    chosen = dict(
        NotificationSetting.objects.filter(user=user).values_list("kind", "frequency")
    )
    return {kind: chosen.get(kind, Frequency.IMMEDIATE) for kind in NotificationKind}


# ----- drafts -----

DRAFTS_ON_HOME = 5


def drafts_of(user: User) -> QuerySet[Draft]:
    """The person's own drafts that could still be posted, latest first."""
    return permissions.visible_drafts(user, Draft.objects.all()).for_listing()


def reply_drafts(user: User, thread) -> QuerySet[Draft]:
    """The person's unsent reply to a thread (thread may be an OuterRef)."""
    return Draft.objects.filter(user=user, kind=Draft.Kind.REPLY, thread=thread)


def reply_draft(user: User, thread: Thread) -> Draft | None:
    """The person's unsent reply to a thread, if they saved one."""
    return reply_drafts(user, thread).first()
