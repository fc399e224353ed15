"""照会: making and sending inquiries, answering them, reminding and
extending. Mail goes through members.tasks once the transaction commits."""

import datetime
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.tasks import task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from members import permissions as member_permissions
from members.common.eras import ERA_LETTERS, ERAS, era_year, fiscal_year
from members.models import Organisation, User
from members.services.mail import site_link
from members.tasks import mail_send

from .. import markdown
from ..attachments import PreparedUpload, discard_stored
from ..inquiries import permissions
from ..inquiries import values as answer_values
from ..inquiries.sheets import deadline_text, read_answer_sheet
from ..models import (
    Answer,
    AnswerFile,
    AnswerVersion,
    Inquiry,
    InquiryAttachment,
    Question,
    Recipient,
)

MAIL_TEMPLATES = "boards/inquiries/email"
# Reminders wait for the working day, as the events' day-before reminders
# do (compose.yaml's mail scheduler): none lands in a mailbox at midnight.
REMINDERS_FROM_HOUR = 7


def _store_files(uploads, make_row):
    """Write files; if one fails, none of them stays in storage."""
    saved = []
    try:
        for upload in uploads:
            saved.append(upload.store(make_row()))
    except BaseException:
        for row in saved:
            discard_stored(row.file)
            discard_stored(row.thumbnail)
        raise
    return saved


def _check_audience(*, actor, audience, prefectures, kinds, organisations):
    if audience not in permissions.audiences_for(actor):
        raise ValidationError(
            _("Your organisation cannot address an inquiry to them."),
            code="audience_not_allowed",
        )
    missing = {
        Inquiry.Audience.PREFECTURES: not prefectures,
        Inquiry.Audience.KINDS: not kinds,
        Inquiry.Audience.CHOSEN: not organisations,
    }.get(audience)
    if missing:
        raise ValidationError(
            _("Choose whom the inquiry is addressed to."), code="no_audience"
        )


def _write(
    inquiry,
    *,
    actor,
    title,
    body,
    deadline_on,
    deadline_time,
    audience,
    prefectures,
    kinds,
    organisations,
    late_answers_allowed,
    share_results,
    reminder_days,
    uploads,
):
    """Check the addressees, then store a draft's fields, addressees and files."""
    _check_audience(
        actor=actor,
        audience=audience,
        prefectures=prefectures,
        kinds=kinds,
        organisations=organisations,
    )
    inquiry.title = title
    inquiry.body = body
    inquiry.body_html = markdown.render(body)
    inquiry.deadline_on = deadline_on
    inquiry.deadline_time = deadline_time
    inquiry.audience = audience
    inquiry.audience_kinds = list(kinds) if audience == Inquiry.Audience.KINDS else []
    inquiry.late_answers_allowed = late_answers_allowed
    inquiry.share_results = share_results
    inquiry.reminder_days = reminder_days
    inquiry.full_clean()
    inquiry.save()
    inquiry.audience_prefectures.set(
        prefectures if audience == Inquiry.Audience.PREFECTURES else []
    )
    inquiry.audience_organisations.set(
        organisations if audience == Inquiry.Audience.CHOSEN else []
    )
    _store_files(uploads, lambda: InquiryAttachment(inquiry=inquiry))
    return inquiry


@transaction.atomic
def inquiry_create(
    *,
    actor: User,
    title: str,
    body: str,
    deadline_on: datetime.date,
    deadline_time: datetime.time | None = None,
    audience: str,
    prefectures: Sequence[Organisation] = (),
    kinds: Sequence[str] = (),
    organisations: Sequence[Organisation] = (),
    late_answers_allowed: bool = False,
    share_results: bool = False,
    reminder_days: int = 3,
    uploads: Sequence[PreparedUpload] = (),
) -> Inquiry:
    """Draft an inquiry from the actor's organisation; nothing is sent yet."""
    if not permissions.can_send_inquiry(actor):
        raise ValidationError(_("You cannot send inquiries."), code="not_allowed")
    return _write(
        Inquiry(sender_organisation=actor.organisation, created_by=actor),
        actor=actor,
        title=title,
        body=body,
        deadline_on=deadline_on,
        deadline_time=deadline_time,
        audience=audience,
        prefectures=prefectures,
        kinds=kinds,
        organisations=organisations,
        late_answers_allowed=late_answers_allowed,
        share_results=share_results,
        reminder_days=reminder_days,
        uploads=uploads,
    )


