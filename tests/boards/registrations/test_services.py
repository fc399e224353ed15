import datetime
import threading

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from boards.models import Attendee, EventDetails, RegistrationSettings
from boards.services import moderation, registrations
from boards.views.registrations import attendee_rows
from tests.factories import (
    make_event,
    make_organisation,
    make_prefecture,
    make_user,
    open_registration,
    sign_up,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def organiser():
    return make_user(email="organiser@example.jp", display_name="主催 一郎")


@pytest.fixture
def event(organiser):
    event = make_event(author=organiser)
    open_registration(event=event, capacity=2)
    return event


@pytest.fixture
def nanao():
    ishikawa = make_prefecture("石川県")
    organisation = make_organisation(name="七尾市", prefecture=ishikawa)
    return make_user(organisation=organisation, email="nanao@example.jp")


@pytest.fixture
def kanazawa():
    ishikawa = make_prefecture("石川県")
    organisation = make_organisation(name="金沢市", prefecture=ishikawa)
    return make_user(organisation=organisation, email="kanazawa@example.jp")


def statuses(event):
    return list(
        Attendee.objects.filter(event=event)
        .order_by("pk")
        .values_list("name", "status")
    )


# ----- settings -----


def test_organiser_opens_registration_with_capacity_and_modes(organiser):
    event = make_event(author=organiser)
    settings = registrations.registration_configure(
        event=event,
        actor=organiser,
        is_open=True,
        capacity=40,
        modes="online",
        application_deadline=event.starts_on - datetime.timedelta(days=7),
    )
    settings.refresh_from_db()
    event.refresh_from_db()
    assert (settings.is_open, settings.capacity, settings.modes) == (
        True,
        40,
        "online",
    )
    assert event.application_deadline == event.starts_on - datetime.timedelta(days=7)


def test_a_colleague_of_the_organiser_may_set_registration_up(organiser):
    colleague = make_user(organisation=organiser.organisation)
    event = make_event(author=organiser)
    open_registration(event=event, actor=colleague, capacity=5)
    assert RegistrationSettings.objects.get(event=event).capacity == 5


def test_another_organisation_may_not_set_registration_up(organiser, nanao):
    event = make_event(author=organiser)
    with pytest.raises(PermissionDenied):
        open_registration(event=event, actor=nanao)
    assert not RegistrationSettings.objects.exists()


def test_office_may_set_registration_up(organiser, office_staff):
    event = make_event(author=organiser)
    open_registration(event=event, actor=office_staff)
    assert RegistrationSettings.objects.filter(event=event).exists()


def test_moving_the_deadline_raises_the_revision(event, organiser):
    before = event.registration.revision
    open_registration(event=event, capacity=2, application_deadline=event.starts_on)
    assert RegistrationSettings.objects.get(event=event).revision == before + 1


def test_changing_only_the_capacity_keeps_the_revision(event):
    before = RegistrationSettings.objects.get(event=event).revision
    open_registration(event=event, capacity=9)
    assert RegistrationSettings.objects.get(event=event).revision == before


# ----- registering -----


def test_registering_takes_a_seat(event, nanao):
    attendee = sign_up(event=event, actor=nanao, name="七尾 太郎")
    attendee.refresh_from_db()
    assert attendee.status == Attendee.Status.CONFIRMED
    assert attendee.organisation == nanao.organisation
    assert attendee.registered_by == nanao
    assert attendee.confirmed_at is not None


def test_capacity_reached_puts_the_next_on_the_waiting_list(event, nanao, kanazawa):
    sign_up(event=event, actor=nanao, name="一")
    sign_up(event=event, actor=kanazawa, name="二")
    third = sign_up(event=event, actor=nanao, name="三")
    assert third.status == Attendee.Status.WAITING
    assert statuses(event) == [
        ("一", "confirmed"),
        ("二", "confirmed"),
        ("三", "waiting"),
    ]


def test_cancelled_attendees_free_their_seat_for_new_registrations(event, nanao):
    first = sign_up(event=event, actor=nanao, name="一")
    sign_up(event=event, actor=nanao, name="二")
    registrations.attendee_cancel(attendee=first, actor=nanao)
    third = sign_up(event=event, actor=nanao, name="三")
    assert third.status == Attendee.Status.CONFIRMED


def test_the_same_name_twice_for_one_organisation_is_refused(event, nanao):
    sign_up(event=event, actor=nanao, name="七尾 太郎")
    with pytest.raises(ValidationError) as error:
        sign_up(event=event, actor=nanao, name="七尾 太郎")
    assert error.value.code == "duplicate"
    assert Attendee.objects.count() == 1


def test_the_same_name_in_two_organisations_is_two_people(event, nanao, kanazawa):
    sign_up(event=event, actor=nanao, name="山田 太郎")
    sign_up(event=event, actor=kanazawa, name="山田 太郎")
    assert Attendee.objects.count() == 2


def test_a_cancelled_person_may_be_registered_again(event, nanao):
    first = sign_up(event=event, actor=nanao, name="七尾 太郎")
    registrations.attendee_cancel(attendee=first, actor=nanao)
    again = sign_up(event=event, actor=nanao, name="七尾 太郎")
    assert again.status == Attendee.Status.CONFIRMED


def test_attendance_the_event_does_not_offer_is_refused(organiser, nanao):
    event = make_event(author=organiser)
    open_registration(event=event, modes="on_site")
    with pytest.raises(ValidationError) as error:
        sign_up(event=event, actor=nanao, name="一", attendance="online")
    assert error.value.code == "attendance"
    assert not Attendee.objects.exists()


def test_no_registration_after_the_deadline(organiser, nanao):
    event = make_event(author=organiser)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    open_registration(event=event, application_deadline=yesterday)
    with pytest.raises(ValidationError) as error:
        sign_up(event=event, actor=nanao, name="一")
    assert error.value.code == "closed"
    assert "申込締切" in error.value.messages[0]
    assert not Attendee.objects.exists()


def test_registration_is_taken_on_the_deadline_day_itself(organiser, nanao):
    event = make_event(author=organiser)
    open_registration(event=event, application_deadline=timezone.localdate())
    assert sign_up(event=event, actor=nanao, name="一").pk


def test_without_a_deadline_registration_ends_when_the_event_begins(organiser, nanao):
    event = make_event(author=organiser, starts_on=timezone.localdate())
    open_registration(event=event)
    with pytest.raises(ValidationError) as error:
        sign_up(event=event, actor=nanao, name="一")
    assert error.value.code == "closed"


def test_no_registration_while_closed_by_the_organiser(event, organiser, nanao):
    registrations.registration_configure(
        event=event,
        actor=organiser,
        is_open=False,
        capacity=2,
        modes="both",
        application_deadline=None,
    )
    with pytest.raises(ValidationError):
        sign_up(event=event, actor=nanao, name="一")


def test_no_registration_without_settings(organiser, nanao):
    event = make_event(author=organiser)
    with pytest.raises(ValidationError):
        sign_up(event=event, actor=nanao, name="一")


def test_no_registration_for_a_hidden_event(event, nanao, office_staff):
    moderation.thread_hide(thread=event.thread, actor=office_staff, reason="誤り")
    with pytest.raises(PermissionDenied):
        sign_up(event=event, actor=nanao, name="一")


def test_a_suspended_organisation_may_not_register(event):
    suspended = make_organisation(membership_status="suspended")
    person = make_user(organisation=suspended)
    with pytest.raises(PermissionDenied):
        sign_up(event=event, actor=person, name="一")


# ----- cancelling and the waiting list -----


def test_cancellation_promotes_the_first_waiting_in_order(event, nanao, kanazawa):
    first = sign_up(event=event, actor=nanao, name="一")
    sign_up(event=event, actor=nanao, name="二")
    sign_up(event=event, actor=kanazawa, name="三")
    sign_up(event=event, actor=nanao, name="四")
    registrations.attendee_cancel(attendee=first, actor=nanao)
    assert statuses(event) == [
        ("一", "cancelled"),
        ("二", "confirmed"),
        ("三", "confirmed"),
        ("四", "waiting"),
    ]


def test_promotion_mails_the_promoted_organisations_staff(
    event, nanao, kanazawa, django_capture_on_commit_callbacks
):
    colleague = make_user(organisation=kanazawa.organisation, email="k2@example.jp")
    first = sign_up(event=event, actor=nanao, name="一")
    sign_up(event=event, actor=nanao, name="二")
    sign_up(event=event, actor=kanazawa, name="金沢 三郎", attendance="online")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        registrations.attendee_cancel(attendee=first, actor=nanao)
    # One message per address (members.services.mail.mail_build).
    assert sorted(address for message in mail.outbox for address in message.to) == (
        sorted([kanazawa.email, colleague.email])
    )
    for message in mail.outbox:
        assert "参加が確定しました" in message.subject
        assert "金沢 三郎（オンライン）" in message.body
        assert event.thread.title in message.body


def test_no_mail_when_nobody_moves_up(event, nanao, django_capture_on_commit_callbacks):
    first = sign_up(event=event, actor=nanao, name="一")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        registrations.attendee_cancel(attendee=first, actor=nanao)
    assert mail.outbox == []


def test_inactive_staff_are_not_mailed_on_promotion(
    event, nanao, kanazawa, django_capture_on_commit_callbacks
):
    gone = make_user(organisation=kanazawa.organisation, email="gone@example.jp")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    first = sign_up(event=event, actor=nanao, name="一")
    sign_up(event=event, actor=nanao, name="二")
    sign_up(event=event, actor=kanazawa, name="三")
    with django_capture_on_commit_callbacks(execute=True):
        registrations.attendee_cancel(attendee=first, actor=nanao)
    assert mail.outbox[-1].to == [kanazawa.email]


def test_cancelling_a_waiting_attendee_promotes_nobody(event, nanao, kanazawa):
    sign_up(event=event, actor=nanao, name="一")
    sign_up(event=event, actor=nanao, name="二")
    waiting = sign_up(event=event, actor=kanazawa, name="三")
    fourth = sign_up(event=event, actor=kanazawa, name="四")
    registrations.attendee_cancel(attendee=waiting, actor=kanazawa)
    fourth.refresh_from_db()
    assert fourth.status == Attendee.Status.WAITING


def test_more_seats_move_the_waiting_list_up(event, nanao):
    for name in ["一", "二", "三", "四"]:
        sign_up(event=event, actor=nanao, name=name)
    open_registration(event=event, capacity=3)
    assert [s for _n, s in statuses(event)] == [
        "confirmed",
        "confirmed",
        "confirmed",
        "waiting",
    ]


def test_fewer_seats_drop_nobody_already_confirmed(event, nanao):
    sign_up(event=event, actor=nanao, name="一")
    sign_up(event=event, actor=nanao, name="二")
    open_registration(event=event, capacity=1)
    assert [s for _n, s in statuses(event)] == ["confirmed", "confirmed"]


def test_the_organiser_may_cancel_anyone(event, organiser, nanao):
    attendee = sign_up(event=event, actor=nanao, name="一")
    registrations.attendee_cancel(attendee=attendee, actor=organiser)
    attendee.refresh_from_db()
    assert attendee.status == Attendee.Status.CANCELLED
    assert attendee.cancelled_by == organiser


def test_another_organisation_may_not_cancel(event, nanao, kanazawa):
    attendee = sign_up(event=event, actor=nanao, name="一")
    with pytest.raises(PermissionDenied):
        registrations.attendee_cancel(attendee=attendee, actor=kanazawa)
    attendee.refresh_from_db()
    assert attendee.status == Attendee.Status.CONFIRMED


def test_cancelling_twice_is_refused(event, nanao):
    attendee = sign_up(event=event, actor=nanao, name="一")
    registrations.attendee_cancel(attendee=attendee, actor=nanao)
    with pytest.raises(ValidationError) as error:
        registrations.attendee_cancel(attendee=attendee, actor=nanao)
    assert error.value.code == "already_cancelled"


def test_cancellation_is_allowed_after_the_deadline(organiser, nanao, kanazawa):
    event = make_event(author=organiser)
    open_registration(event=event, capacity=1)
    first = sign_up(event=event, actor=nanao, name="一")
    waiting = sign_up(event=event, actor=kanazawa, name="二")
    EventDetails.objects.filter(pk=event.pk).update(
        application_deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    registrations.attendee_cancel(attendee=first, actor=nanao)
    waiting.refresh_from_db()
    assert waiting.status == Attendee.Status.CONFIRMED


# ----- the organiser's export -----


def test_export_rows_are_exactly_the_attendees_in_order(event, nanao, kanazawa):
    sign_up(event=event, actor=nanao, name="七尾 太郎", department="観光交流課")
    cancelled = sign_up(event=event, actor=kanazawa, name="金沢 次郎")
    sign_up(event=event, actor=kanazawa, name="兼六 京子", attendance="online")
    sign_up(event=event, actor=nanao, name="能登 花子", department="")
    registrations.attendee_cancel(attendee=cancelled, actor=kanazawa)
    rows = attendee_rows(event)
    assert [row[:6] for row in rows] == [
        ["石川県七尾市", "石川県", "七尾 太郎", "観光交流課", "会場", "参加確定"],
        ["石川県金沢市", "石川県", "兼六 京子", "観光課", "オンライン", "参加確定"],
        ["石川県七尾市", "石川県", "能登 花子", "", "会場", "キャンセル待ち"],
        ["石川県金沢市", "石川県", "金沢 次郎", "観光課", "会場", "キャンセル済み"],
    ]
    registered = timezone.localtime(
        Attendee.objects.get(name="七尾 太郎").registered_at
    )
    assert rows[0][6] == registered.strftime("%Y/%m/%d %H:%M")


# ----- the day-before reminder -----


def test_reminder_goes_the_day_before_to_organisations_with_seats(
    organiser, nanao, kanazawa
):
    today = timezone.localdate()
    event = make_event(author=organiser, starts_on=today + datetime.timedelta(days=1))
    open_registration(event=event, capacity=1, application_deadline=today)
    sign_up(event=event, actor=nanao, name="七尾 太郎")
    sign_up(event=event, actor=kanazawa, name="金沢 次郎")  # waiting
    mail.outbox.clear()
    assert registrations.registration_reminders_deliver() == 1
    assert [m.to for m in mail.outbox] == [[nanao.email]]
    assert "明日開催" in mail.outbox[0].subject
    assert "七尾 太郎" in mail.outbox[0].body
    assert RegistrationSettings.objects.get(event=event).reminder_sent_at


def test_reminder_is_sent_once_only(organiser, nanao):
    today = timezone.localdate()
    event = make_event(author=organiser, starts_on=today + datetime.timedelta(days=1))
    open_registration(event=event, application_deadline=today)
    sign_up(event=event, actor=nanao, name="七尾 太郎")
    registrations.registration_reminders_deliver()
    mail.outbox.clear()
    assert registrations.registration_reminders_deliver() == 0
    assert mail.outbox == []


def test_no_reminder_for_events_further_away(event, nanao):
    sign_up(event=event, actor=nanao, name="七尾 太郎")
    mail.outbox.clear()
    assert registrations.registration_reminders_deliver() == 0
    assert mail.outbox == []


def test_the_reminder_command_runs_the_task(organiser, nanao):
    from django.core.management import call_command

    today = timezone.localdate()
    event = make_event(author=organiser, starts_on=today + datetime.timedelta(days=1))
    open_registration(event=event, application_deadline=today)
    sign_up(event=event, actor=nanao, name="七尾 太郎")
    mail.outbox.clear()
    call_command("send_event_reminders")
    assert len(mail.outbox) == 1


# ----- two organisations and the last seat -----


@pytest.mark.django_db(transaction=True)
def test_two_organisations_taking_the_last_seat_at_once_do_not_overbook():
    """Two transactions register at the same moment for the one free seat:
    the second waits for the first's lock, then finds the event full."""
    organiser = make_user()
    event = make_event(author=organiser)
    open_registration(event=event, capacity=1)
    people = [make_user(), make_user()]
    barrier = threading.Barrier(2)
    outcomes = []

    def register(person, name):
        try:
            barrier.wait(timeout=10)
            outcomes.append(sign_up(event=event, actor=person, name=name).status)
        finally:
            connection.close()

    workers = [
        threading.Thread(target=register, args=(person, f"参加者{n}"))
        for n, person in enumerate(people)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert sorted(outcomes) == ["confirmed", "waiting"]
    assert Attendee.objects.filter(event=event).confirmed().count() == 1
