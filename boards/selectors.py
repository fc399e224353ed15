"""Reads of the board that are more than one QuerySet method.

Writes live in boards.services; who may see what in boards.permissions.
"""

import datetime
from typing import NamedTuple

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from members.common.prepared import (
    Fixed,
    PreparedQuery,
    from_row,
    model_columns,
    related_from_row,
    split_row,
)
from members.models import User

from . import permissions
from .models import (
    Addressee,
    Category,
    Draft,
    Frequency,
    Interest,
    ModerationLog,
    Notification,
    NotificationKind,
    NotificationSetting,
    OrganisationGroup,
    OrganisationWatch,
    Proposal,
    ReadState,
    Thread,
    ThreadType,
    Watch,
)
from .models.threads import ThreadRow, named_organisation
from .pagination import keyset_order

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
    return _organisation_watches(user.organisation_id, thread, category)


def _organisation_watches(organisation_id, thread=None, category=None):
    return OrganisationWatch.objects.filter(
        organisation_id=organisation_id, thread=thread, category=category
    )


# The one-to-one details a thread page may show, read with the thread.
THREAD_DETAILS = ("proposal", "event", "pamphlet", "publicity")


def _thread_page(thread_id):
    columns = [
        *model_columns(Thread),
        *model_columns(Category, through="category__"),
        *model_columns(OrganisationGroup, through="category__reader_group__"),
    ]
    for name in THREAD_DETAILS:
        details = Thread._meta.get_field(name).related_model
        columns += model_columns(details, through=f"{name}__")
    return Thread.objects.filter(pk=thread_id).values_list(*columns)


_THREAD_PAGE = PreparedQuery(_thread_page)


def thread_page(pk: int) -> Thread:
    """A thread with its category, the category's reader group and its
    details, as select_related() would give them, in one query compiled
    once per process; Http404 if there is none."""
    rows = _THREAD_PAGE.rows(thread_id=pk)
    if not rows:
        raise Http404
    relations = [Thread._meta.get_field(name) for name in THREAD_DETAILS]
    thread, category, group, *details, _rest = split_row(
        rows[0],
        Thread,
        Category,
        OrganisationGroup,
        *(relation.related_model for relation in relations),
    )
    thread = from_row(Thread, None, thread)
    category = from_row(Category, None, category)
    category.reader_group = related_from_row(OrganisationGroup, group)
    thread.category = category
    for relation, values in zip(relations, details, strict=True):
        detail = related_from_row(relation.related_model, values)
        if detail is None:
            # Known to have none, as after select_related(): no query to
            # find that out again.
            relation.set_cached_value(thread, None)
        else:
            setattr(thread, relation.get_accessor_name(), detail)
    return thread


class ReaderMarks(NamedTuple):
    """What a thread page shows of the reader's own relation to the thread."""

    last_read: int | None
    is_watching: bool
    has_reply_draft: bool
    organisation_follows: bool


def _reader_marks(thread_id, user_id, organisation_id):
    thread = OuterRef("pk")
    return (
        Thread.objects.filter(pk=thread_id)
        .with_read_state(user_id)
        .annotate(
            is_watching=Exists(watches(user_id, thread=thread)),
            has_reply_draft=Exists(reply_drafts(user_id, thread=thread)),
            organisation_follows=Exists(
                _organisation_watches(organisation_id, thread=thread)
            ),
        )
        .values_list(*ReaderMarks._fields)
    )


_READER_MARKS = PreparedQuery(_reader_marks)


def reader_marks(user: User, thread: Thread) -> ReaderMarks:
    """How far the person has read the thread, whether they and their
    organisation follow it, and whether they saved a reply to it: one
    query, compiled once per process."""
    (values,) = _READER_MARKS.rows(
        thread_id=thread.pk, user_id=user.pk, organisation_id=user.organisation_id
    )
    return ReaderMarks(*values)


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


def _category_follows(category_id, user_id, organisation_id):
    category = OuterRef("pk")
    return Category.objects.filter(pk=category_id).values_list(
        Exists(watches(user_id, category=category)),
        Exists(_organisation_watches(organisation_id, category=category)),
    )


_CATEGORY_FOLLOWS = PreparedQuery(_category_follows)


def category_follows(user: User, category: Category) -> tuple[bool, bool]:
    """is_watching and organisation_follows of a category, in one query."""
    (follows,) = _CATEGORY_FOLLOWS.rows(
        category_id=category.pk,
        user_id=user.pk,
        organisation_id=user.organisation_id,
    )
    return follows


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