@transaction.atomic
def inquiry_update(
    *,
    inquiry: Inquiry,
    actor: User,
    title: str,
    body: str,
    deadline_on: datetime.date,
    deadline_time: datetime.time | None = None,
    audience: str,
    prefectures: Sequence[Organisation] = (),
    kinds: Sequence[str] = (),
    organisations: Sequence[Organisation] = (),
    late_answers_allowed: bool = False,
    share_results: bool = False,
    reminder_days: int = 3,
    uploads: Sequence[PreparedUpload] = (),
) -> Inquiry:
    """Change a draft: its text, deadline, addressees and settings."""
    _check_draft(inquiry, actor)
    return _write(
        inquiry,
        actor=actor,
        title=title,
        body=body,
        deadline_on=deadline_on,
        deadline_time=deadline_time,
        audience=audience,
        prefectures=prefectures,
        kinds=kinds,
        organisations=organisations,
        late_answers_allowed=late_answers_allowed,
        share_results=share_results,
        reminder_days=reminder_days,
        uploads=uploads,
    )


def _check_draft(inquiry, actor):
    if not permissions.can_edit_inquiry(actor, inquiry):
        raise ValidationError(
            _("Only a draft can be changed, by its own organisation."),
            code="not_a_draft",
        )


QUESTION_FIELDS = (
    "kind",
    "text",
    "help_text",
    "required",
    "unit",
    "choices",
    "table_rows",
    "table_columns",
    "cell_kind",
)


@transaction.atomic
def inquiry_set_questions(
    *, inquiry: Inquiry, actor: User, questions: Sequence[dict]
) -> list[Question]:
    """Replace a draft's questions with these, in this order."""
    _check_draft(inquiry, actor)
    inquiry.questions.all().delete()
    saved = []
    for position, fields in enumerate(questions, start=1):
        question = Question(
            inquiry=inquiry,
            position=position,
            **{name: fields[name] for name in QUESTION_FIELDS if name in fields},
        )
        question.full_clean()
        question.save()
        saved.append(question)
    return saved


def audience_organisations(inquiry: Inquiry):
    """The member organisations an inquiry's addressing names now."""
    members = Organisation.objects.members().exclude(pk=inquiry.sender_organisation_id)
    match inquiry.audience:
        case Inquiry.Audience.ALL_MEMBERS:
            return members
        case Inquiry.Audience.WARDS:
            return members.filter(kind=Organisation.Kind.SPECIAL_WARD)
        case Inquiry.Audience.KINDS:
            return members.filter(kind__in=inquiry.audience_kinds)
        case Inquiry.Audience.PREFECTURES:
            prefectures = inquiry.audience_prefectures.all()
            return members.filter(Q(prefecture__in=prefectures) | Q(pk__in=prefectures))
    return members.filter(pk__in=inquiry.audience_organisations.all())


def _next_reference(now) -> str:
    """R8-0012: the era letter and year of the 年度, and a number in it."""
    year = fiscal_year(now)
    april = datetime.date(year, 4, 1)
    _name, era_number = era_year(april)
    era = next(i for i, (start, _first, _name) in enumerate(ERAS) if april >= start)
    prefix = f"{ERA_LETTERS[era]}{era_number}-"
    # One sender at a time per 年度, so two never take the same number.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [1701, year])
    taken = Inquiry.objects.filter(reference__startswith=prefix).values_list(
        "reference", flat=True
    )
    number = max((int(ref.removeprefix(prefix)) for ref in taken), default=0) + 1
    return f"{prefix}{number:04d}"


