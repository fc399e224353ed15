"""Open requests a member could answer, by work and distance."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from disaster_support import open_requests
from disaster_support.models import HelpRequest, WorkType
from tests import factories

pytestmark = pytest.mark.django_db

URL = "disaster_support:open_requests"


def placed(organisation, latitude, longitude):
    organisation.latitude, organisation.longitude = (
        Decimal(latitude),
        Decimal(longitude),
    )
    organisation.save()
    return organisation


@pytest.fixture
def viewer(member):
    # 東京都庁 area.
    placed(member.organisation, "35.6895", "139.6917")
    return member


@pytest.fixture
def nanao_request(help_request, nanao):
    placed(nanao, "37.0436", "136.9675")  # about 300 km from Tokyo
    return help_request


def test_great_circle_distance_tokyo_to_osaka():
    km = open_requests.great_circle_km(
        (Decimal("35.6895"), Decimal("139.6917")),
        (Decimal("34.6937"), Decimal("135.5023")),
    )
    assert 390 < km < 400


def test_members_see_open_requests_with_their_distance(client, viewer, nanao_request):
    client.force_login(viewer)
    response = client.get(reverse(URL))
    assert response.status_code == 200
    [row] = response.context["rows"]
    assert row.request == nanao_request
    assert row.still_needed == 6
    assert 270 < row.distance_km < 310


def test_a_distance_band_leaves_farther_requests_out(client, viewer, nanao_request):
    client.force_login(viewer)
    assert client.get(reverse(URL), {"within_km": "100"}).context["rows"] == []
    assert len(client.get(reverse(URL), {"within_km": "500"}).context["rows"]) == 1


def test_the_work_type_filter(client, viewer, nanao_request):
    client.force_login(viewer)
    other = WorkType.objects.exclude(pk=nanao_request.work_type_id).first()
    assert client.get(reverse(URL), {"work_type": other.pk}).context["rows"] == []
    rows = client.get(reverse(URL), {"work_type": nanao_request.work_type_id}).context[
        "rows"
    ]
    assert len(rows) == 1


def test_an_invalid_filter_shows_every_open_request(client, viewer, nanao_request):
    client.force_login(viewer)
    response = client.get(reverse(URL), {"within_km": "7"})
    assert response.context["form"].errors
    assert len(response.context["rows"]) == 1


def test_covered_closed_and_own_requests_are_left_out(
    client, nanao_staff, viewer, nanao_request, disaster, nanao
):
    factories.make_request(
        disaster=disaster, municipality=nanao, status=HelpRequest.Status.COMPLETED
    )
    covered = factories.make_request(disaster=disaster, municipality=nanao)
    factories.make_offer(request=covered, people=6)
    client.force_login(viewer)
    assert [r.request for r in client.get(reverse(URL)).context["rows"]] == [
        nanao_request
    ]
    client.force_login(nanao_staff)
    assert client.get(reverse(URL)).context["rows"] == []


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse(URL))
    assert response.status_code == 302


def test_open_requests_queries_stay_flat(
    client, viewer, disaster, nanao, django_assert_max_num_queries
):
    factories.make_request(disaster=disaster, municipality=nanao)
    client.force_login(viewer)
    client.get(reverse(URL))
    # The page's own query, the work types, and the members area's reads.
    with django_assert_max_num_queries(9):
        client.get(reverse(URL))
    for day in range(10):
        factories.make_request(
            disaster=disaster,
            municipality=nanao,
            start_on=datetime.date(2024, 1, 10 + day),
        )
    with django_assert_max_num_queries(9):
        response = client.get(reverse(URL))
    assert len(response.context["rows"]) == 11
