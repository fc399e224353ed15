import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from boards.models import Answer, Inquiry, Recipient

pytestmark = pytest.mark.django_db


def test_one_answer_per_organisation_is_a_database_rule(inquiry, nanao, nanao_staff):
    Answer.objects.create(inquiry=inquiry, organisation=nanao, updated_by=nanao_staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(inquiry=inquiry, organisation=nanao)


def test_an_organisation_is_asked_once_per_inquiry(inquiry, nanao):
    with pytest.raises(IntegrityError), transaction.atomic():
        Recipient.objects.create(inquiry=inquiry, organisation=nanao)


def test_a_sent_inquiry_has_a_reference_number(inquiry):
    with pytest.raises(IntegrityError), transaction.atomic():
        Inquiry.objects.filter(pk=inquiry.pk).update(reference=None)


def test_reference_numbers_are_unique(office, nanao, kanazawa_staff):
    from tests.factories import make_inquiry

    first = make_inquiry(sender=office, organisations=[nanao])
    second = make_inquiry(sender=office, organisations=[nanao])
    assert first.reference != second.reference
    with pytest.raises(IntegrityError), transaction.atomic():
        Inquiry.objects.filter(pk=second.pk).update(reference=first.reference)


def test_deadline_without_a_time_is_the_end_of_the_day(inquiry):
    inquiry.deadline_on = datetime.date(2026, 12, 18)
    inquiry.deadline_time = None
    assert inquiry.deadline_at == timezone.make_aware(datetime.datetime(2026, 12, 19))


def test_deadline_with_a_time_is_that_moment(inquiry):
    inquiry.deadline_on = datetime.date(2026, 12, 18)
    inquiry.deadline_time = datetime.time(17, 0)
    assert inquiry.deadline_at == timezone.make_aware(
        datetime.datetime(2026, 12, 18, 17, 0)
    )


def test_late_answers_are_taken_only_when_allowed(inquiry):
    after = inquiry.deadline_at + datetime.timedelta(minutes=1)
    assert inquiry.accepts_answers(after) is False
    inquiry.late_answers_allowed = True
    assert inquiry.accepts_answers(after) is True


def test_a_closed_inquiry_takes_no_answers(inquiry):
    inquiry.status = Inquiry.Status.CLOSED
    assert inquiry.accepts_answers() is False
