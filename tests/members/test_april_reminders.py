"""The April confirmation reminders, sent by a command the scheduler runs daily."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from members.models import MembershipStatus, Organisation
from members.services import organisations

pytestmark = pytest.mark.django_db

TOKYO = datetime.timezone(datetime.timedelta(hours=9))


@pytest.fixture
def clock(monkeypatch, settings):
    """Sets the time every caller of timezone.now sees (tasks run inline)."""
    settings.RENKEI_CONFIRMATION_REMIND_DAYS = 14

    def set_to(*args):
        moment = datetime.datetime(*args, tzinfo=TOKYO)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return set_to


@pytest.fixture
def unconfirmed(member):
    """A member that confirmed in the last fiscal year, not this one."""
    Organisation.objects.filter(pk=member.organisation.pk).update(
        contact_confirmed_at=datetime.datetime(2026, 5, 1, tzinfo=TOKYO)
    )
    return member.organisation


def reminded_at(organisation):
    organisation.refresh_from_db()
    return organisation.confirmation_reminded_at


def run():
    call_command("send_april_confirmations", stdout=None)


def test_nothing_is_sent_in_march(clock, unconfirmed, member):
    clock(2027, 3, 31, 10)
    assert organisations.confirmation_reminders_schedule() == 0
    assert mail.outbox == []


def test_first_reminder_goes_on_april_first(clock, unconfirmed, member):
    now = clock(2027, 4, 1, 9)
    run()
    assert [m.to for m in mail.outbox] == [[member.email]]
    assert reminded_at(unconfirmed) == now


def test_first_round_reminds_each_member_once(clock, unconfirmed):
    clock(2027, 4, 1, 9)
    run()
    clock(2027, 4, 2, 9)
    run()
    clock(2027, 4, 14, 9)
    run()
    assert len(mail.outbox) == 1


def test_second_reminder_goes_after_the_set_days(clock, unconfirmed, member):
    clock(2027, 4, 1, 9)
    run()
    now = clock(2027, 4, 15, 9)
    run()
    assert [m.to for m in mail.outbox] == [[member.email], [member.email]]
    assert reminded_at(unconfirmed) == now


def test_the_number_of_days_is_a_setting(clock, unconfirmed, settings):
    clock(2027, 4, 1, 9)
    run()
    settings.RENKEI_CONFIRMATION_REMIND_DAYS = 3
    clock(2027, 4, 4, 9)
    assert organisations.confirmation_reminders_schedule() == 1


def test_second_round_reminds_each_member_once(clock, unconfirmed):
    clock(2027, 4, 1, 9)
    run()
    clock(2027, 4, 15, 9)
    run()
    clock(2027, 4, 16, 9)
    run()
    clock(2027, 4, 28, 9)
    run()
    assert len(mail.outbox) == 2


def test_a_member_that_confirmed_is_not_reminded_again(clock, unconfirmed, member):
    clock(2027, 4, 1, 9)
    run()
    clock(2027, 4, 3, 9)
    organisations.organisation_confirm_contact(organisation=unconfirmed, actor=member)
    clock(2027, 4, 15, 9)
    run()
    assert len(mail.outbox) == 1


def test_second_round_waits_the_set_days_after_a_late_first_reminder(
    clock, unconfirmed
):
    clock(2027, 4, 10, 9)
    run()
    clock(2027, 4, 15, 9)
    run()
    assert len(mail.outbox) == 1
    clock(2027, 4, 24, 9)
    run()
    assert len(mail.outbox) == 2


def test_nothing_is_sent_after_the_second_round(clock, unconfirmed):
    clock(2027, 4, 29, 9)
    run()
    assert mail.outbox == []


def test_confirmed_and_non_members_are_not_reminded(
    clock, unconfirmed, make_organisation, make_user, other_member
):
    clock(2027, 4, 2, 9)
    organisations.organisation_confirm_contact(
        organisation=other_member.organisation, actor=other_member
    )
    suspended = make_organisation(membership_status=MembershipStatus.SUSPENDED)
    make_user(organisation=suspended)
    assert organisations.confirmation_reminders_schedule() == 1
