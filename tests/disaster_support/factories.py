"""Builders for disaster-support rows, going through the services."""

import datetime

from disaster_support import services
from disaster_support.models import Disaster, HelpRequest, Offer, Seat, WorkType
from members.models import Organisation
from tests.factories import make_organisation


def make_prefecture(name="石川県"):
    return make_organisation(name=name, kind=Organisation.Kind.PREFECTURE)


def make_disaster(*, prefecture=None, occurred_on=datetime.date(2024, 1, 1), by=None):
    return services.disaster_create(
        name="令和6年能登半島地震",
        kind=Disaster.Kind.EARTHQUAKE,
        occurred_on=occurred_on,
        prefectures=[prefecture or make_prefecture()],
        actor=by,
    )


def make_request(*, disaster, municipality=None, by=None, **fields):
    if municipality is None:
        municipality = make_organisation(
            name="七尾市", prefecture=disaster.prefectures.first()
        )
    values = {
        "channel": HelpRequest.Channel.MIC_TOKYO,
        "work_type": WorkType.objects.get(name="ごみの収集・運搬等"),
        "people_requested": 6,
        "start_on": datetime.date(2024, 1, 10),
        "end_on": datetime.date(2024, 3, 31),
        **fields,
    }
    return services.request_create(
        disaster=disaster, municipality=municipality, actor=by, **values
    )


def make_offer(*, request, ward=None, by=None, people=3):
    return services.offer_create(
        request=request,
        actor=by,
        ward=ward,
        is_joint=ward is None,
        basis=Offer.Basis.AGREEMENT if ward else Offer.Basis.JOINT,
        people=people,
    )


def make_dispatch(
    *,
    offer,
    ward,
    start_on=datetime.date(2024, 1, 10),
    end_on=datetime.date(2024, 1, 14),
    seats=3,
    by=None,
    **fields,
):
    values = {
        "name": "第1班",
        "travel_days_at_start": 1,
        "travel_days_at_end": 1,
        "decided_on": datetime.date(2024, 1, 5),
        **fields,
    }
    return services.dispatch_create(
        offer=offer,
        actor=by,
        seats=[(Seat.JobType.CLERICAL, f"職員{n}") for n in range(seats)],
        ward=ward,
        start_on=start_on,
        end_on=end_on,
        **values,
    )
