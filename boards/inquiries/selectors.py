"""Reads of 照会 that are more than a QuerySet method: the list page's two
lists, the progress page, shared totals and deadlines for the calendar."""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from members.models import Organisation

from ..models import Answer, Inquiry, Question, Recipient
from ..models.inquiries import latest_version
from . import permissions

NOT_STARTED = "not_started"
DRAFTING = "drafting"
ANSWERED = "answered"
STATES = (ANSWERED, DRAFTING, NOT_STARTED)


def with_answer_state(recipients):
    """Recipients annotated with answer_submitted_at, answer_status and
    answer_pk, in the same query."""
    answers = Answer.objects.filter(
        inquiry=OuterRef("inquiry"), organisation=OuterRef("organisation")
    )
    return recipients.annotate(
        answer_pk=Subquery(answers.values("pk")[:1]),
        answer_status=Subquery(answers.values("status")[:1]),
        answer_submitted_at=Subquery(answers.values("submitted_at")[:1]),
        answer_submitted_by=Subquery(answers.values("submitted_by__display_name")[:1]),
    )


def answer_state(recipient) -> str:
    """answered (submitted at least once), drafting or not started."""
    if recipient.answer_submitted_at is not None:
        return ANSWERED
    if recipient.answer_pk is not None:
        return DRAFTING
    return NOT_STARTED


def received(user):
    """What the person's organisation is asked to answer, open ones first."""
    return (
        with_answer_state(
            Recipient.objects.filter(organisation_id=user.organisation_id).exclude(
                inquiry__status=Inquiry.Status.DRAFT
            )
        )
        .select_related("inquiry__sender_organisation__prefecture")
        .order_by("-inquiry__status", "inquiry__deadline_on", "-inquiry__pk")
    )


def sent(user):
    """What the person's organisation sent, with how many have answered."""
    submitted = Answer.objects.submitted().filter(inquiry=OuterRef("pk"))
    return (
        Inquiry.objects.sent_by(user.organisation_id)
        .annotate(
            recipient_count=Count("recipients", distinct=True),
            answered_count=Subquery(
                submitted.order_by()
                .values("inquiry")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
        )
        .order_by("-created_at", "-pk")
    )


@dataclass
class Progress:
    rows: list
    counts: list  # (state, count) in STATES order
    by_area: list  # (name, answered, drafting, not started, total)
    by_kind: list


def progress(inquiry) -> Progress:
    """Who has answered, is drafting or has not started; by area and kind."""
    rows = list(
        with_answer_state(inquiry.recipients.all())
        .select_related("organisation__prefecture")
        .order_by("organisation__code", "organisation__name")
    )
    counts = Counter()
    areas, kinds = {}, {}
    kind_labels = dict(Organisation.Kind.choices)
    for row in rows:
        row.state = answer_state(row)
        counts[row.state] += 1
        organisation = row.organisation
        area = (
            Organisation.compose_area_name(
                organisation.name,
                organisation.kind,
                organisation.prefecture.name if organisation.prefecture_id else None,
            )
            or "—"
        )
        for table, key in ((areas, area), (kinds, kind_labels[organisation.kind])):
            table.setdefault(key, Counter())[row.state] += 1

    def table(groups):
        return [
            (name, *(group[state] for state in STATES), sum(group.values()))
            for name, group in sorted(groups.items())
        ]

    return Progress(
        rows=rows,
        counts=[(state, counts[state]) for state in STATES],
        by_area=table(areas),
        by_kind=table(kinds),
    )


@dataclass
class QuestionTotals:
    question: Question
    counts: list  # (label, count)
    answered: int


COUNTED_KINDS = {
    Question.Kind.SINGLE_CHOICE,
    Question.Kind.MULTIPLE_CHOICE,
    Question.Kind.YES_NO,
}


def shared_totals(inquiry) -> list[QuestionTotals]:
    """Counts per choice over the submitted answers, naming nobody."""
    questions = [q for q in inquiry.questions.all() if q.kind in COUNTED_KINDS]
    if not questions:
        return []
    versions = (
        Answer.objects.submitted()
        .filter(inquiry=inquiry)
        .annotate(
            version_values=latest_version("values"),
            version_not_applicable=latest_version("not_applicable"),
        )
        .values_list("version_values", "version_not_applicable")
    )
    answered = [
        values or {} for values, not_applicable in versions if not not_applicable
    ]
    totals = []
    for question in questions:
        counter = Counter()
        for values in answered:
            value = values.get(question.key)
            if question.kind == Question.Kind.MULTIPLE_CHOICE:
                counter.update(value or [])
            elif value is not None:
                counter[value] += 1
        if question.kind == Question.Kind.YES_NO:
            labels = [(_("Yes"), counter[True]), (_("No"), counter[False])]
        else:
            labels = [(choice, counter[choice]) for choice in question.choices]
        totals.append(QuestionTotals(question, labels, len(answered)))
    return totals


def inquiry_deadlines_for(user, start, end):
    """Open inquiries whose deadline falls between start and end (dates,
    inclusive) that the person's organisation must answer or sent, for the
    calendar. Each has `deadline_at` and `reference`; newest deadline last."""
    received_pks = Recipient.objects.filter(
        organisation_id=user.organisation_id
    ).values("inquiry_id")
    return (
        permissions.visible_inquiries(user, Inquiry.objects.sent())
        .filter(
            Q(pk__in=received_pks) | Q(sender_organisation_id=user.organisation_id),
            deadline_on__range=(start, end),
        )
        .annotate(
            answered=Exists(
                Answer.objects.submitted().filter(
                    inquiry=OuterRef("pk"), organisation_id=user.organisation_id
                )
            )
        )
        .with_sender()
        .order_by("deadline_on", "deadline_time", "pk")
    )
