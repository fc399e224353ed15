import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from boards.models import Answer, AnswerVersion, Inquiry, Recipient
from boards.services import inquiries as services
from members.models import Organisation
from tests import factories
from tests.security.conftest import _png_upload

pytestmark = pytest.mark.django_db


def values_for(questions, number="12", choice="出展する", text="山田"):
    return {
        questions[0].key: number,
        questions[1].key: choice,
        questions[2].key: text,
    }


# ----- making and sending -----


def test_sending_fixes_one_recipient_per_organisation(inquiry, nanao, kanazawa):
    assert set(inquiry.recipients.values_list("organisation", flat=True)) == {
        nanao.pk,
        kanazawa.pk,
    }


def test_later_membership_changes_do_not_change_who_must_answer(
    ishikawa, office, nanao, kanazawa, nanao_staff
):
    inquiry = factories.make_inquiry(
        sender=office, organisations=[], audience="prefectures", prefectures=[ishikawa]
    )
    newcomer = factories.make_organisation(name="輪島市", prefecture=ishikawa)
    Organisation.objects.filter(pk=kanazawa.pk).update(membership_status="withdrawn")
    asked = set(inquiry.recipients.values_list("organisation", flat=True))
    assert asked == {ishikawa.pk, nanao.pk, kanazawa.pk}
    assert newcomer.pk not in asked


def test_a_prefecture_audience_takes_its_members_only(
    ishikawa, office, nanao, kanazawa
):
    elsewhere = factories.make_organisation(name="他県の市")
    suspended = factories.make_organisation(
        name="休止市", prefecture=ishikawa, membership_status="suspended"
    )
    inquiry = factories.make_inquiry(
        sender=office,
        organisations=[],
        audience="prefectures",
        prefectures=[ishikawa],
        send=False,
    )
    asked = set(services.audience_organisations(inquiry))
    assert {nanao, kanazawa} <= asked
    assert elsewhere not in asked
    assert suspended not in asked


@pytest.mark.parametrize(
    ("audience", "kinds", "expected"),
    [
        ("all", [], {"七尾市", "金沢市", "千代田区", "白川村", "石川県"}),
        ("wards", [], {"千代田区"}),
        ("kinds", ["village", "prefecture"], {"白川村", "石川県"}),
    ],
)
def test_the_whole_membership_the_wards_or_chosen_kinds_are_asked(
    ishikawa, office, nanao, kanazawa, audience, kinds, expected
):
    Organisation.objects.filter(pk=ishikawa.pk).update(membership_status="member")
    factories.make_ward(name="千代田区")
    factories.make_organisation(name="白川村", kind="village")
    factories.make_organisation(name="退会市", membership_status="withdrawn")
    factories.make_organisation(
        name="休止区", kind="special_ward", membership_status="suspended"
    )
    inquiry = factories.make_inquiry(
        sender=office, organisations=[], audience=audience, kinds=kinds
    )
    asked = set(inquiry.recipients.values_list("organisation__name", flat=True))
    assert asked == expected


def test_reference_numbers_count_up_in_the_fiscal_year(office, nanao):
    first = factories.make_inquiry(sender=office, organisations=[nanao])
    second = factories.make_inquiry(sender=office, organisations=[nanao])
    prefix, number = first.reference.split("-")
    assert prefix.startswith("R")
    assert second.reference == f"{prefix}-{int(number) + 1:04d}"


def test_sending_mails_every_organisation_asked(
    django_capture_on_commit_callbacks, office, nanao, kanazawa, nanao_staff,
    kanazawa_staff,
):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        inquiry = factories.make_inquiry(sender=office, organisations=[nanao, kanazawa])
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["kanazawa@example.jp", "nanao@example.jp"]
    assert inquiry.reference in mail.outbox[0].subject
    assert f"/inquiries/{inquiry.pk}/answer/" in mail.outbox[0].body


