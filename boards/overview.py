"""An organisation's own page: what it started, what it must answer, what
is still open. Each part is one query, however many rows there are."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from members import permissions as member_permissions
from members.models import Organisation, User

from . import permissions
from .models import (
    Addressee,
    Answer,
    Attendee,
    EventDetails,
    Inquiry,
    Proposal,
    Recipient,
    Thread,
)

THREADS_SHOWN = 20
ROWS_SHOWN = 50


@dataclass
class OrganisationOverview:
    threads: list
    answers_due: list
    inquiries_due: list
    proposals: list
    events: list
    inquiry_drafts: list
    staff: list
    is_ward: bool


def organisation_overview(*, organisation: Organisation, viewer: User):
    """The organisation's threads, what it must answer and its open items,
    as `viewer` may see them."""
    today = timezone.localdate()
    visible = permissions.visible_threads(viewer, Thread.objects.all())
    own_threads = visible.filter(organisation=organisation)
    is_ward = member_permissions.is_special_ward(organisation)
    answers_due = []
    if is_ward:
        answers_due = list(
            Addressee.objects.filter(organisation=organisation, thread__in=visible)
            .unanswered()
            .select_related("thread__category", "thread__organisation__prefecture")
            .order_by("thread__created_at", "pk")[:ROWS_SHOWN]
        )
    submitted = Answer.objects.submitted().filter(
        inquiry=OuterRef("inquiry"), organisation=organisation
    )
    return OrganisationOverview(
        threads=list(own_threads.for_listing().by_activity()[:THREADS_SHOWN]),
        answers_due=answers_due,
        inquiries_due=list(
            Recipient.objects.filter(
                organisation=organisation,
                inquiry__status=Inquiry.Status.OPEN,
                inquiry__deadline_on__gte=today,
            )
            .exclude(Exists(submitted))
            .select_related("inquiry__sender_organisation__prefecture")
            .order_by("inquiry__deadline_on", "inquiry__deadline_time", "pk")[
                :ROWS_SHOWN
            ]
        ),
        proposals=list(
            Proposal.objects.filter(
                thread__in=own_threads,
                status__in=[Proposal.Status.OPEN, Proposal.Status.COORDINATING],
            )
            .select_related("thread")
            .annotate(interest_count=Count("thread__interests", distinct=True))
            .order_by("-thread__created_at")[:ROWS_SHOWN]
        ),
        events=list(
            EventDetails.objects.filter(thread__in=own_threads, ends_on__gte=today)
            .select_related("thread")
            .annotate(
                confirmed_count=Count(
                    "attendees",
                    filter=Q(attendees__status=Attendee.Status.CONFIRMED),
                ),
                waiting_count=Count(
                    "attendees", filter=Q(attendees__status=Attendee.Status.WAITING)
                ),
            )
            .order_by("starts_on", "pk")[:ROWS_SHOWN]
        ),
        inquiry_drafts=list(
            Inquiry.objects.sent_by(organisation.pk)
            .filter(status=Inquiry.Status.DRAFT)
            .order_by("-created_at", "-pk")[:ROWS_SHOWN]
        ),
        staff=list(
            User.objects.filter(organisation=organisation, is_active=True).order_by(
                "department", "display_name", "pk"
            )
        ),
        is_ward=is_ward,
    )