# The notifications counted: built and compiled once per shape of the
# person's visibility, bound on every page (members/common/prepared.py).
_UNREAD = PreparedQuery(
    lambda user_id, visibility: (
        visibility.threads(
            Notification.objects.filter(user=user_id, read_at__isnull=True),
            through="thread",
        )
        .order_by()
        .values_list("pk")[:UNREAD_COUNTED]
    )
)


def unread_count(user: User) -> int:
    """How many notifications a person has not opened, up to UNREAD_COUNTED.

    One query on every page, so it stops counting early instead of
    reading all of a long-absent person's notifications.
    """
    return len(
        _UNREAD.rows(user_id=user.pk, visibility=permissions.thread_visibility(user))
    )


# What important_announcements.html shows of each.
_IMPORTANT_COLUMNS = ("id", "title", "created_at")


def _important_unread(user_id, visibility):
    important = Thread.objects.filter(
        category__thread_type=ThreadType.ANNOUNCEMENT, is_important=True
    )
    read = ReadState.objects.filter(user=user_id, thread=OuterRef("pk"))
    return (
        visibility.threads(important)
        .exclude(Exists(read))
        .order_by("-created_at", "-pk")
        .values_list(*model_columns(Thread, _IMPORTANT_COLUMNS))[:IMPORTANT_SHOWN]
    )


_IMPORTANT_UNREAD = PreparedQuery(_important_unread)


def important_unread(user: User) -> list[Thread]:
    """Important お知らせ the person has not opened yet, newest first."""
    return [
        from_row(Thread, _IMPORTANT_COLUMNS, values)
        for values in _IMPORTANT_UNREAD.rows(
            user_id=user.pk, visibility=permissions.thread_visibility(user)
        )
    ]


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


def _thread_rows(
    user_id, visibility, category_id, pinned, created, before, after, limit
):
    threads = visibility.threads(Thread.objects.all())
    if category_id is not None:
        threads = threads.filter(category=category_id)
    if pinned is not None:
        threads = threads.filter(is_pinned=pinned)
    if created is not None:
        threads = threads.filter(created_at__gte=created[0], created_at__lt=created[1])
    threads = keyset_order(threads, before=before, after=after)
    return threads.with_read_state(user_id).values_list(*ThreadRow.COLUMNS)[:limit]


_THREAD_ROWS = PreparedQuery(_thread_rows)


def thread_rows(
    user: User,
    *,
    category: Category | None = None,
    pinned: bool | None = None,
    created: tuple[datetime.datetime, datetime.datetime] | None = None,
    before=None,
    after=None,
    limit: int | None = None,
) -> list[ThreadRow]:
    """The threads a person may see, as the rows of thread_row.html with
    their read state: of a category, pinned or not, started in [created),
    from a cursor on in keyset_order (newest activity first). One query,
    compiled once per process and shape."""
    rows = _THREAD_ROWS.rows(
        user_id=user.pk,
        visibility=permissions.thread_visibility(user),
        category_id=None if category is None else category.pk,
        pinned=pinned,
        created=created,
        before=before,
        after=after,
        limit=Fixed(limit),
    )
    return [ThreadRow(values) for values in rows]


class Interested(NamedTuple):
    """An organisation interested in a thread, as the thread page names it."""

    organisation_id: int
    organisation: object


_INTERESTED = PreparedQuery(
    lambda thread_id: (
        Interest.objects.filter(thread=thread_id)
        .order_by("pk")
        .values_list(
            "organisation_id",
            "organisation__name",
            "organisation__kind",
            "organisation__prefecture__name",
        )
    )
)


def interested(thread: Thread) -> list[Interested]:
    """The organisations interested in a thread, first marked first."""
    return [
        Interested(organisation_id, named_organisation(*names))
        for organisation_id, *names in _INTERESTED.rows(thread_id=thread.pk)
    ]


def reply_drafts(user: User, thread) -> QuerySet[Draft]:
    """The person's unsent reply to a thread (thread may be an OuterRef)."""
    return Draft.objects.filter(user=user, kind=Draft.Kind.REPLY, thread=thread)


def reply_draft(user: User, thread: Thread) -> Draft | None:
    """The person's unsent reply to a thread, if they saved one."""
    return reply_drafts(user, thread).first()
