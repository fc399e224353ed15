"""The dispatch report stays small as teams grow: the per-request log is
paged, the summary tables stay whole, and the queries do not grow."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disaster_support.views import disasters as disaster_views
from disaster_support.views import requests as request_views
from tests import factories

pytestmark = pytest.mark.django_db


def report_url(disaster, **params):
    url = reverse("disaster_support:disaster_detail", args=[disaster.pk])
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{url}?as_of=2024-01-20&{query}"


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(disaster_views, "REQUEST_LOG_PAGE_SIZE", 3)


def add_teams(help_request, ward, count):
    offer = factories.make_offer(request=help_request, sender=ward)
    for number in range(count):
        factories.make_dispatch(offer=offer, sender=ward, name=f"第{number + 1}班")


def test_request_log_shows_one_page_of_teams(
    client, office_staff, disaster, help_request, chiyoda, small_pages
):
    add_teams(help_request, chiyoda, 5)
    client.force_login(office_staff)
    response = client.get(report_url(disaster))
    assert [row.team.split()[1] for row in response.context["request_log"]] == [
        "第1班",
        "第2班",
        "第3班",
    ]
    assert response.context["request_log"].paginator.num_pages == 2


def test_request_log_second_page_has_the_rest(
    client, office_staff, disaster, help_request, chiyoda, small_pages
):
    add_teams(help_request, chiyoda, 5)
    client.force_login(office_staff)
    response = client.get(report_url(disaster, page=2))
    assert [row.team.split()[1] for row in response.context["request_log"]] == [
        "第4班",
        "第5班",
    ]


def test_summary_tables_count_every_team_on_any_page(
    client, office_staff, disaster, help_request, chiyoda, small_pages
):
    add_teams(help_request, chiyoda, 5)
    client.force_login(office_staff)
    response = client.get(report_url(disaster, page=2))
    assert sum(row.count for row in response.context["newsletter"]) == 5 * 3


def test_a_page_past_the_end_shows_the_last_page(
    client, office_staff, disaster, help_request, chiyoda, small_pages
):
    add_teams(help_request, chiyoda, 5)
    client.force_login(office_staff)
    response = client.get(report_url(disaster, page=99))
    assert response.context["request_log"].number == 2


def test_report_queries_do_not_grow_with_teams(
    client, office_staff, disaster, help_request, chiyoda, minato
):
    add_teams(help_request, chiyoda, 1)
    client.force_login(office_staff)
    client.get(report_url(disaster))
    with CaptureQueriesContext(connection) as few:
        client.get(report_url(disaster))
    add_teams(help_request, minato, 30)
    wajima = factories.make_organisation(
        name="輪島市", prefecture=disaster.prefectures.first()
    )
    other = factories.make_request(disaster=disaster, municipality=wajima)
    add_teams(other, chiyoda, 10)
    # Writes drop the signed-in account from the cache; read it back first.
    client.get(report_url(disaster))
    with CaptureQueriesContext(connection) as many:
        response = client.get(report_url(disaster))
    assert response.status_code == 200
    # The tracker's own seven queries: the disaster and its prefectures, the
    # requests, money, goods, teams and snapshots (the session and menus vary).
    assert tracker_queries(many) == tracker_queries(few) <= 7
    assert len(many) <= 12 + 1  # the page, and the session read by its key


# ----- the teams on a request's page -----


def request_url(help_request, **params):
    url = reverse("disaster_support:request_detail", args=[help_request.pk])
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{url}?{query}"


@pytest.fixture
def small_team_pages(monkeypatch):
    monkeypatch.setattr(request_views, "TEAMS_PAGE_SIZE", 3)


def test_request_page_shows_one_page_of_teams_under_their_offers(
    client, office_staff, help_request, chiyoda, minato, small_team_pages
):
    add_teams(help_request, chiyoda, 2)
    add_teams(help_request, minato, 3)
    client.force_login(office_staff)
    response = client.get(request_url(help_request))
    offers = response.context["offers"]
    assert [[team.name for team in offer.page_teams] for offer in offers] == [
        ["第1班", "第2班"],
        ["第1班"],
    ]
    assert response.context["teams"].paginator.num_pages == 2
    second = client.get(request_url(help_request, page=2)).context["offers"]
    assert [[team.name for team in offer.page_teams] for offer in second] == [
        [],
        ["第2班", "第3班"],
    ]
    assert (
        "ほかのページに2班あります。"
        in client.get(request_url(help_request, page=2)).content.decode()
    )


def tracker_queries(captured):
    return sum("disaster_support_" in query["sql"] for query in captured)


def test_request_page_queries_do_not_grow_with_teams(
    client, office_staff, help_request, chiyoda, minato
):
    add_teams(help_request, chiyoda, 1)
    client.force_login(office_staff)
    client.get(request_url(help_request))
    with CaptureQueriesContext(connection) as few:
        client.get(request_url(help_request))
    add_teams(help_request, minato, 8)
    with CaptureQueriesContext(connection) as many:
        client.get(request_url(help_request))
    # The tracker's own seven queries: the disaster and its prefectures, the
    # requests, money, goods, teams and snapshots (the session and menus vary).
    assert tracker_queries(many) == tracker_queries(few) <= 7
