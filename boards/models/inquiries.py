"""照会: an organisation's questions with a deadline, and one answer per
organisation that must give one."""

import datetime
import uuid
from pathlib import PurePosixPath

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from members.models import Organisation


def inquiry_file_path(instance, filename):
    """A non-guessable name; the uploaded name is kept only in the database."""
    suffix = PurePosixPath(filename).suffix.lower()
    return f"inquiries/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class StoredFile(models.Model):
    """The columns boards.attachments.PreparedUpload.store fills in."""

    file = models.FileField(_("file"), upload_to=inquiry_file_path, max_length=200)
    thumbnail = models.FileField(
        _("thumbnail"), upload_to=inquiry_file_path, max_length=200, blank=True
    )
    original_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=20)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["pk"]

    def __str__(self):
        return self.original_name


class InquiryQuerySet(models.QuerySet):
    def sent_by(self, organisation_id) -> "InquiryQuerySet":
        """Those an organisation sent, drafts included."""
        return self.filter(sender_organisation_id=organisation_id)

    def sent(self) -> "InquiryQuerySet":
        """Open or closed: no longer drafts."""
        return self.exclude(status=Inquiry.Status.DRAFT)

    def open(self) -> "InquiryQuerySet":
        return self.filter(status=Inquiry.Status.OPEN)

    def with_sender(self) -> "InquiryQuerySet":
        return self.select_related("sender_organisation__prefecture")


class Inquiry(models.Model):
    """A 照会: questions an organisation asks of many, answered by a deadline."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("inquiry status", "Draft")
        OPEN = "open", pgettext_lazy("inquiry status", "Open")
        CLOSED = "closed", pgettext_lazy("inquiry status", "Closed")

    class Audience(models.TextChoices):
        ALL_MEMBERS = "all", _("All member organisations")
        PREFECTURES = "prefectures", _("Members in chosen prefectures")
        WARDS = "wards", _("The 23 special wards")
        KINDS = "kinds", _("Members of chosen kinds")
        CHOSEN = "chosen", _("Chosen organisations")

    title = models.CharField(
        _("title"),
        max_length=200,
        help_text=_("For example: 「観光イベントの実施状況について(照会)」"),
    )
    body = models.TextField(_("body"), blank=True)
    body_html = models.TextField(editable=False, blank=True)
    reference = models.CharField(
        _("reference number"), max_length=20, unique=True, null=True, blank=True
    )
    deadline_on = models.DateField(_("deadline"))
    deadline_time = models.TimeField(
        _("deadline time"),
        null=True,
        blank=True,
        help_text=_("Leave empty for the end of the day."),
    )
    sender_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        "members.User",
        verbose_name=_("made by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("made at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    audience = models.CharField(
        _("addressed to"),
        max_length=20,
        choices=Audience.choices,
        default=Audience.CHOSEN,
    )
    audience_prefectures = models.ManyToManyField(
        Organisation,
        verbose_name=_("prefectures"),
        blank=True,
        related_name="+",
        limit_choices_to={"kind": Organisation.Kind.PREFECTURE},
    )
    audience_kinds = ArrayField(
        models.CharField(max_length=20, choices=Organisation.Kind.choices),
        verbose_name=_("kinds of organisation"),
        default=list,
        blank=True,
    )
    audience_organisations = models.ManyToManyField(
        Organisation,
        verbose_name=_("chosen organisations"),
        blank=True,
        related_name="+",
    )
    late_answers_allowed = models.BooleanField(
        _("accept answers after the deadline"), default=False
    )
    share_results = models.BooleanField(
        _("share the totals with those who answer"),
        default=False,
        help_text=_("Counts per choice only; no organisation is named."),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("remind this many days before the deadline"), default=3
    )
    reminded_by_hand_at = models.DateTimeField(
        _("last reminded by hand at"), null=True, blank=True
    )

    objects = InquiryQuerySet.as_manager()

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(reference__isnull=False),
                name="boards_inquiry_sent_has_reference",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def deadline_at(self) -> datetime.datetime:
        """The moment answers are due: the time given, else the day's end."""
        if self.deadline_time is not None:
            moment = datetime.datetime.combine(self.deadline_on, self.deadline_time)
        else:
            moment = datetime.datetime.combine(
                self.deadline_on + datetime.timedelta(days=1), datetime.time()
            )
        return timezone.make_aware(moment)

    def is_past_deadline(self, now=None) -> bool:
        return (now or timezone.now()) >= self.deadline_at

    def accepts_answers(self, now=None) -> bool:
        """Open, and before the deadline unless late answers are accepted."""
        return self.status == self.Status.OPEN and (
            self.late_answers_allowed or not self.is_past_deadline(now)
        )