@transaction.atomic
def inquiry_send(*, inquiry: Inquiry, actor: User) -> Inquiry:
    """Send a draft: fix who must answer, number it, and mail them."""
    _check_draft(inquiry, actor)
    now = timezone.now()
    if not inquiry.questions.exists():
        raise ValidationError(
            _("Add at least one question before sending."), code="no_questions"
        )
    if inquiry.is_past_deadline(now):
        raise ValidationError(
            _("The deadline has already passed. Set a later deadline."),
            code="deadline_passed",
        )
    organisations = list(audience_organisations(inquiry).values_list("pk", flat=True))
    if not organisations:
        raise ValidationError(
            _("No member organisation is addressed."), code="no_recipients"
        )
    Recipient.objects.bulk_create(
        Recipient(inquiry=inquiry, organisation_id=pk) for pk in organisations
    )
    inquiry.reference = _next_reference(now)
    inquiry.status = Inquiry.Status.OPEN
    inquiry.sent_at = now
    inquiry.full_clean()
    inquiry.save()
    _mail_on_commit(inquiry, "sent", organisations)
    return inquiry


@transaction.atomic
def inquiry_close(*, inquiry: Inquiry, actor: User) -> Inquiry:
    """Stop taking answers, whatever the deadline."""
    if not permissions.can_manage_inquiry(actor, inquiry):
        raise ValidationError(_("You cannot close this inquiry."), code="not_allowed")
    if inquiry.status != Inquiry.Status.OPEN:
        raise ValidationError(_("The inquiry is not open."), code="not_open")
    inquiry.status = Inquiry.Status.CLOSED
    inquiry.save(update_fields=["status"])
    return inquiry


def inquiry_share_results(*, inquiry: Inquiry, actor: User, share: bool) -> Inquiry:
    """Show (or stop showing) the totals to those asked; the sender may
    decide once the answers are in, the inquiry open or closed."""
    if not permissions.can_manage_inquiry(actor, inquiry):
        raise ValidationError(_("You cannot change this inquiry."), code="not_allowed")
    if inquiry.status == Inquiry.Status.DRAFT:
        raise ValidationError(_("The inquiry has not been sent."), code="draft")
    inquiry.share_results = share
    inquiry.save(update_fields=["share_results"])
    return inquiry


@transaction.atomic
def inquiry_extend(
    *,
    inquiry: Inquiry,
    actor: User,
    deadline_on: datetime.date,
    deadline_time: datetime.time | None = None,
    message: str = "",
) -> Inquiry:
    """Move the deadline later and tell every organisation asked.

    Reminders count from the new deadline, so they are sent again.
    """
    if not permissions.can_manage_inquiry(actor, inquiry):
        raise ValidationError(_("You cannot change this inquiry."), code="not_allowed")
    if inquiry.status != Inquiry.Status.OPEN:
        raise ValidationError(_("The inquiry is not open."), code="not_open")
    old = deadline_text(inquiry)
    old_at = inquiry.deadline_at
    inquiry.deadline_on = deadline_on
    inquiry.deadline_time = deadline_time
    if inquiry.deadline_at <= old_at:
        raise ValidationError(
            _("The new deadline must be later than the current one."),
            code="not_later",
        )
    if inquiry.is_past_deadline():
        raise ValidationError(
            _("The new deadline has already passed; choose a later one."),
            code="past",
        )
    inquiry.save(update_fields=["deadline_on", "deadline_time"])
    inquiry.recipients.update(reminded_before_at=None, reminded_on_day_at=None)
    organisations = list(inquiry.recipients.values_list("organisation_id", flat=True))
    _mail_on_commit(
        inquiry, "extended", organisations, old_deadline=old, message=message
    )
    return inquiry


# ----- answers -----


def _check_answering(inquiry, actor, organisation, now):
    if not permissions.is_recipient(actor, inquiry) or (
        actor.organisation_id != organisation.pk
    ):
        raise ValidationError(
            _("Your organisation is not asked to answer this inquiry."),
            code="not_a_recipient",
        )
    if not inquiry.accepts_answers(now):
        raise ValidationError(
            _("The deadline has passed; answers are no longer accepted."),
            code="closed",
        )


