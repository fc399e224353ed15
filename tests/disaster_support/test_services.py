import datetime

import pytest
from django.core.exceptions import ValidationError

from disaster_support import services
from disaster_support.models import (
    ChangeLog,
    Disaster,
    Dispatch,
    HelpRequest,
    Offer,
    Seat,
)
from tests import factories

D = datetime.date


def codes(error):
    """The codes of a ValidationError, whether it has fields or not."""
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def test_disaster_create_records_history(office_staff, ishikawa):
    disaster = factories.make_disaster(prefecture=ishikawa, by=office_staff)
    assert list(disaster.prefectures.all()) == [ishikawa]
    logged = ChangeLog.objects.filter(object_id=disaster.pk, changed_by=office_staff)
    assert logged.filter(action="create", field="name").get().new_value == (
        "令和6年能登半島地震"
    )
    assert logged.filter(field="prefectures").exists()


def test_disaster_close(disaster, office_staff):
    services.disaster_close(disaster=disaster, actor=office_staff)
    disaster.refresh_from_db()
    assert disaster.status == Disaster.Status.CLOSED
    change = ChangeLog.objects.get(field="status", action="update")
    assert (change.old_value, change.new_value) == ("active", "closed")


def test_request_create(disaster, nanao, nanao_staff):
    help_request = factories.make_request(
        disaster=disaster, municipality=nanao, by=nanao_staff
    )
    assert help_request.entered_by == nanao_staff
    assert help_request.status == HelpRequest.Status.RECEIVED


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"start_on": D(2024, 2, 1), "end_on": D(2024, 1, 31)},
            "end_on",
            "The end date must be on or after the start date.",
        ),
        ({"people_requested": 0}, "people_requested", "Enter one person or more."),
        (
            {"place_kind": HelpRequest.PlaceKind.REMOTE},
            "place_note",
            "Say where remote work is done.",
        ),
    ],
)
def test_request_bad_input_saves_nothing(disaster, nanao, fields, field, message):
    with pytest.raises(ValidationError) as raised:
        factories.make_request(disaster=disaster, municipality=nanao, **fields)
    assert field in raised.value.message_dict
    assert not HelpRequest.objects.exists()
    assert not ChangeLog.objects.filter(content_type__model="helprequest").exists()


def test_request_for_closed_disaster_is_refused(disaster, nanao, office_staff):
    services.disaster_close(disaster=disaster, actor=office_staff)
    with pytest.raises(ValidationError) as raised:
        factories.make_request(disaster=disaster, municipality=nanao)
    assert raised.value.code == "disaster_closed"


def test_request_update_logs_old_and_new(help_request, office_staff):
    services.request_update(
        help_request=help_request, actor=office_staff, status="coordinating"
    )
    change = ChangeLog.objects.get(action="update", field="status")
    assert (change.old_value, change.new_value) == ("received", "coordinating")


def test_offer_joint_and_ward(help_request, chiyoda):
    joint = factories.make_offer(request=help_request)
    own = factories.make_offer(request=help_request, sender=chiyoda)
    assert joint.is_joint and joint.sender is None
    assert own.sender == chiyoda


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"is_joint": True, "people": 0}, "people"),
        ({"is_joint": True, "people": -2}, "people"),
        ({"is_joint": False, "people": 3}, "sender"),
    ],
)
def test_offer_bad_input(help_request, fields, field):
    with pytest.raises(ValidationError) as raised:
        services.offer_create(
            request=help_request, actor=None, sender=None, basis="joint", **fields
        )
    assert field in raised.value.message_dict
    assert not Offer.objects.exists()


def test_dispatch_create_with_seats(help_request, chiyoda, office_staff):
    offer = factories.make_offer(request=help_request)
    dispatch = factories.make_dispatch(
        offer=offer, sender=chiyoda, seats=3, by=office_staff
    )
    assert dispatch.seats.count() == 3
    assert dispatch.days == 5
    assert (
        ChangeLog.objects.filter(
            content_type__model="seat", action="create", field="job_type"
        ).count()
        == 3
    )


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"start_on": D(2024, 1, 10), "end_on": D(2024, 1, 9)}, "end_before_start"),
        ({"seats": 0}, "no_people"),
    ],
)
def test_dispatch_bad_input_saves_nothing(help_request, chiyoda, fields, code):
    offer = factories.make_offer(request=help_request)
    with pytest.raises(ValidationError) as raised:
        factories.make_dispatch(offer=offer, sender=chiyoda, **fields)
    assert code in codes(raised.value)
    assert not Dispatch.objects.exists()
    assert not Seat.objects.exists()


def test_dispatch_for_closed_disaster_is_refused(
    disaster, help_request, chiyoda, office_staff
):
    offer = factories.make_offer(request=help_request)
    services.disaster_close(disaster=disaster, actor=office_staff)
    with pytest.raises(ValidationError) as raised:
        factories.make_dispatch(offer=offer, sender=chiyoda)
    assert codes(raised.value) == {"disaster_closed"}
    assert not Dispatch.objects.exists()


def test_ward_offer_is_carried_out_by_that_ward(help_request, chiyoda, minato):
    offer = factories.make_offer(request=help_request, sender=chiyoda)
    with pytest.raises(ValidationError) as raised:
        factories.make_dispatch(offer=offer, sender=minato)
    assert raised.value.error_dict["sender"][0].code == "other_sender"
    assert not Dispatch.objects.exists()


def test_dispatch_update_and_delete_log(help_request, chiyoda, office_staff):
    offer = factories.make_offer(request=help_request)
    dispatch = factories.make_dispatch(offer=offer, sender=chiyoda, seats=2)
    services.dispatch_update(
        dispatch=dispatch, actor=office_staff, status=Dispatch.Status.CANCELLED
    )
    assert ChangeLog.objects.filter(
        action="update", field="status", new_value="cancelled"
    ).exists()
    services.dispatch_delete(dispatch=dispatch, actor=office_staff)
    assert not Seat.objects.exists()
    deleted = ChangeLog.objects.filter(action="delete", content_type__model="seat")
    assert set(deleted.values_list("field", flat=True)) == {
        "dispatch",
        "job_type",
        "person_name",
    }
    assert deleted.filter(field="person_name").count() == 2
