"""Editing requests and offers on the site, until they close."""

import pytest
from django.urls import reverse

from disaster_support import services
from disaster_support.models import ChangeLog, HelpRequest, Offer
from tests import factories

pytestmark = pytest.mark.django_db


def request_data(help_request, **extra):
    return {
        "channel": help_request.channel,
        "work_type": help_request.work_type_id,
        "place_kind": "on_site",
        "people_requested": "8",
        "start_on": "2024-01-10",
        "end_on": "2024-03-31",
        "version": help_request.version,
        **extra,
    }


def edit_url(help_request):
    return reverse("disaster_support:request_update", args=[help_request.pk])


def offer_url(offer):
    return reverse("disaster_support:offer_update", args=[offer.pk])


def test_the_requesting_member_edits_its_request(client, nanao_staff, help_request):
    client.force_login(nanao_staff)
    response = client.post(edit_url(help_request), request_data(help_request))
    assert response.status_code == 302
    help_request.refresh_from_db()
    assert help_request.people_requested == 8
    assert ChangeLog.objects.filter(
        object_id=help_request.pk, field="people_requested", new_value="8"
    ).exists()


def test_a_closed_request_cannot_be_edited_by_the_member(
    client, nanao_staff, help_request
):
    services.request_update(
        help_request=help_request,
        actor=None,
        status=HelpRequest.Status.COMPLETED,
    )
    client.force_login(nanao_staff)
    response = client.post(edit_url(help_request), request_data(help_request))
    assert response.status_code == 403
    help_request.refresh_from_db()
    assert help_request.people_requested == 6


def test_the_office_corrects_a_closed_request(client, office_staff, help_request):
    services.request_update(
        help_request=help_request,
        actor=None,
        status=HelpRequest.Status.COMPLETED,
    )
    help_request.refresh_from_db()
    client.force_login(office_staff)
    response = client.post(edit_url(help_request), request_data(help_request))
    assert response.status_code == 302
    help_request.refresh_from_db()
    assert help_request.people_requested == 8


def test_another_member_cannot_edit_a_request(client, member, help_request):
    client.force_login(member)
    assert client.get(edit_url(help_request)).status_code == 403


def test_anonymous_cannot_edit_a_request(client, help_request):
    assert client.get(edit_url(help_request)).status_code == 302


@pytest.mark.parametrize(
    ("extra", "field", "code"),
    [
        ({"people_requested": "0"}, "people_requested", "no_people"),
        ({"end_on": "2024-01-01"}, "end_on", "end_before_start"),
        (
            {"place_kind": "remote", "place_note": ""},
            "place_note",
            "remote_without_place",
        ),
    ],
)
def test_a_bad_request_edit_saves_nothing(
    client, nanao_staff, help_request, extra, field, code
):
    client.force_login(nanao_staff)
    response = client.post(edit_url(help_request), request_data(help_request, **extra))
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    help_request.refresh_from_db()
    assert (help_request.people_requested, help_request.version) == (6, 0)


def test_a_stale_request_edit_is_refused(client, nanao_staff, help_request):
    data = request_data(help_request)
    services.request_update(help_request=help_request, actor=None, people_requested=7)
    client.force_login(nanao_staff)
    response = client.post(edit_url(help_request), data)
    assert response.status_code == 200
    help_request.refresh_from_db()
    assert help_request.people_requested == 7


def test_a_member_edits_its_own_offer(client, member, help_request):
    offer = factories.make_offer(request=help_request, sender=member.organisation)
    client.force_login(member)
    response = client.post(
        offer_url(offer),
        {"basis": "other", "people": "5", "note": "増員", "version": offer.version},
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert (offer.people, offer.note) == (5, "増員")
    assert ChangeLog.objects.filter(
        object_id=offer.pk, field="people", new_value="5"
    ).exists()


def test_an_offer_edit_with_no_people_saves_nothing(client, member, help_request):
    offer = factories.make_offer(request=help_request, sender=member.organisation)
    client.force_login(member)
    response = client.post(
        offer_url(offer), {"basis": "other", "people": "0", "version": offer.version}
    )
    assert response.context["form"].has_error("people", "no_people")
    offer.refresh_from_db()
    assert offer.people == 3


def test_an_offer_of_a_closed_request_cannot_be_edited_by_the_member(
    client, member, help_request
):
    offer = factories.make_offer(request=help_request, sender=member.organisation)
    services.request_update(
        help_request=help_request, actor=None, status=HelpRequest.Status.DECLINED
    )
    client.force_login(member)
    response = client.post(
        offer_url(offer), {"basis": "other", "people": "5", "version": offer.version}
    )
    assert response.status_code == 403
    assert Offer.objects.get().people == 3


def test_another_member_cannot_edit_an_offer(
    client, member, other_member, help_request
):
    offer = factories.make_offer(request=help_request, sender=member.organisation)
    client.force_login(other_member)
    assert client.get(offer_url(offer)).status_code == 403


def test_only_the_office_edits_a_joint_offer(
    client, chiyoda_staff, office_staff, help_request
):
    offer = factories.make_offer(request=help_request)
    client.force_login(chiyoda_staff)
    assert client.get(offer_url(offer)).status_code == 403
    client.force_login(office_staff)
    assert client.get(offer_url(offer)).status_code == 200
