import datetime

import pytest

from boards.event_forms import (
    AttendeeForm,
    CalendarFilterForm,
    RegistrationSettingsForm,
)
from boards.models import Category, RegistrationSettings
from tests.factories import make_event, make_prefecture

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(member):
    return make_event(author=member, starts_on=datetime.date(2030, 5, 10))


def settings_form(event, **data):
    values = {
        "is_open": "on",
        "capacity": "30",
        "modes": "both",
        "application_deadline": "2030-05-01",
        **data,
    }
    return RegistrationSettingsForm(
        {k: v for k, v in values.items() if v is not None}, event=event
    )


# ----- the organiser's settings -----


def test_settings_form_accepts_valid_settings(event):
    form = settings_form(event)
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "is_open": True,
        "capacity": 30,
        "modes": "both",
        "application_deadline": datetime.date(2030, 5, 1),
    }


def test_settings_form_may_leave_the_deadline_empty(event):
    form = settings_form(event, application_deadline="")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["application_deadline"] is None


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"capacity": ""}, "capacity", "required"),
        ({"capacity": "0"}, "capacity", "min_value"),
        ({"capacity": "10001"}, "capacity", "max_value"),
        ({"capacity": "三十"}, "capacity", "invalid"),
        ({"modes": "carrier_pigeon"}, "modes", "invalid_choice"),
        ({"modes": ""}, "modes", "required"),
        ({"application_deadline": "2030-05-11"}, "application_deadline", None),
        ({"application_deadline": "not a day"}, "application_deadline", "invalid"),
    ],
)
def test_settings_form_refuses_bad_input(event, data, field, code):
    form = settings_form(event, **data)
    assert not form.is_valid()
    assert field in form.errors
    if code:
        assert form.has_error(field, code)


def test_a_deadline_after_the_event_is_refused_with_its_code(event):
    form = settings_form(event, application_deadline="2030-05-11")
    assert form.has_error("application_deadline", "deadline_after_event")


def test_a_refused_settings_form_saves_nothing(client, member, event):
    client.force_login(member)
    response = client.post(
        f"/boards/t/{event.thread_id}/registration/settings/",
        {"is_open": "on", "capacity": "0", "modes": "both"},
    )
    assert response.status_code == 200
    assert not RegistrationSettings.objects.exists()


# ----- one attendee -----


def registration(modes="both"):
    return RegistrationSettings(capacity=3, modes=modes)


def test_attendee_form_accepts_a_person():
    form = AttendeeForm(
        {"name": "七尾 太郎", "department": "観光交流課", "attendance": "online"},
        registration=registration(),
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "name": "七尾 太郎",
        "department": "観光交流課",
        "attendance": "online",
    }


def test_attendee_form_department_is_optional():
    form = AttendeeForm(
        {"name": "七尾 太郎", "attendance": "on_site"}, registration=registration()
    )
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("data", "modes", "field", "code"),
    [
        ({"name": "", "attendance": "on_site"}, "both", "name", "required"),
        ({"name": "   ", "attendance": "on_site"}, "both", "name", "required"),
        ({"name": "あ" * 101, "attendance": "on_site"}, "both", "name", "max_length"),
        (
            {"name": "一", "department": "あ" * 101, "attendance": "on_site"},
            "both",
            "department",
            "max_length",
        ),
        ({"name": "一"}, "both", "attendance", "required"),
        ({"name": "一", "attendance": "online"}, "on_site", "attendance", None),
        ({"name": "一", "attendance": "by_post"}, "both", "attendance", None),
    ],
)
def test_attendee_form_refuses_bad_input(data, modes, field, code):
    form = AttendeeForm(data, registration=registration(modes))
    assert not form.is_valid()
    assert form.has_error(field, code or "invalid_choice")


def test_attendee_form_offers_only_the_events_modes():
    form = AttendeeForm(registration=registration("online"))
    assert [value for value, _label in form.fields["attendance"].choices] == ["online"]
    assert form.fields["attendance"].initial == "online"


# ----- calendar filters -----


def test_filter_form_reads_month_category_and_prefecture(member):
    ishikawa = make_prefecture()
    form = CalendarFilterForm(
        {"month": "2027-02", "category": "participation", "prefecture": ishikawa.pk},
        user=member,
    )
    assert form.year_month() == (2027, 2)
    assert form.filters() == {
        "category": Category.objects.get(slug="participation"),
        "prefecture": ishikawa,
    }


@pytest.mark.parametrize("month", ["2027-13", "2027-00", "1999-01", "27-2", "x"])
def test_filter_form_falls_back_to_this_month_for_a_bad_month(month, member):
    from django.utils import timezone

    today = timezone.localdate()
    assert CalendarFilterForm({"month": month}, user=member).year_month() == (
        today.year,
        today.month,
    )


def test_filter_form_ignores_an_unknown_category(member):
    form = CalendarFilterForm({"category": "no-such-category"}, user=member)
    assert form.filters() == {"category": None, "prefecture": None}