def test_a_draft_without_questions_cannot_be_sent(office, nanao):
    inquiry = factories.make_inquiry(
        sender=office, organisations=[nanao], questions=[], send=False
    )
    with pytest.raises(ValidationError) as caught:
        services.inquiry_send(inquiry=inquiry, actor=office)
    assert caught.value.code == "no_questions"
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.DRAFT
    assert not inquiry.recipients.exists()


def test_a_member_may_not_address_all_members(nanao_staff):
    with pytest.raises(ValidationError) as caught:
        services.inquiry_create(
            actor=nanao_staff,
            title="t",
            body="",
            deadline_on=timezone.localdate() + datetime.timedelta(days=3),
            audience=Inquiry.Audience.ALL_MEMBERS,
        )
    assert caught.value.code == "audience_not_allowed"
    assert not Inquiry.objects.exists()


def test_questions_of_a_sent_inquiry_cannot_change(inquiry, office):
    with pytest.raises(ValidationError):
        services.inquiry_set_questions(inquiry=inquiry, actor=office, questions=[])
    assert inquiry.questions.count() == 3


# ----- answering -----


def test_a_draft_is_saved_without_required_answers(inquiry, nanao, nanao_staff):
    answer = services.answer_save(
        inquiry=inquiry, organisation=nanao, actor=nanao_staff, values={}
    )
    assert answer.status == Answer.Status.DRAFT
    assert answer.submitted_at is None
    assert not AnswerVersion.objects.exists()


def test_submitting_needs_the_required_answers(inquiry, questions, nanao, nanao_staff):
    with pytest.raises(ValidationError) as caught:
        services.answer_save(
            inquiry=inquiry,
            organisation=nanao,
            actor=nanao_staff,
            values={questions[2].key: "山田"},
            submit=True,
        )
    assert set(caught.value.message_dict) == {questions[0].key, questions[1].key}
    assert not Answer.objects.exists()


