"""Open requests a member could answer, nearest first.

Distances are great-circle distances between the registry's coordinates of
the viewer's organisation and of the municipality asking (or its prefecture
when the municipality has none), computed here in Python from one query.
"""

import math
from dataclasses import dataclass

from django.db.models import F, Sum
from django.db.models.functions import Coalesce

from members.models import Organisation

from .models import Disaster, HelpRequest, WorkType

EARTH_RADIUS_KM = 6371.0
DISTANCE_BANDS = (100, 300, 500)
OPEN_STATUSES = (
    HelpRequest.Status.RECEIVED,
    HelpRequest.Status.COORDINATING,
    HelpRequest.Status.PARTLY_ACCEPTED,
)


def great_circle_km(first, second):
    """Kilometres between two (latitude, longitude) points (haversine)."""
    lat1, lon1, lat2, lon2 = (math.radians(float(v)) for v in (*first, *second))
    a = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def _point(organisation):
    """Where an organisation is: its own coordinates, else its prefecture's."""
    for place in (organisation, organisation.prefecture):
        if place is not None and None not in (place.latitude, place.longitude):
            return (place.latitude, place.longitude)
    return None


@dataclass(frozen=True)
class OpenRequest:
    request: HelpRequest
    still_needed: int
    distance_km: int | None  # None when either place has no coordinates


def open_requests_for(
    *,
    organisation: Organisation | None,
    work_type: WorkType | None = None,
    within_km: int | None = None,
) -> list[OpenRequest]:
    """Requests still short of people, of open disasters, not the viewer's
    own; nearest first, those without a distance last. One query."""
    requests = (
        HelpRequest.objects.with_related()
        .filter(disaster__status=Disaster.Status.ACTIVE, status__in=OPEN_STATUSES)
        .annotate(offered=Coalesce(Sum("offers__people"), 0))
        .filter(offered__lt=F("people_requested"))
        .order_by("start_on", "pk")
    )
    if organisation is not None:
        requests = requests.exclude(municipality=organisation)
    if work_type is not None:
        requests = requests.filter(work_type=work_type)
    here = _point(organisation) if organisation is not None else None
    found = []
    for help_request in requests:
        there = _point(help_request.municipality)
        distance = round(great_circle_km(here, there)) if here and there else None
        if within_km is not None and (distance is None or distance > within_km):
            continue
        found.append(
            OpenRequest(
                request=help_request,
                still_needed=help_request.people_requested - help_request.offered,
                distance_km=distance,
            )
        )
    found.sort(key=lambda row: (row.distance_km is None, row.distance_km or 0))
    return found
