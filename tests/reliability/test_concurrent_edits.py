"""Two people edit the same dispatch or request: the second is told.

Both open the edit form; the first saves; the second's save is refused with
a message, and what the first saved stays as it is.
"""

import pytest
from django.urls import reverse

from disaster_support import services
from disaster_support.models import ChangeLog, Dispatch, HelpRequest, Seat
from members import permissions
from members.common.versioning import StaleEdit
from members.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db

STALE = str(StaleEdit().message)


@pytest.fixture(autouse=True)
def _no_staff_mfa(settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False


@pytest.fixture
def chiyoda():
    return factories.make_organisation(
        name="千代田区", kind=Organisation.Kind.SPECIAL_WARD
    )


@pytest.fixture
def help_request():
    return factories.make_request(disaster=factories.make_disaster())


@pytest.fixture
def team(help_request, chiyoda):
    offer = factories.make_offer(request=help_request, sender=chiyoda)
    return factories.make_dispatch(offer=offer, sender=chiyoda, seats=2)


@pytest.fixture
def ward_client(client, chiyoda):
    client.force_login(
        factories.make_user(
            email="chiyoda@example.jp",
            organisation=chiyoda,
            role=permissions.WARD_STAFF,
        )
    )
    return client


@pytest.fixture
def office_client(client):
    organisation = factories.make_organisation(
        name="公益財団法人特別区協議会", kind="body"
    )
    office = factories.make_user(
        email="office@example.jp",
        organisation=organisation,
        role=permissions.OFFICE_STAFF,
    )
    client.force_login(office)
    return client


def edit_url(dispatch):
    return reverse("disaster_support:dispatch_update", args=[dispatch.pk])


def opened_form(client, dispatch):
    """What the edit form sends back unchanged, as one person opened it."""
    response = client.get(edit_url(dispatch))
    form = response.context["form"]
    formset = response.context["seat_formset"]
    data = {name: form[name].value() for name in form.fields}
    for flag in ("travel_days_at_start", "travel_days_at_end"):
        data[flag] = "on" if data.pop(flag) else ""
    data.update(
        {
            "seats-TOTAL_FORMS": str(len(formset.forms)),
            "seats-INITIAL_FORMS": str(formset.initial_form_count()),
        }
    )
    for number, seat_form in enumerate(formset.forms):
        for name in ("seat", "job_type", "person_name"):
            data[f"seats-{number}-{name}"] = seat_form.initial.get(name) or ""
    return data


def test_the_second_save_of_a_dispatch_is_refused_with_a_message(ward_client, team):
    first = opened_form(ward_client, team)
    second = opened_form(ward_client, team)
    first["name"] = "第2班"
    assert ward_client.post(edit_url(team), first).status_code == 302
    second["status"] = Dispatch.Status.CANCELLED
    response = ward_client.post(edit_url(team), second)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [STALE]
    team.refresh_from_db()
    assert (team.name, team.status) == ("第2班", Dispatch.Status.PLANNED)


def test_a_refused_dispatch_edit_changes_no_seat_and_logs_nothing(ward_client, team):
    first = opened_form(ward_client, team)
    second = opened_form(ward_client, team)
    first["seats-0-person_name"] = "特別 花子"
    ward_client.post(edit_url(team), first)
    logged = ChangeLog.objects.count()
    second["seats-1-person_name"] = "特別 次郎"
    second["seats-2-job_type"] = Seat.JobType.CIVIL_ENGINEERING
    ward_client.post(edit_url(team), second)
    assert list(team.seats.values_list("job_type", "person_name")) == [
        (Seat.JobType.CLERICAL, "特別 花子"),
        (Seat.JobType.CLERICAL, "職員1"),
    ]
    assert ChangeLog.objects.count() == logged


def test_saving_again_after_the_refusal_overwrites_knowingly(ward_client, team):
    first = opened_form(ward_client, team)
    second = opened_form(ward_client, team)
    first["name"] = "第2班"
    ward_client.post(edit_url(team), first)
    second["name"] = "第3班"
    refused = ward_client.post(edit_url(team), second)
    again = refused.context["form"].data.copy()
    assert ward_client.post(edit_url(team), again).status_code == 302
    team.refresh_from_db()
    assert team.name == "第3班"


def test_an_admin_edit_of_a_seat_makes_an_open_form_stale(ward_client, team):
    opened = opened_form(ward_client, team)
    seat = team.seats.first()
    seat.person_name = "事務局が修正"
    services.admin_save(obj=seat, actor=None)
    response = ward_client.post(edit_url(team), opened)
    assert response.context["form"].non_field_errors() == [STALE]
    assert team.seats.first().person_name == "事務局が修正"


def status_url(help_request):
    return reverse("disaster_support:request_status", args=[help_request.pk])


def test_the_second_status_change_of_a_request_is_refused_with_a_message(
    office_client, help_request
):
    detail = reverse("disaster_support:request_detail", args=[help_request.pk])
    version = office_client.get(detail).context["status_form"]["version"].value()
    office_client.post(
        status_url(help_request),
        {"status": HelpRequest.Status.ACCEPTED, "version": version},
        follow=True,
    )
    response = office_client.post(
        status_url(help_request),
        {"status": HelpRequest.Status.DECLINED, "version": version},
        follow=True,
    )
    assert [str(message) for message in response.context["messages"]] == [STALE]
    help_request.refresh_from_db()
    assert help_request.status == HelpRequest.Status.ACCEPTED
