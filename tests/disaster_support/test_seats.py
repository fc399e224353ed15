"""Job types and names of the people in a team, edited on the site."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from disaster_support import exports
from disaster_support.models import ChangeLog, Seat
from tests import factories

NAME = "特別 太郎"


@pytest.fixture
def team(help_request, chiyoda):
    offer = factories.make_offer(request=help_request, sender=chiyoda)
    return factories.make_dispatch(offer=offer, sender=chiyoda, seats=2)


def edit_url(dispatch):
    return reverse("disaster_support:dispatch_update", args=[dispatch.pk])


def post_data(dispatch, rows):
    """The edit form with its fields unchanged and `rows` as the seat rows:
    (seat, job type, name, delete)."""
    data = {
        "name": dispatch.name,
        "start_on": dispatch.start_on.isoformat(),
        "end_on": dispatch.end_on.isoformat(),
        "travel_days_at_start": "on",
        "travel_days_at_end": "on",
        "status": dispatch.status,
        "term": dispatch.term,
        "decided_on": dispatch.decided_on.isoformat(),
        "version": dispatch.version,
        "seats-TOTAL_FORMS": str(len(rows)),
        "seats-INITIAL_FORMS": str(sum(1 for row in rows if row[0])),
    }
    for number, (seat, job_type, name, delete) in enumerate(rows):
        data[f"seats-{number}-seat"] = seat or ""
        data[f"seats-{number}-job_type"] = job_type
        data[f"seats-{number}-person_name"] = name
        if delete:
            data[f"seats-{number}-DELETE"] = "on"
    return data


def test_the_edit_form_shows_one_row_per_seat_and_a_blank_one(
    client, chiyoda_staff, team
):
    client.force_login(chiyoda_staff)
    response = client.get(edit_url(team))
    formset = response.context["seat_formset"]
    assert [form.initial.get("person_name") for form in formset] == [
        "職員0",
        "職員1",
        None,
    ]


def test_the_ward_renames_adds_and_removes_people_with_a_change_log(
    client, chiyoda_staff, team
):
    first, second = team.seats.all()
    client.force_login(chiyoda_staff)
    response = client.post(
        edit_url(team),
        post_data(
            team,
            [
                (first.pk, Seat.JobType.PUBLIC_HEALTH_NURSE, NAME, False),
                (second.pk, Seat.JobType.CLERICAL, "職員1", True),
                (None, Seat.JobType.CIVIL_ENGINEERING, "", False),
            ],
        ),
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.job_type, first.person_name) == (
        Seat.JobType.PUBLIC_HEALTH_NURSE,
        NAME,
    )
    assert sorted(team.seats.values_list("job_type", flat=True)) == [
        Seat.JobType.CIVIL_ENGINEERING,
        Seat.JobType.PUBLIC_HEALTH_NURSE,
    ]
    changes = ChangeLog.objects.filter(changed_by=chiyoda_staff)
    assert changes.filter(
        object_id=first.pk, field="person_name", new_value=NAME
    ).exists()
    assert changes.filter(object_id=second.pk, action="delete").exists()
    assert changes.filter(action="create", field="job_type", new_value="civil").exists()


def test_a_blank_row_is_not_a_person(client, office_staff, team):
    first, second = team.seats.all()
    client.force_login(office_staff)
    client.post(
        edit_url(team),
        post_data(
            team,
            [
                (first.pk, "clerical", "職員0", False),
                (second.pk, "clerical", "職員1", False),
                (None, "", "", False),
            ],
        ),
    )
    assert team.seats.count() == 2


def test_removing_everyone_is_refused_and_nothing_is_saved(client, chiyoda_staff, team):
    first, second = team.seats.all()
    client.force_login(chiyoda_staff)
    data = post_data(
        team,
        [
            (first.pk, "clerical", NAME, True),
            (second.pk, "clerical", "職員1", True),
        ],
    )
    data["name"] = "第9班"
    response = client.post(edit_url(team), data)
    assert response.status_code == 200
    assert response.context["seat_formset"].non_form_errors().as_data()[0].code == (
        "no_people"
    )
    team.refresh_from_db()
    assert team.name == "第1班" and team.seats.count() == 2
    assert not ChangeLog.objects.filter(changed_by=chiyoda_staff).exists()


def test_a_name_without_a_job_type_is_refused(client, chiyoda_staff, team):
    first, second = team.seats.all()
    client.force_login(chiyoda_staff)
    response = client.post(
        edit_url(team),
        post_data(
            team,
            [
                (first.pk, "clerical", "職員0", False),
                (second.pk, "clerical", "職員1", False),
                (None, "", NAME, False),
            ],
        ),
    )
    assert response.status_code == 200
    assert team.seats.count() == 2


def test_another_teams_seat_cannot_be_edited(
    client, chiyoda_staff, help_request, chiyoda, team
):
    other = factories.make_dispatch(
        offer=factories.make_offer(request=help_request, sender=chiyoda),
        sender=chiyoda,
        seats=1,
    )
    stranger = other.seats.get()
    client.force_login(chiyoda_staff)
    response = client.post(
        edit_url(team), post_data(team, [(stranger.pk, "clerical", NAME, False)])
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    stranger.refresh_from_db()
    assert stranger.person_name == "職員0" and team.seats.count() == 2


def test_anonymous_is_sent_to_login(client, team):
    response = client.get(edit_url(team))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["member", "minato_staff"])
def test_a_member_or_another_ward_cannot_edit_the_seats(request, client, who, team):
    client.force_login(request.getfixturevalue(who))
    first = team.seats.first()
    assert client.get(edit_url(team)).status_code == 403
    response = client.post(
        edit_url(team), post_data(team, [(first.pk, "clerical", NAME, False)])
    )
    assert response.status_code == 403
    assert team.seats.count() == 2 and not team.seats.filter(person_name=NAME)


@pytest.mark.parametrize("who", ["member", "minato_staff"])
def test_names_are_on_no_page_or_export_for_others(
    request, client, who, team, help_request, chiyoda_staff
):
    team.seats.update(person_name=NAME)
    disaster = help_request.disaster
    as_of = "?as_of=2024-01-12"
    # The dispatching ward sees them, so the checks below are not vacuous.
    client.force_login(chiyoda_staff)
    page = reverse("disaster_support:request_detail", args=[help_request.pk])
    assert NAME in client.get(page).content.decode()

    client.force_login(request.getfixturevalue(who))
    pages = [
        reverse("disaster_support:disaster_detail", args=[disaster.pk]) + as_of,
        reverse("disaster_support:request_detail", args=[help_request.pk]),
        reverse("disaster_support:change_history", args=[disaster.pk]),
        edit_url(team),
    ]
    for url in pages:
        assert NAME not in client.get(url).content.decode(), url
    for table in exports.TABLES:
        url = reverse("disaster_support:export", args=[disaster.pk, table, "csv"])
        raw = client.get(url + as_of).content.decode("utf-8-sig")
        assert NAME not in raw, table
        url = reverse("disaster_support:export", args=[disaster.pk, table, "xlsx"])
        sheet = load_workbook(io.BytesIO(client.get(url + as_of).content)).active
        assert not any(
            NAME in str(value)
            for row in sheet.iter_rows(values_only=True)
            for value in row
        ), table
