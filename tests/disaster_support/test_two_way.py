"""Both ways: any member helps, any municipality (a ward too) is helped."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from disaster_support.models import Dispatch, HelpRequest, Offer, WorkType
from members.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date


def team_data(**extra):
    return {
        "name": "第1班",
        "start_on": "2024-01-20",
        "end_on": "2024-01-24",
        "status": "planned",
        "term": "short",
        "decided_on": "2024-01-15",
        "seats_clerical": "2",
        "seats_nurse": "0",
        "seats_civil": "0",
        "seats_architecture": "0",
        "seats_sanitation": "0",
        "seats_other": "0",
        **extra,
    }


@pytest.fixture
def tokyo(db):
    return factories.make_prefecture(name="東京都")


@pytest.fixture
def setagaya(tokyo):
    return factories.make_organisation(
        name="世田谷区", kind=Organisation.Kind.SPECIAL_WARD, prefecture=tokyo
    )


@pytest.fixture
def setagaya_staff(setagaya):
    return factories.make_user(email="setagaya@example.jp", organisation=setagaya)


@pytest.fixture
def drill(tokyo):
    return factories.make_drill(prefecture=tokyo)


def test_a_ward_hit_files_its_own_request(client, setagaya_staff, drill):
    client.force_login(setagaya_staff)
    response = client.post(
        reverse("disaster_support:request_create", args=[drill.pk]),
        {
            "channel": "agreement",
            "work_type": WorkType.objects.get(name="ごみの収集・運搬等").pk,
            "place_kind": "on_site",
            "people_requested": "4",
            "start_on": "2024-01-10",
            "end_on": "2024-02-10",
        },
    )
    assert response.status_code == 302
    assert HelpRequest.objects.get().municipality == setagaya_staff.organisation


def test_a_member_city_offers_and_sends_a_team_to_a_ward(
    client, member, drill, setagaya
):
    help_request = factories.make_request(disaster=drill, municipality=setagaya)
    client.force_login(member)
    client.post(
        reverse("disaster_support:offer_create", args=[help_request.pk]),
        {"basis": "agreement", "people": "2"},
    )
    offer = Offer.objects.get()
    assert offer.sender == member.organisation
    response = client.post(
        reverse("disaster_support:dispatch_create", args=[offer.pk]), team_data()
    )
    assert response.status_code == 302
    assert Dispatch.objects.get().sender == member.organisation


def test_a_member_cannot_offer_help_to_itself(client, setagaya_staff, drill, setagaya):
    help_request = factories.make_request(disaster=drill, municipality=setagaya)
    client.force_login(setagaya_staff)
    url = reverse("disaster_support:offer_create", args=[help_request.pk])
    assert client.post(url, {"basis": "other", "people": "2"}).status_code == 403
    assert not Offer.objects.exists()


def test_an_offer_to_oneself_is_refused_by_the_service(help_request, nanao):
    with pytest.raises(ValidationError) as raised:
        factories.make_offer(request=help_request, sender=nanao)
    assert raised.value.error_dict["sender"][0].code == "self_help"
    assert not Offer.objects.exists()


def test_a_team_sent_for_another_organisations_offer_is_refused(
    client, member, other_member, help_request
):
    offer = factories.make_offer(request=help_request, sender=member.organisation)
    client.force_login(other_member)
    url = reverse("disaster_support:dispatch_create", args=[offer.pk])
    assert client.post(url, team_data()).status_code == 403
    assert not Dispatch.objects.exists()


def test_the_office_cannot_record_a_team_in_anothers_name(
    help_request, member, other_member
):
    offer = factories.make_offer(request=help_request, sender=member.organisation)
    with pytest.raises(ValidationError) as raised:
        factories.make_dispatch(offer=offer, sender=other_member.organisation)
    assert raised.value.error_dict["sender"][0].code == "other_sender"
    assert not Dispatch.objects.exists()


def test_a_joint_offers_teams_come_from_the_wards(help_request, member):
    offer = factories.make_offer(request=help_request)
    with pytest.raises(ValidationError) as raised:
        factories.make_dispatch(offer=offer, sender=member.organisation)
    assert raised.value.error_dict["sender"][0].code == "joint_not_ward"
    assert not Dispatch.objects.exists()


def test_the_office_offers_for_any_member(client, office_staff, help_request, member):
    client.force_login(office_staff)
    response = client.post(
        reverse("disaster_support:offer_create", args=[help_request.pk]),
        {"sender": member.organisation.pk, "basis": "other", "people": "1"},
    )
    assert response.status_code == 302
    assert Offer.objects.get().sender == member.organisation


def test_the_office_must_choose_an_organisation_or_joint(
    client, office_staff, help_request
):
    client.force_login(office_staff)
    response = client.post(
        reverse("disaster_support:offer_create", args=[help_request.pk]),
        {"basis": "other", "people": "1"},
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("sender", "joint_or_sender")
    assert not Offer.objects.exists()
