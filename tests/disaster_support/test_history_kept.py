"""The history keeps changes of rows deleted later on their disaster's page,
and shows the rows a change refers to by name."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disaster_support import services
from disaster_support.models import ChangeLog
from tests import factories

pytestmark = pytest.mark.django_db


def history_url(disaster):
    return reverse("disaster_support:change_history", args=[disaster.pk])


def changes(client, disaster):
    response = client.get(history_url(disaster))
    assert response.status_code == 200
    return list(response.context["page_obj"].paginator.object_list)


@pytest.fixture
def chiyoda_team(help_request, chiyoda, chiyoda_staff):
    offer = factories.make_offer(request=help_request, sender=chiyoda, by=chiyoda_staff)
    return factories.make_dispatch(offer=offer, sender=chiyoda, by=chiyoda_staff)


def test_changes_of_a_deleted_team_stay_on_the_office_history(
    client, office_staff, disaster, chiyoda_team
):
    team_pk = chiyoda_team.pk
    services.dispatch_delete(dispatch=chiyoda_team, actor=office_staff)
    client.force_login(office_staff)
    team_changes = [
        change
        for change in changes(client, disaster)
        if change.content_type.model == "dispatch" and change.object_id == team_pk
    ]
    actions = {change.action for change in team_changes}
    assert actions == {ChangeLog.Action.CREATE, ChangeLog.Action.DELETE}


def test_seats_of_a_deleted_team_stay_on_the_history(
    client, office_staff, disaster, chiyoda_team
):
    services.dispatch_delete(dispatch=chiyoda_team, actor=office_staff)
    client.force_login(office_staff)
    deleted_seats = {
        change.object_id
        for change in changes(client, disaster)
        if change.content_type.model == "seat"
        and change.action == ChangeLog.Action.DELETE
    }
    assert len(deleted_seats) == 3


def test_a_ward_keeps_seeing_its_deleted_team(
    client, chiyoda_staff, office_staff, disaster, chiyoda_team
):
    team_pk = chiyoda_team.pk
    services.dispatch_delete(dispatch=chiyoda_team, actor=office_staff)
    client.force_login(chiyoda_staff)
    assert any(
        change.content_type.model == "dispatch"
        and change.object_id == team_pk
        and change.action == ChangeLog.Action.DELETE
        for change in changes(client, disaster)
    )


def test_another_ward_does_not_see_the_deleted_team(
    client, minato_staff, office_staff, disaster, chiyoda_team
):
    services.dispatch_delete(dispatch=chiyoda_team, actor=office_staff)
    client.force_login(minato_staff)
    assert changes(client, disaster) == []


def test_deleted_rows_stay_on_their_own_disaster_only(
    client, office_staff, disaster, chiyoda_team, ishikawa
):
    other = factories.make_disaster(prefecture=ishikawa)
    services.dispatch_delete(dispatch=chiyoda_team, actor=office_staff)
    client.force_login(office_staff)
    assert not any(
        change.content_type.model in ("dispatch", "seat")
        for change in changes(client, other)
    )


def test_references_show_names_not_ids(
    client, office_staff, disaster, help_request, chiyoda_team
):
    client.force_login(office_staff)
    response = client.get(history_url(disaster))
    by_field = {
        (change.content_type.model, change.field): change
        for change in response.context["page_obj"]
    }
    assert by_field[("dispatch", "sender")].new_label == "千代田区"
    assert by_field[("helprequest", "work_type")].new_label == "ごみの収集・運搬等"
    assert by_field[("helprequest", "municipality")].new_label == "石川県七尾市"
    assert "千代田区" in response.text


def test_a_reference_to_a_deleted_row_says_so(
    client, office_staff, disaster, chiyoda_team
):
    offer = chiyoda_team.offer
    offer_pk = offer.pk
    services.admin_delete(obj=offer, actor=office_staff)
    client.force_login(office_staff)
    response = client.get(history_url(disaster))
    labels = [
        change.new_label
        for change in response.context["page_obj"]
        if change.content_type.model == "dispatch"
        and change.field == "offer"
        and change.action == ChangeLog.Action.CREATE
    ]
    assert labels == [f"#{offer_pk} (削除済み)"]


def test_naming_references_takes_no_query_per_change(
    client, office_staff, disaster, help_request, chiyoda, minato
):
    client.force_login(office_staff)
    client.get(history_url(disaster))
    with CaptureQueriesContext(connection) as few:
        client.get(history_url(disaster))
    for ward in (chiyoda, minato, chiyoda, minato):
        offer = factories.make_offer(request=help_request, sender=ward)
        factories.make_dispatch(offer=offer, sender=ward)
    client.get(history_url(disaster))
    with CaptureQueriesContext(connection) as many:
        client.get(history_url(disaster))
    # Offers and teams bring two more kinds of row referred to (offer,
    # ward); past that, the count does not grow with the changes.
    assert len(many) <= len(few) + 2