def answer_for(*, inquiry: Inquiry, organisation: Organisation) -> Answer | None:
    return Answer.objects.filter(inquiry=inquiry, organisation=organisation).first()


@transaction.atomic
def answer_save(
    *,
    inquiry: Inquiry,
    organisation: Organisation,
    actor: User,
    values: dict,
    submit: bool = False,
    not_applicable: bool = False,
    uploads: dict | None = None,
) -> Answer:
    """Save an organisation's answer as a draft, or submit it.

    ``values`` are already checked (boards.inquiries.values); a submission
    checks required questions too, unless it is 「該当なし」. ``uploads``
    maps a file question's key to its new PreparedUpload. Each submission
    is kept as an AnswerVersion.
    """
    now = timezone.now()
    _check_answering(inquiry, actor, organisation, now)
    answer, _created = Answer.objects.select_for_update().get_or_create(
        inquiry=inquiry, organisation=organisation, defaults={"updated_by": actor}
    )
    questions = list(inquiry.questions.all())
    merged = {}
    for question in questions:
        if question.kind == Question.Kind.FILE:
            merged[question.key] = values.get(
                question.key, answer.values.get(question.key)
            )
        else:
            merged[question.key] = values.get(question.key)
    uploads = uploads or {}
    if submit and not not_applicable:
        # Checked before any file is written, so a refusal stores nothing.
        errors = {}
        for question in questions:
            given = (
                {"name": uploads[question.key].original_name}
                if question.key in uploads
                else merged[question.key]
            )
            try:
                answer_values.check_required(question, given)
            except ValidationError as error:
                errors[question.key] = error
        if errors:
            raise ValidationError(errors)
    for key, upload in uploads.items():
        question = next(q for q in questions if q.key == key)
        (stored,) = _store_files(
            [upload], lambda q=question: AnswerFile(answer=answer, question=q)
        )
        merged[key] = {"file": stored.pk, "name": stored.original_name}
    answer.values = merged
    answer.not_applicable = not_applicable
    answer.updated_by = actor
    answer.updated_at = now
    if submit:
        answer.status = Answer.Status.SUBMITTED
        answer.submitted_by = actor
        answer.submitted_at = now
        answer.submitted_late = inquiry.is_past_deadline(now)
    else:
        answer.status = Answer.Status.DRAFT
    answer.full_clean()
    answer.save()
    if submit:
        AnswerVersion.objects.create(
            answer=answer,
            number=answer.versions.count() + 1,
            values=merged,
            not_applicable=not_applicable,
            submitted_by=actor,
            submitted_at=now,
        )
    return answer


def answer_import(
    *, inquiry: Inquiry, organisation: Organisation, actor: User, data: bytes
) -> Answer:
    """Submit the answer filled in a downloaded sheet; all of it, or nothing."""
    now = timezone.now()
    _check_answering(inquiry, actor, organisation, now)
    saved = answer_for(inquiry=inquiry, organisation=organisation)
    sheet = read_answer_sheet(
        data=data,
        inquiry=inquiry,
        organisation=organisation,
        saved=saved.values if saved else None,
    )
    return answer_save(
        inquiry=inquiry,
        organisation=organisation,
        actor=actor,
        values=sheet.values,
        submit=True,
        not_applicable=sheet.not_applicable,
    )


# ----- mail -----


def _addresses(organisation_ids):
    """Each organisation's active staff who take mail, and its contact address."""
    users = member_permissions.members_area_users(
        User.objects.filter(
            organisation_id__in=organisation_ids, mail_bouncing_since__isnull=True
        )
    )
    addresses = {pk: set() for pk in organisation_ids}
    for organisation_id, email in users.values_list("organisation_id", "email"):
        addresses[organisation_id].add(email)
    for pk, email in Organisation.objects.filter(pk__in=organisation_ids).values_list(
        "pk", "contact_email"
    ):
        if email:
            addresses[pk].add(email)
    return addresses


