import csv
import datetime
import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from boards.models import Attendee, RegistrationSettings
from boards.services import moderation
from members import permissions
from tests.factories import (
    make_event,
    make_organisation,
    make_user,
    open_registration,
    sign_up,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False


@pytest.fixture
def organiser():
    return make_user(email="organiser@example.jp")


@pytest.fixture
def event(organiser):
    event = make_event(author=organiser, title="全国連携フェア")
    open_registration(event=event, capacity=2)
    return event


@pytest.fixture
def guest():
    """Staff of another member organisation."""
    return make_user(email="guest@example.jp", display_name="来場 花子")


@pytest.fixture
def ward_staff_user():
    return make_user(role=permissions.WARD_STAFF, email="ward@example.jp")


def login(client, user):
    client.force_login(user)
    return client


def url(name, *args):
    return reverse(f"boards:{name}", args=args)


# ----- the section on the event's page -----


def test_event_page_shows_seats_and_the_form(client, event, guest):
    response = login(client, guest).get(url("thread", event.thread_id))
    assert response.status_code == 200
    assert response.context["attendee_form"] is not None
    assert response.context["registration_free"] == 2
    assert "参加申込" in response.content.decode()


def test_event_page_lists_only_the_own_organisations_attendees(
    client, event, guest, organiser
):
    sign_up(event=event, actor=guest, name="来場 花子")
    sign_up(event=event, actor=organiser, name="主催 太郎")
    response = login(client, guest).get(url("thread", event.thread_id))
    assert [a.name for a in response.context["own_attendees"]] == ["来場 花子"]
    assert "主催 太郎" not in response.content.decode()


def test_event_page_shows_the_closed_message_after_the_deadline(
    client, organiser, guest
):
    event = make_event(author=organiser)
    open_registration(
        event=event,
        application_deadline=timezone.localdate() - datetime.timedelta(days=1),
    )
    response = login(client, guest).get(url("thread", event.thread_id))
    assert response.context["attendee_form"] is None
    assert "申込締切" in response.context["registration_closed"]
    assert "申込は受け付けていません" in response.content.decode()


def test_the_organiser_sees_the_links_to_manage(client, event, organiser):
    response = login(client, organiser).get(url("thread", event.thread_id))
    assert response.context["registration_can_manage"] is True
    assert url("attendee_list", event.thread_id) in response.content.decode()


def test_others_do_not_see_the_links_to_manage(client, event, guest):
    response = login(client, guest).get(url("thread", event.thread_id))
    assert response.context["registration_can_manage"] is False
    assert url("attendee_list", event.thread_id) not in response.content.decode()


def test_an_event_without_registration_shows_no_section_to_members(
    client, organiser, guest
):
    event = make_event(author=organiser)
    response = login(client, guest).get(url("thread", event.thread_id))
    assert 'id="registration"' not in response.content.decode()


def test_the_event_page_query_count_does_not_grow_with_attendees(
    client, event, guest, uncached, django_assert_max_num_queries
):
    login(client, guest)
    sign_up(event=event, actor=guest, name="一")
    with django_assert_max_num_queries(40) as few:
        client.get(url("thread", event.thread_id) + "?page=1")
    for number in range(10):
        sign_up(event=event, actor=guest, name=f"追加{number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("thread", event.thread_id) + "?page=1")


# ----- the organiser's settings -----


def test_settings_page_asks_anonymous_people_to_sign_in(client, event):
    response = client.get(url("registration_settings", event.thread_id))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_settings_page_is_refused_to_another_organisation(client, event, guest):
    response = login(client, guest).get(url("registration_settings", event.thread_id))
    assert response.status_code == 403


def test_settings_page_is_refused_to_ward_staff(client, event, ward_staff_user):
    response = login(client, ward_staff_user).post(
        url("registration_settings", event.thread_id),
        {"is_open": "on", "capacity": "99", "modes": "both"},
    )
    assert response.status_code == 403
    assert RegistrationSettings.objects.get(event=event).capacity == 2


def test_settings_of_a_thread_that_is_no_event_is_404(client, organiser, make_thread):
    thread = make_thread(author=organiser)
    response = login(client, organiser).get(url("registration_settings", thread.pk))
    assert response.status_code == 404


def test_the_organiser_saves_the_settings(client, organiser):
    event = make_event(author=organiser)
    response = login(client, organiser).post(
        url("registration_settings", event.thread_id),
        {
            "is_open": "on",
            "capacity": "25",
            "modes": "on_site",
            "application_deadline": event.starts_on.isoformat(),
        },
    )
    assert response.status_code == 302
    settings = RegistrationSettings.objects.get(event=event)
    assert (settings.capacity, settings.modes) == (25, "on_site")
    event.refresh_from_db()
    assert event.application_deadline == event.starts_on


def test_the_office_may_save_the_settings(client, organiser, office_staff):
    event = make_event(author=organiser)
    response = login(client, office_staff).post(
        url("registration_settings", event.thread_id),
        {"is_open": "on", "capacity": "5", "modes": "both"},
    )
    assert response.status_code == 302
    assert RegistrationSettings.objects.filter(event=event).exists()


def test_settings_of_a_hidden_event_are_404_for_the_organiser(
    client, event, organiser, office_staff
):
    moderation.thread_hide(thread=event.thread, actor=office_staff)
    response = login(client, organiser).get(
        url("registration_settings", event.thread_id)
    )
    assert response.status_code == 404


# ----- signing up -----


def test_sign_up_asks_anonymous_people_to_sign_in(client, event):
    response = client.post(
        url("attendee_add", event.thread_id),
        {"name": "一", "attendance": "on_site"},
    )
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not Attendee.objects.exists()


def test_a_member_signs_a_colleague_up(client, event, guest):
    response = login(client, guest).post(
        url("attendee_add", event.thread_id),
        {"name": "来場 次郎", "department": "企画課", "attendance": "online"},
        follow=True,
    )
    attendee = Attendee.objects.get()
    assert (attendee.name, attendee.organisation, attendee.attendance) == (
        "来場 次郎",
        guest.organisation,
        "online",
    )
    assert "来場 次郎さんの参加を申し込みました。" in response.content.decode()


def test_a_full_event_says_the_attendee_waits(client, event, guest):
    login(client, guest)
    for name in ["一", "二"]:
        sign_up(event=event, actor=guest, name=name)
    response = client.post(
        url("attendee_add", event.thread_id),
        {"name": "三", "attendance": "on_site"},
        follow=True,
    )
    assert Attendee.objects.get(name="三").status == "waiting"
    assert "キャンセル待ちになりました" in response.content.decode()


def test_sign_up_after_the_deadline_says_so_and_saves_nothing(client, organiser, guest):
    event = make_event(author=organiser)
    open_registration(
        event=event,
        application_deadline=timezone.localdate() - datetime.timedelta(days=1),
    )
    response = login(client, guest).post(
        url("attendee_add", event.thread_id),
        {"name": "一", "attendance": "on_site"},
        follow=True,
    )
    assert "申込締切" in response.content.decode()
    assert not Attendee.objects.exists()


def test_an_invalid_sign_up_says_why_and_saves_nothing(client, event, guest):
    response = login(client, guest).post(
        url("attendee_add", event.thread_id),
        {"name": "", "attendance": "on_site"},
        follow=True,
    )
    assert "参加者の氏名を入力してください。" in response.content.decode()
    assert not Attendee.objects.exists()


def test_a_suspended_organisation_is_refused(client, event):
    suspended = make_user(organisation=make_organisation(membership_status="suspended"))
    response = login(client, suspended).post(
        url("attendee_add", event.thread_id), {"name": "一", "attendance": "on_site"}
    )
    assert response.status_code == 403
    assert not Attendee.objects.exists()


def test_sign_up_for_an_event_without_registration_is_refused(client, organiser, guest):
    event = make_event(author=organiser)
    response = login(client, guest).post(
        url("attendee_add", event.thread_id), {"name": "一", "attendance": "on_site"}
    )
    assert response.status_code == 403


def test_sign_up_is_post_only(client, event, guest):
    response = login(client, guest).get(url("attendee_add", event.thread_id))
    assert response.status_code == 405


# ----- cancelling -----


def test_cancel_asks_anonymous_people_to_sign_in(client, event, guest):
    attendee = sign_up(event=event, actor=guest, name="一")
    response = client.post(url("attendee_cancel", attendee.pk))
    assert response.status_code == 302
    attendee.refresh_from_db()
    assert attendee.status == "confirmed"


def test_own_organisation_cancels_and_the_waiting_list_moves_up(
    client, event, guest, organiser, django_capture_on_commit_callbacks
):
    first = sign_up(event=event, actor=guest, name="一")
    sign_up(event=event, actor=guest, name="二")
    waiting = sign_up(event=event, actor=organiser, name="三")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = login(client, guest).post(url("attendee_cancel", first.pk))
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"
    assert [m.to for m in mail.outbox] == [[organiser.email]]


def test_another_organisation_cannot_cancel(client, event, guest):
    stranger = make_user()
    attendee = sign_up(event=event, actor=guest, name="一")
    response = login(client, stranger).post(url("attendee_cancel", attendee.pk))
    assert response.status_code == 404
    attendee.refresh_from_db()
    assert attendee.status == "confirmed"


def test_ward_staff_of_another_ward_cannot_cancel(
    client, event, guest, ward_staff_user
):
    attendee = sign_up(event=event, actor=guest, name="一")
    response = login(client, ward_staff_user).post(url("attendee_cancel", attendee.pk))
    assert response.status_code == 404


def test_the_organiser_cancels_from_the_list(client, event, guest, organiser):
    attendee = sign_up(event=event, actor=guest, name="一")
    response = login(client, organiser).post(
        url("attendee_cancel", attendee.pk), {"next": "list"}
    )
    assert response["Location"] == url("attendee_list", event.thread_id)
    attendee.refresh_from_db()
    assert attendee.status == "cancelled"


def test_cancelling_an_unknown_attendee_is_404(client, guest):
    response = login(client, guest).post(url("attendee_cancel", 999999))
    assert response.status_code == 404


# ----- the organiser's list and exports -----


def test_attendee_list_asks_anonymous_people_to_sign_in(client, event):
    response = client.get(url("attendee_list", event.thread_id))
    assert response.status_code == 302


def test_attendee_list_is_refused_to_another_organisation(client, event, guest):
    response = login(client, guest).get(url("attendee_list", event.thread_id))
    assert response.status_code == 403


def test_attendee_list_is_refused_to_ward_staff(client, event, ward_staff_user):
    response = login(client, ward_staff_user).get(url("attendee_list", event.thread_id))
    assert response.status_code == 403


def test_attendee_list_shows_every_organisations_attendees(
    client, event, guest, organiser
):
    sign_up(event=event, actor=guest, name="来場 花子")
    sign_up(event=event, actor=organiser, name="主催 太郎")
    response = login(client, organiser).get(url("attendee_list", event.thread_id))
    assert response.status_code == 200
    assert [a.name for a in response.context["attendees"]] == ["来場 花子", "主催 太郎"]


def test_attendee_list_query_count_is_flat(
    client, event, organiser, uncached, django_assert_max_num_queries
):
    login(client, organiser)
    people = [make_user() for _ in range(3)]
    sign_up(event=event, actor=people[0], name="一")
    with django_assert_max_num_queries(30) as few:
        client.get(url("attendee_list", event.thread_id))
    for number in range(12):
        sign_up(event=event, actor=people[number % 3], name=f"追加{number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("attendee_list", event.thread_id))


def test_csv_export_is_utf8_with_bom_and_has_the_rows(client, event, guest, organiser):
    sign_up(event=event, actor=guest, name="=HYPERLINK(1)", attendance="online")
    response = login(client, organiser).get(
        url("attendee_export", event.thread_id, "csv")
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "団体",
        "都道府県",
        "氏名",
        "所属",
        "参加方法",
        "状況",
        "申込日時",
    ]
    assert rows[1][:6] == [
        guest.organisation.full_name,
        "",
        "'=HYPERLINK(1)",
        "観光課",
        "オンライン",
        "参加確定",
    ]


def test_xlsx_export_has_the_header_and_rows(client, event, guest, organiser):
    sign_up(event=event, actor=guest, name="来場 花子")
    response = login(client, organiser).get(
        url("attendee_export", event.thread_id, "xlsx")
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("団体", "都道府県", "氏名")
    assert values[1][2] == "来場 花子"
    assert len(values) == 2


def test_export_is_refused_to_another_organisation(client, event, guest):
    response = login(client, guest).get(url("attendee_export", event.thread_id, "csv"))
    assert response.status_code == 403


def test_export_asks_anonymous_people_to_sign_in(client, event):
    response = client.get(url("attendee_export", event.thread_id, "xlsx"))
    assert response.status_code == 302


def test_export_in_an_unknown_format_is_404(client, event, organiser):
    response = login(client, organiser).get(
        url("attendee_export", event.thread_id, "pdf")
    )
    assert response.status_code == 404