class Question(models.Model):
    """One question of an inquiry, in the sender's order."""

    class Kind(models.TextChoices):
        SHORT_TEXT = "short_text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        SINGLE_CHOICE = "single_choice", _("One choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Several choices")
        YES_NO = "yes_no", _("Yes or no")
        FILE = "file", _("File")
        TABLE = "table", _("Table")

    class CellKind(models.TextChoices):
        NUMBER = "number", _("Numbers")
        TEXT = "text", _("Short text")

    inquiry = models.ForeignKey(
        Inquiry,
        verbose_name=_("inquiry"),
        on_delete=models.CASCADE,
        related_name="questions",
    )
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind of answer"), max_length=20, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=500)
    help_text = models.TextField(_("help text"), blank=True)
    required = models.BooleanField(_("required"), default=False)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    choices = ArrayField(
        models.CharField(max_length=200),
        verbose_name=_("choices"),
        default=list,
        blank=True,
    )
    table_rows = ArrayField(
        models.CharField(max_length=100),
        verbose_name=_("rows"),
        default=list,
        blank=True,
    )
    table_columns = ArrayField(
        models.CharField(max_length=100),
        verbose_name=_("columns"),
        default=list,
        blank=True,
    )
    cell_kind = models.CharField(
        _("table cells"),
        max_length=20,
        choices=CellKind.choices,
        default=CellKind.NUMBER,
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["inquiry", "position"], name="boards_question_position_unique"
            ),
        ]

    def __str__(self):
        return self.text

    @property
    def key(self) -> str:
        """Where the question's value is kept in an answer's values."""
        return str(self.pk)


class Recipient(models.Model):
    """An organisation that must answer, fixed when the inquiry is sent."""

    inquiry = models.ForeignKey(
        Inquiry,
        verbose_name=_("inquiry"),
        on_delete=models.CASCADE,
        related_name="recipients",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # One mark per reminder kind, so a repeated run reminds nobody twice.
    reminded_before_at = models.DateTimeField(
        _("reminded before the deadline at"), null=True, blank=True
    )
    reminded_on_day_at = models.DateTimeField(
        _("reminded on the deadline at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["organisation__code", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["inquiry", "organisation"],
                name="boards_recipient_once_per_inquiry",
            ),
        ]

    def __str__(self):
        return f"{self.inquiry}: {self.organisation}"


class AnswerQuerySet(models.QuerySet):
    def submitted(self) -> "AnswerQuerySet":
        """Answers given at least once (a later draft does not undo that)."""
        return self.filter(submitted_at__isnull=False)


class Answer(models.Model):
    """An organisation's answer to an inquiry: one per organisation.

    ``values`` is the working copy staff edit; what was submitted is the
    newest AnswerVersion.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("answer status", "Drafting")
        SUBMITTED = "submitted", pgettext_lazy("answer status", "Submitted")

    inquiry = models.ForeignKey(
        Inquiry,
        verbose_name=_("inquiry"),
        on_delete=models.CASCADE,
        related_name="answers",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    values = models.JSONField(_("values"), default=dict, blank=True)
    not_applicable = models.BooleanField(_("not applicable"), default=False)
    updated_by = models.ForeignKey(
        "members.User",
        verbose_name=_("last saved by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("last saved at"), default=timezone.now)
    submitted_by = models.ForeignKey(
        "members.User",
        verbose_name=_("submitted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("answer submitted at"), null=True, blank=True)
    submitted_late = models.BooleanField(
        _("submitted after the deadline"), default=False
    )

    objects = AnswerQuerySet.as_manager()

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["inquiry", "organisation"],
                name="boards_answer_once_per_organisation",
            ),
        ]

    def __str__(self):
        return f"{self.inquiry}: {self.organisation}"


class AnswerVersion(models.Model):
    """One submission of an answer, kept as it was."""

    answer = models.ForeignKey(
        Answer,
        verbose_name=_("answer"),
        on_delete=models.CASCADE,
        related_name="versions",
    )
    number = models.PositiveIntegerField(_("version"))
    values = models.JSONField(_("values"), default=dict, blank=True)
    not_applicable = models.BooleanField(_("not applicable"), default=False)
    submitted_by = models.ForeignKey(
        "members.User",
        verbose_name=_("submitted by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("answer submitted at"), default=timezone.now)

    class Meta:
        verbose_name = _("answer version")
        verbose_name_plural = _("answer versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["answer", "number"], name="boards_answer_version_unique"
            ),
        ]

    def __str__(self):
        return f"{self.answer} #{self.number}"


def latest_version(field):
    """A subquery of the newest submitted version's field, for Answer rows."""
    return models.Subquery(
        AnswerVersion.objects.filter(answer=OuterRef("pk"))
        .order_by("-number")
        .values(field)[:1]
    )


class InquiryAttachment(StoredFile):
    """A file sent with an inquiry, e.g. the 回答様式 or a notice in PDF."""

    inquiry = models.ForeignKey(
        Inquiry,
        verbose_name=_("inquiry"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )

    class Meta(StoredFile.Meta):
        verbose_name = _("inquiry attachment")
        verbose_name_plural = _("inquiry attachments")


class AnswerFile(StoredFile):
    """A file given as the answer to a file question."""

    answer = models.ForeignKey(
        Answer,
        verbose_name=_("answer"),
        on_delete=models.CASCADE,
        related_name="files",
    )
    question = models.ForeignKey(
        Question,
        verbose_name=_("question"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    class Meta(StoredFile.Meta):
        verbose_name = _("answer file")
        verbose_name_plural = _("answer files")