def _mail_context(inquiry, **extra):
    return {
        "inquiry": inquiry,
        "sender": inquiry.sender_organisation.full_name,
        "deadline": deadline_text(inquiry),
        "answer_url": site_link(reverse("inquiries:answer", args=[inquiry.pk])),
        **extra,
    }


def _mail(inquiry, template, organisation_ids, **extra):
    context = _mail_context(inquiry, **extra)
    for addresses in _addresses(organisation_ids).values():
        if addresses:
            mail_send(
                to=sorted(addresses),
                template=f"{MAIL_TEMPLATES}/{template}",
                context=context,
            )


@task
def send_inquiry_mail(*, inquiry_id, template, organisation_ids, extra=None):
    """Mail an inquiry's notice to each organisation's staff."""
    inquiry = Inquiry.objects.with_sender().get(pk=inquiry_id)
    _mail(inquiry, template, organisation_ids, **(extra or {}))


def _mail_on_commit(inquiry, template, organisation_ids, **extra):
    transaction.on_commit(
        lambda: send_inquiry_mail.enqueue(
            inquiry_id=inquiry.pk,
            template=template,
            organisation_ids=list(organisation_ids),
            extra=extra,
        )
    )


def _waiting(inquiry):
    """Recipients whose organisation has not submitted an answer."""
    submitted = Answer.objects.submitted().filter(
        inquiry=OuterRef("inquiry"), organisation=OuterRef("organisation")
    )
    return inquiry.recipients.exclude(Exists(submitted))


@transaction.atomic
def inquiry_remind(*, inquiry: Inquiry, actor: User) -> int:
    """The sender reminds every organisation that has not answered, once a day."""
    if not permissions.can_manage_inquiry(actor, inquiry):
        raise ValidationError(
            _("You cannot remind for this inquiry."), code="not_allowed"
        )
    if not inquiry.accepts_answers():
        raise ValidationError(_("The inquiry no longer takes answers."), code="closed")
    now = timezone.now()
    last = inquiry.reminded_by_hand_at
    if last and timezone.localdate(last) == timezone.localdate(now):
        raise ValidationError(
            _("A reminder was already sent today."), code="reminded_today"
        )
    organisations = list(_waiting(inquiry).values_list("organisation_id", flat=True))
    inquiry.reminded_by_hand_at = now
    inquiry.save(update_fields=["reminded_by_hand_at"])
    _mail_on_commit(inquiry, "reminder", organisations)
    return len(organisations)


def reminders_send(now=None) -> int:
    """Mail the reminders that are due: N days before the deadline and on
    its day, from REMINDERS_FROM_HOUR, to organisations that have not
    answered, once each.

    A recipient is marked in the same transaction as its mail is queued,
    so a repeated run (or two at once) sends none twice.
    """
    now = now or timezone.now()
    if timezone.localtime(now).hour < REMINDERS_FROM_HOUR:
        return 0
    today = timezone.localdate(now)
    sent = 0
    for inquiry in Inquiry.objects.open().with_sender():
        if inquiry.is_past_deadline(now):
            continue
        window = inquiry.deadline_on - datetime.timedelta(days=inquiry.reminder_days)
        if today == inquiry.deadline_on:
            mark = "reminded_on_day_at"
        elif window <= today and timezone.localdate(inquiry.sent_at) < window:
            # Not for an inquiry sent within the window: its notice is new.
            mark = "reminded_before_at"
        else:
            continue
        with transaction.atomic():
            due = list(
                _waiting(inquiry)
                .filter(**{f"{mark}__isnull": True})
                .order_by("pk")
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", "organisation_id")
            )
            if not due:
                continue
            Recipient.objects.filter(pk__in=[pk for pk, _org in due]).update(
                **{mark: now}
            )
            _mail(
                inquiry,
                "reminder",
                [organisation for _pk, organisation in due],
                on_the_day=mark == "reminded_on_day_at",
            )
            sent += len(due)
    return sent


@task
def send_inquiry_reminders() -> int:
    """The reminders due now (the mail scheduler runs this every few minutes)."""
    return reminders_send()
