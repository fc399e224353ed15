"""What the calendar shows a person: events and deadlines, read in a fixed
number of queries however many there are.

The month and list pages (boards.views.calendar) and the personal ICS feed
(boards.ics) all read through calendar_items(), so what a person sees is
the same everywhere and follows boards.permissions.visible_threads.
"""

import calendar as month_calendar
import datetime
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    DateTimeField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils.translation import gettext as _

from members.models import Organisation

from . import permissions
from .inquiries.selectors import inquiry_deadlines_for
from .models import Category, EventDetails, Post, PostRevision, Thread

# Japanese calendars begin the week on Sunday.
FIRST_WEEKDAY = month_calendar.SUNDAY


@dataclass(frozen=True)
class CalendarItem:
    """One entry: an event (one or more days) or a deadline (one day)."""

    EVENT = "event"
    EVENT_DEADLINE = "event_deadline"
    INQUIRY_DEADLINE = "inquiry_deadline"

    kind: str
    # Stable across fetches and edits: the feed's UID before "@host".
    uid: str
    title: str
    starts_on: datetime.date
    ends_on: datetime.date  # the last day, inclusive
    url: str  # a path on this site
    category: str
    organisation: str
    place: str = ""
    # Raised by each change calendars should take (ICS SEQUENCE).
    sequence: int = 0
    changed_at: datetime.datetime | None = None
    # Hidden by a moderator: only moderators still see it, marked.
    is_cancelled: bool = False

    @property
    def is_deadline(self):
        return self.kind != self.EVENT

    @property
    def is_multi_day(self):
        return self.ends_on != self.starts_on


def inquiry_deadlines(
    user,
    *,
    start: datetime.date,
    end: datetime.date,
    category: Category | None = None,
    prefecture: Organisation | None = None,
) -> list[CalendarItem]:
    """Deadlines of 照会 the person's organisation must answer or sent, due
    from start to end (boards.inquiries.selectors.inquiry_deadlines_for).

    Inquiries belong to no category, so a category filter shows none; the
    prefecture filter keeps those sent from it. A deadline can only move
    later, so the days from sending to the deadline only grow: that is the
    item's SEQUENCE, raised by each extension.
    """
    if category is not None:
        return []
    inquiries = inquiry_deadlines_for(user, start, end)
    if prefecture is not None:
        inquiries = inquiries.filter(
            Q(sender_organisation__prefecture=prefecture)
            | Q(sender_organisation=prefecture)
        )
    items = []
    for inquiry in inquiries:
        sender = inquiry.sender_organisation_id == user.organisation_id
        sent_at = inquiry.sent_at or inquiry.created_at
        items.append(
            CalendarItem(
                kind=CalendarItem.INQUIRY_DEADLINE,
                uid=f"deadline-inquiry-{inquiry.pk}",
                title=_("Answer deadline: %(title)s") % {"title": inquiry.title},
                starts_on=inquiry.deadline_on,
                ends_on=inquiry.deadline_on,
                url=reverse(
                    "inquiries:detail" if sender else "inquiries:answer",
                    args=[inquiry.pk],
                ),
                category=_("Inquiries"),
                organisation=inquiry.sender_organisation.full_name,
                sequence=(inquiry.deadline_on - sent_at.date()).days,
                changed_at=sent_at,
            )
        )
    return items


def _events(user, *, category=None, prefecture=None):
    """Events the person may see, with what the feed needs, in one query."""
    opening = Post.objects.filter(thread=OuterRef("thread"), position=0)
    revisions = (
        PostRevision.objects.filter(post__thread=OuterRef("thread"), post__position=0)
        .order_by()
        .values("post")
        .annotate(n=Count("pk"))
        .values("n")
    )
    events = (
        EventDetails.objects.filter(
            thread__in=permissions.visible_threads(user, Thread.objects.all())
        )
        .select_related(
            "thread__category", "thread__organisation__prefecture", "registration"
        )
        .annotate(
            edits=Coalesce(Subquery(revisions, output_field=IntegerField()), 0),
            changed_at=Greatest(
                "thread__created_at",
                Coalesce(
                    Subquery(opening.values("edited_at")[:1]),
                    "thread__created_at",
                    output_field=DateTimeField(),
                ),
                Coalesce(
                    "registration__changed_at",
                    "thread__created_at",
                    output_field=DateTimeField(),
                ),
            ),
        )
    )
    if category is not None:
        events = events.filter(thread__category=category)
    if prefecture is not None:
        events = events.filter(
            Q(thread__organisation__prefecture=prefecture)
            | Q(thread__organisation=prefecture)
        )
    return events


def _items_of(event) -> list[CalendarItem]:
    thread = event.thread
    registration = getattr(event, "registration", None)
    common = {
        "title": thread.title,
        "url": reverse("boards:thread", args=[thread.pk]),
        "category": thread.category.name,
        "organisation": thread.organisation.full_name,
        "place": event.place,
        # Each edit of the opening post (title, text) and each change of
        # the deadline counts: both only ever grow.
        "sequence": event.edits + (registration.revision if registration else 0),
        "changed_at": event.changed_at,
        "is_cancelled": thread.is_hidden,
    }
    items = [
        CalendarItem(
            kind=CalendarItem.EVENT,
            uid=f"event-{thread.pk}",
            starts_on=event.starts_on,
            ends_on=event.ends_on,
            **common,
        )
    ]
    if event.application_deadline is not None:
        items.append(
            CalendarItem(
                kind=CalendarItem.EVENT_DEADLINE,
                uid=f"deadline-event-{thread.pk}",
                starts_on=event.application_deadline,
                ends_on=event.application_deadline,
                **{
                    **common,
                    "title": _("Application deadline: %(title)s")
                    % {"title": thread.title},
                },
            )
        )
    return items


def calendar_items(
    user,
    *,
    start: datetime.date,
    end: datetime.date,
    category: Category | None = None,
    prefecture: Organisation | None = None,
) -> list[CalendarItem]:
    """Events and deadlines the person may see that fall from start to end
    (both included), by first day: an event on any of its days."""
    events = _events(user, category=category, prefecture=prefecture).filter(
        Q(starts_on__lte=end, ends_on__gte=start)
        | Q(application_deadline__gte=start, application_deadline__lte=end)
    )
    items = [
        item
        for event in events
        for item in _items_of(event)
        if item.starts_on <= end and item.ends_on >= start
    ]
    items += inquiry_deadlines(
        user, start=start, end=end, category=category, prefecture=prefecture
    )
    return sorted(items, key=lambda item: (item.starts_on, item.kind, item.title))


@dataclass
class Day:
    date: datetime.date
    in_month: bool
    is_today: bool
    items: list[CalendarItem] = field(default_factory=list)


def month_grid(year: int, month: int, items, *, today: datetime.date):
    """The month's weeks, Sunday first, each day with the items on it (an
    event on each of its days)."""
    weeks = month_calendar.Calendar(FIRST_WEEKDAY).monthdatescalendar(year, month)
    days = {
        day: Day(date=day, in_month=day.month == month, is_today=day == today)
        for week in weeks
        for day in week
    }
    for item in items:
        day = item.starts_on
        while day <= item.ends_on:
            if day in days:
                days[day].items.append(item)
            day += datetime.timedelta(days=1)
    return [[days[day] for day in week] for week in weeks]


def month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    """The first and last day shown on the month's grid (whole weeks)."""
    weeks = month_calendar.Calendar(FIRST_WEEKDAY).monthdatescalendar(year, month)
    return weeks[0][0], weeks[-1][-1]


def shift_month(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1