def test_any_colleague_submits_and_each_version_is_kept(
    inquiry, questions, nanao, nanao_staff, nanao_colleague
):
    services.answer_save(
        inquiry=inquiry,
        organisation=nanao,
        actor=nanao_staff,
        values=values_for(questions),
        submit=True,
    )
    answer = services.answer_save(
        inquiry=inquiry,
        organisation=nanao,
        actor=nanao_colleague,
        values=values_for(questions, number="15"),
        submit=True,
    )
    assert answer.submitted_by == nanao_colleague
    versions = list(answer.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert [v.values[questions[0].key] for v in versions] == ["12", "15"]
    assert versions[0].submitted_by == nanao_staff


def test_a_refused_submission_leaves_its_file_nowhere(
    office, nanao, nanao_staff, settings
):
    from pathlib import Path

    inquiry = factories.make_inquiry(
        sender=office,
        organisations=[nanao],
        questions=[
            {"kind": "file", "text": "資料", "required": True},
            {"kind": "number", "text": "件数", "required": True},
        ],
    )
    document, count = inquiry.questions.all()
    with pytest.raises(ValidationError) as caught:
        services.answer_save(
            inquiry=inquiry,
            organisation=nanao,
            actor=nanao_staff,
            values={},
            uploads={document.key: _png_upload()},
            submit=True,
        )
    assert set(caught.value.message_dict) == {count.key}
    assert not Answer.objects.exists()
    assert [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()] == []


def test_an_uploaded_file_answers_a_required_file_question(office, nanao, nanao_staff):
    inquiry = factories.make_inquiry(
        sender=office,
        organisations=[nanao],
        questions=[{"kind": "file", "text": "資料", "required": True}],
    )
    document = inquiry.questions.get()
    answer = services.answer_save(
        inquiry=inquiry,
        organisation=nanao,
        actor=nanao_staff,
        values={},
        uploads={document.key: _png_upload()},
        submit=True,
    )
    assert answer.values[document.key]["name"] == "写真.png"
    assert answer.versions.get().values[document.key]["file"] == answer.files.get().pk


def test_not_applicable_is_an_answer_with_no_values(inquiry, nanao, nanao_staff):
    answer = services.answer_save(
        inquiry=inquiry,
        organisation=nanao,
        actor=nanao_staff,
        values={},
        submit=True,
        not_applicable=True,
    )
    assert answer.submitted_at is not None
    assert answer.versions.get().not_applicable is True


def _past_deadline(inquiry, **fields):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Inquiry.objects.filter(pk=inquiry.pk).update(deadline_on=yesterday, **fields)
    inquiry.refresh_from_db()


def test_an_answer_after_the_deadline_is_refused(
    inquiry, questions, nanao, nanao_staff
):
    _past_deadline(inquiry)
    with pytest.raises(ValidationError) as caught:
        services.answer_save(
            inquiry=inquiry,
            organisation=nanao,
            actor=nanao_staff,
            values=values_for(questions),
            submit=True,
        )
    assert caught.value.code == "closed"
    assert not Answer.objects.exists()


def test_a_late_answer_is_taken_when_allowed_and_marked(
    inquiry, questions, nanao, nanao_staff
):
    _past_deadline(inquiry, late_answers_allowed=True)
    answer = services.answer_save(
        inquiry=inquiry,
        organisation=nanao,
        actor=nanao_staff,
        values=values_for(questions),
        submit=True,
    )
    assert answer.submitted_late is True


def test_an_organisation_not_asked_cannot_answer(inquiry, office):
    other = factories.make_user()
    with pytest.raises(ValidationError) as caught:
        services.answer_save(
            inquiry=inquiry, organisation=other.organisation, actor=other, values={}
        )
    assert caught.value.code == "not_a_recipient"


def test_staff_cannot_answer_for_another_organisation(inquiry, kanazawa, nanao_staff):
    with pytest.raises(ValidationError):
        services.answer_save(
            inquiry=inquiry, organisation=kanazawa, actor=nanao_staff, values={}
        )
    assert not Answer.objects.exists()


# ----- reminders -----


def _submit(inquiry, questions, organisation, actor):
    services.answer_save(
        inquiry=inquiry,
        organisation=organisation,
        actor=actor,
        values=values_for(questions),
        submit=True,
    )


def _at_day(day, hour=9):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_reminders_go_only_to_those_who_have_not_answered_and_once(
    inquiry, questions, nanao, nanao_staff, kanazawa_staff
):
    _submit(inquiry, questions, nanao, nanao_staff)
    mail.outbox.clear()
    before = _at_day(inquiry.deadline_on - datetime.timedelta(days=3))
    assert services.reminders_send(before) == 1
    assert [m.to for m in mail.outbox] == [["kanazawa@example.jp"]]
    assert services.reminders_send(before + datetime.timedelta(hours=2)) == 0
    assert len(mail.outbox) == 1
    recipient = Recipient.objects.get(inquiry=inquiry, organisation__name="金沢市")
    assert recipient.reminded_before_at == before


def test_the_deadline_day_brings_its_own_reminder(inquiry, nanao_staff, kanazawa_staff):
    services.reminders_send(_at_day(inquiry.deadline_on - datetime.timedelta(days=2)))
    mail.outbox.clear()
    assert services.reminders_send(_at_day(inquiry.deadline_on)) == 2
    assert services.reminders_send(_at_day(inquiry.deadline_on, hour=15)) == 0
    assert "本日が回答期限です" in mail.outbox[0].body


def test_the_deadline_days_reminder_waits_for_the_working_day(
    inquiry, nanao_staff, kanazawa_staff
):
    services.reminders_send(_at_day(inquiry.deadline_on - datetime.timedelta(days=2)))
    mail.outbox.clear()
    assert services.reminders_send(_at_day(inquiry.deadline_on, hour=0)) == 0
    assert services.reminders_send(_at_day(inquiry.deadline_on, hour=6)) == 0
    assert mail.outbox == []
    assert services.reminders_send(_at_day(inquiry.deadline_on, hour=7)) == 2


def test_no_reminder_before_the_window_or_after_the_deadline(inquiry, nanao_staff):
    early = _at_day(inquiry.deadline_on - datetime.timedelta(days=4))
    late = _at_day(inquiry.deadline_on + datetime.timedelta(days=1))
    assert services.reminders_send(early) == 0
    assert services.reminders_send(late) == 0
    assert mail.outbox == []


def test_the_reminder_links_to_the_answer_page(inquiry, kanazawa_staff):
    services.reminders_send(_at_day(inquiry.deadline_on))
    assert f"/inquiries/{inquiry.pk}/answer/" in mail.outbox[0].body


def test_the_sender_reminds_by_hand_once_a_day(
    django_capture_on_commit_callbacks, inquiry, questions, office, nanao,
    nanao_staff, kanazawa_staff,
):  # fmt: skip
    _submit(inquiry, questions, nanao, nanao_staff)
    with django_capture_on_commit_callbacks(execute=True):
        count = services.inquiry_remind(inquiry=inquiry, actor=office)
    assert count == 1
    assert [m.to for m in mail.outbox] == [["kanazawa@example.jp"]]
    with pytest.raises(ValidationError) as caught:
        services.inquiry_remind(inquiry=inquiry, actor=office)
    assert caught.value.code == "reminded_today"


def test_extending_the_deadline_tells_everyone_and_resets_reminders(
    django_capture_on_commit_callbacks, inquiry, questions, office, nanao,
    nanao_staff, kanazawa_staff,
):  # fmt: skip
    _submit(inquiry, questions, nanao, nanao_staff)
    services.reminders_send(_at_day(inquiry.deadline_on))
    mail.outbox.clear()
    new_day = inquiry.deadline_on + datetime.timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True):
        services.inquiry_extend(
            inquiry=inquiry, actor=office, deadline_on=new_day, message="延長します"
        )
    assert sorted(m.to[0] for m in mail.outbox) == [
        "kanazawa@example.jp",
        "nanao@example.jp",
    ]
    assert "延長します" in mail.outbox[0].body
    assert not inquiry.recipients.filter(reminded_on_day_at__isnull=False).exists()


