import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disaster_support import services
from disaster_support.models import ChangeLog
from members.models import MembershipStatus, Organisation
from tests import factories


def history_url(disaster):
    return reverse("disaster_support:change_history", args=[disaster.pk])


@pytest.fixture
def teams(help_request, chiyoda, minato, chiyoda_staff, minato_staff):
    chiyoda_offer = factories.make_offer(
        request=help_request, sender=chiyoda, by=chiyoda_staff
    )
    minato_offer = factories.make_offer(
        request=help_request, sender=minato, by=minato_staff
    )
    return (
        factories.make_dispatch(offer=chiyoda_offer, sender=chiyoda, by=chiyoda_staff),
        factories.make_dispatch(offer=minato_offer, sender=minato, by=minato_staff),
    )


def _changes(response):
    return list(response.context["page_obj"])


def test_office_sees_who_when_what_old_and_new(client, office_staff, disaster, teams):
    chiyoda_team, _minato_team = teams
    services.dispatch_update(dispatch=chiyoda_team, actor=office_staff, name="第2班")
    client.force_login(office_staff)
    response = client.get(history_url(disaster))
    assert response.status_code == 200
    text = response.content.decode()
    assert "第1班" in text and "第2班" in text
    assert office_staff.display_name in text
    changes = response.context["page_obj"].paginator.object_list
    # The disaster's own creation and the request are the office's to see.
    assert {change.content_type.model for change in changes} >= {
        "disaster",
        "helprequest",
        "offer",
        "dispatch",
        "seat",
    }


def test_a_ward_sees_only_its_own_rows(client, chiyoda_staff, disaster, teams):
    chiyoda_team, _minato_team = teams
    client.force_login(chiyoda_staff)
    changes = _changes(client.get(history_url(disaster)))
    assert changes
    assert {change.changed_by for change in changes} == {chiyoda_staff}
    dispatch_ids = {
        change.object_id
        for change in changes
        if change.content_type.model == "dispatch"
    }
    assert dispatch_ids == {chiyoda_team.pk}


def test_other_disasters_are_left_out(client, office_staff, disaster, ishikawa):
    factories.make_disaster(prefecture=ishikawa)
    client.force_login(office_staff)
    changes = _changes(client.get(history_url(disaster)))
    assert {change.object_id for change in changes} == {disaster.pk}


def test_a_member_city_that_sent_a_team_sees_only_its_own_rows(
    client, disaster, help_request, teams, ishikawa
):
    kanazawa = factories.make_organisation(name="金沢市", prefecture=ishikawa)
    staff = factories.make_user(organisation=kanazawa, email="kanazawa@example.jp")
    offer = factories.make_offer(request=help_request, sender=kanazawa, by=staff)
    team = factories.make_dispatch(offer=offer, sender=kanazawa, by=staff)
    client.force_login(staff)
    changes = _changes(client.get(history_url(disaster)))
    assert {change.changed_by for change in changes} == {staff}
    assert {
        change.object_id
        for change in changes
        if change.content_type.model == "dispatch"
    } == {team.pk}


def test_a_member_without_rows_sees_an_empty_history(client, member, disaster, teams):
    client.force_login(member)
    response = client.get(history_url(disaster))
    assert response.status_code == 200
    assert _changes(response) == []


def test_a_suspended_member_cannot_see_the_history(client, member, disaster):
    Organisation.objects.filter(pk=member.organisation_id).update(
        membership_status=MembershipStatus.SUSPENDED
    )
    client.force_login(member)
    assert client.get(history_url(disaster)).status_code in (302, 403)


def test_history_is_paginated(client, office_staff, disaster, help_request):
    for number in range(60):
        services.request_update(
            help_request=help_request, actor=office_staff, people_requested=number + 7
        )
    client.force_login(office_staff)
    response = client.get(history_url(disaster))
    assert len(_changes(response)) == 50
    assert response.context["page_obj"].paginator.count == (ChangeLog.objects.count())


def test_query_count_does_not_grow_with_rows(
    client, office_staff, disaster, teams, uncached
):
    client.force_login(office_staff)
    client.get(history_url(disaster))  # warm the content-type cache

    def queries():
        with CaptureQueriesContext(connection) as captured:
            client.get(history_url(disaster))
        return len(captured)

    few = queries()
    help_request = teams[0].offer.request
    for number in range(20):
        services.request_update(
            help_request=help_request, actor=office_staff, people_requested=number + 7
        )
    # Names of referred rows take one query per kind of row on the page, so
    # a page of request edits alone may take fewer; never more.
    assert queries() <= few
