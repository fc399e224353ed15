"""Reads of the tracker behind the reports: requests with their offers and
teams in one query, and those a reader may open."""

import datetime

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, JSONObject

from members.models import User

from . import permissions
from .agreement_models import dispatch_basis_expression
from .models import Disaster, Dispatch, HelpRequest, Offer, Seat


def report_requests(
    *, disaster: Disaster, user: User, as_of: datetime.date | None
) -> tuple[list[HelpRequest], list[HelpRequest]]:
    """All the disaster's requests, for the report figures, and those the
    reader may open, for the lists: one query.

    Each carries `offered` (the people its offers promise) and, with an
    as-of day, `log` (with_log).
    """
    # A subquery, not a join: summing over joined offers would group the
    # wide rows of the request and its four organisations.
    offered = (
        Offer.objects.filter(request=OuterRef("pk"))
        .values("request")
        .annotate(total=Sum("people"))
        .values("total")
    )
    all_requests = list(
        with_log(disaster.requests.with_related(), as_of).annotate(
            offered=Coalesce(Subquery(offered), 0)
        )
    )
    requests = [
        help_request
        for help_request in all_requests
        if permissions.can_see_request(user, help_request)
    ]
    return all_requests, requests


def with_log(
    requests: QuerySet[HelpRequest], as_of: datetime.date | None
) -> QuerySet[HelpRequest]:
    """Requests annotated with `log`: their offers and teams, in the same query.

    Each offer is a JSON object with its teams decided by the as-of day (teams
    decided later are left out, as in the other tables) and their seat counts.
    """
    if as_of is None:
        return requests
    seats = (
        Seat.objects.filter(dispatch=OuterRef("pk"))
        .values("dispatch")
        .annotate(count=Count("pk"))
        .values("count")
    )
    teams = (
        Dispatch.objects.filter(offer=OuterRef("pk"), decided_on__lte=as_of)
        .order_by("start_on", "pk")
        .values(
            json=JSONObject(
                name="name",
                sender="sender__name",
                start_on="start_on",
                end_on="end_on",
                status="status",
                seats=Coalesce(Subquery(seats), 0),
                basis=dispatch_basis_expression(),
            )
        )
    )
    offers = (
        Offer.objects.filter(request=OuterRef("pk"))
        .order_by("pk")
        .values(
            json=JSONObject(
                is_joint="is_joint",
                sender="sender__name",
                people="people",
                teams=ArraySubquery(teams),
            )
        )
    )
    return requests.annotate(log=ArraySubquery(offers))