def test_the_deadline_cannot_be_moved_earlier(inquiry, office):
    with pytest.raises(ValidationError) as caught:
        services.inquiry_extend(
            inquiry=inquiry,
            actor=office,
            deadline_on=inquiry.deadline_on - datetime.timedelta(days=1),
        )
    assert caught.value.code == "not_later"


def test_a_passed_deadline_is_not_extended_to_another_past_day(inquiry, office):
    two_weeks_ago = timezone.localdate() - datetime.timedelta(days=14)
    Inquiry.objects.filter(pk=inquiry.pk).update(deadline_on=two_weeks_ago)
    inquiry.refresh_from_db()
    mail.outbox.clear()
    with pytest.raises(ValidationError) as caught:
        services.inquiry_extend(
            inquiry=inquiry,
            actor=office,
            deadline_on=timezone.localdate() - datetime.timedelta(days=1),
        )
    assert caught.value.code == "past"
    inquiry.refresh_from_db()
    assert inquiry.deadline_on == two_weeks_ago
    assert mail.outbox == []


def test_the_sender_closes_the_inquiry(inquiry, office, nanao, nanao_staff):
    services.inquiry_close(inquiry=inquiry, actor=office)
    with pytest.raises(ValidationError):
        services.answer_save(
            inquiry=inquiry, organisation=nanao, actor=nanao_staff, values={}
        )


def test_the_totals_of_a_draft_cannot_be_shared(office, nanao):
    draft = factories.make_inquiry(sender=office, organisations=[nanao], send=False)
    with pytest.raises(ValidationError) as caught:
        services.inquiry_share_results(inquiry=draft, actor=office, share=True)
    assert caught.value.code == "draft"
