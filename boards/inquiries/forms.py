"""Forms of 照会: the inquiry, its questions, an answer, an upload, an
extension. They only check input; boards.services.inquiries does the rest."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.common.widgets import QuickSelect
from members.models import Organisation

from ..attachments import DOCUMENT_TYPES, clean_file_name, prepare_upload
from ..fields import AttachmentField
from ..forms import DateInput
from ..models import Inquiry, Question
from . import permissions
from . import values as answer_values

XLSX = DOCUMENT_TYPES["xl/workbook.xml"].content_type


class TimeInput(forms.TimeInput):
    input_type = "time"


class OrganisationsSelect(QuickSelect, forms.SelectMultiple):
    """Hundreds of organisations, written in one pass."""


class OrganisationChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name


class AnyChoices(forms.MultipleChoiceField):
    """Checkboxes whose values boards.inquiries.values checks, as it does
    for an upload, so both refuse a choice not in the list alike."""

    def validate(self, value):
        pass


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class InquiryForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("For example: 「観光イベントの実施状況について(照会)」"),
    )
    body = forms.CharField(
        label=_("Body"),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        help_text=_("Markdown can be used."),
    )
    deadline_on = forms.DateField(label=_("Deadline"), widget=DateInput)
    deadline_time = forms.TimeField(
        label=_("Deadline time"),
        required=False,
        widget=TimeInput,
        help_text=_("Leave empty for the end of the day."),
    )
    audience = forms.ChoiceField(
        label=_("Addressed to"), widget=forms.RadioSelect, choices=()
    )
    prefectures = OrganisationChoiceField(
        label=_("Prefectures"),
        queryset=Organisation.objects.prefectures().order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    kinds = forms.MultipleChoiceField(
        label=_("Kinds of organisation"),
        choices=Organisation.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    organisations = OrganisationChoiceField(
        label=_("Chosen organisations"),
        queryset=Organisation.objects.members().with_prefecture().order_by("code"),
        required=False,
        widget=OrganisationsSelect(attrs={"size": 10}),
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose several."),
    )
    late_answers_allowed = forms.BooleanField(
        label=_("Accept answers after the deadline"), required=False
    )
    share_results = forms.BooleanField(
        label=_("Share the totals with those who answer"),
        required=False,
        help_text=_("Counts per choice only; no organisation is named."),
    )
    reminder_days = forms.IntegerField(
        label=_("Remind this many days before the deadline"),
        min_value=0,
        max_value=30,
        initial=3,
    )
    attachments = AttachmentField(label=_("Attachments"), required=False)

    AUDIENCE_FIELDS = {
        Inquiry.Audience.PREFECTURES: "prefectures",
        Inquiry.Audience.KINDS: "kinds",
        Inquiry.Audience.CHOSEN: "organisations",
    }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = permissions.audiences_for(user)
        self.fields["audience"].choices = [
            choice for choice in Inquiry.Audience.choices if choice[0] in allowed
        ]
        self.fields["audience"].initial = allowed[0] if len(allowed) == 1 else None
        for audience, name in self.AUDIENCE_FIELDS.items():
            if audience not in allowed:
                del self.fields[name]

    def clean_deadline_on(self):
        deadline = self.cleaned_data["deadline_on"]
        if deadline < timezone.localdate():
            raise ValidationError(
                _("The deadline cannot be in the past."), code="past_deadline"
            )
        return deadline

    def clean(self):
        cleaned_data = super().clean()
        name = self.AUDIENCE_FIELDS.get(cleaned_data.get("audience"))
        if name and not cleaned_data.get(name):
            self.add_error(
                name,
                ValidationError(
                    _("Choose whom the inquiry is addressed to."), code="no_audience"
                ),
            )
        return cleaned_data

    def service_arguments(self):
        data = self.cleaned_data
        return {
            "title": data["title"],
            "body": data["body"],
            "deadline_on": data["deadline_on"],
            "deadline_time": data["deadline_time"],
            "audience": data["audience"],
            "prefectures": list(data.get("prefectures") or []),
            "kinds": list(data.get("kinds") or []),
            "organisations": list(data.get("organisations") or []),
            "late_answers_allowed": data["late_answers_allowed"],
            "share_results": data["share_results"],
            "reminder_days": data["reminder_days"],
            "uploads": data["attachments"],
        }

    @classmethod
    def initial_from(cls, inquiry):
        return {
            "title": inquiry.title,
            "body": inquiry.body,
            "deadline_on": inquiry.deadline_on,
            "deadline_time": inquiry.deadline_time,
            "audience": inquiry.audience,
            "prefectures": list(inquiry.audience_prefectures.all()),
            "kinds": inquiry.audience_kinds,
            "organisations": list(inquiry.audience_organisations.all()),
            "late_answers_allowed": inquiry.late_answers_allowed,
            "share_results": inquiry.share_results,
            "reminder_days": inquiry.reminder_days,
        }


MAX_CHOICES = 100
MAX_TABLE_SIDE = 50


class QuestionForm(forms.Form):
    """One question of the builder."""

    text = forms.CharField(label=_("Question"), max_length=500)
    kind = forms.ChoiceField(label=_("Kind of answer"), choices=Question.Kind.choices)
    required = forms.BooleanField(label=_("Required"), required=False)
    help_text = forms.CharField(
        label=_("Help text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    unit = forms.CharField(
        label=_("Unit"),
        max_length=20,
        required=False,
        help_text=_("For numbers, e.g. 人, 件, 千円."),
    )
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line."),
    )
    table_rows = forms.CharField(
        label=_("Rows of the table"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One label per line."),
    )
    table_columns = forms.CharField(
        label=_("Columns of the table"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One label per line."),
    )
    cell_kind = forms.ChoiceField(
        label=_("Table cells"),
        choices=Question.CellKind.choices,
        initial=Question.CellKind.NUMBER,
    )

    def _list(self, name, limit, *, length):
        items = _lines(self.cleaned_data.get(name))
        if len(items) > limit:
            self.add_error(
                name,
                ValidationError(
                    _("At most %(limit)s lines."),
                    code="too_many",
                    params={"limit": limit},
                ),
            )
        if len(set(items)) != len(items):
            self.add_error(
                name, ValidationError(_("Each line must differ."), code="duplicate")
            )
        if any(len(item) > length for item in items):
            self.add_error(
                name,
                ValidationError(
                    _("Each line can have at most %(length)s characters."),
                    code="too_long",
                    params={"length": length},
                ),
            )
        return items

    def clean(self):
        cleaned_data = super().clean()
        kind = cleaned_data.get("kind")
        choices = self._list("choices", MAX_CHOICES, length=200)
        rows = self._list("table_rows", MAX_TABLE_SIDE, length=100)
        columns = self._list("table_columns", MAX_TABLE_SIDE, length=100)
        is_choice = kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE)
        if is_choice and len(choices) < 2:
            self.add_error(
                "choices",
                ValidationError(
                    _("Give at least two choices, one per line."), code="no_choices"
                ),
            )
        if kind == Question.Kind.TABLE:
            for name, items in (("table_rows", rows), ("table_columns", columns)):
                if not items:
                    self.add_error(
                        name,
                        ValidationError(
                            _("Give at least one label."), code="no_labels"
                        ),
                    )
        cleaned_data["question"] = {
            "kind": kind,
            "text": cleaned_data.get("text", ""),
            "help_text": cleaned_data.get("help_text", ""),
            "required": cleaned_data.get("required", False),
            "unit": cleaned_data.get("unit", "")
            if kind == Question.Kind.NUMBER
            else "",
            "choices": choices
            if kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE)
            else [],
            "table_rows": rows if kind == Question.Kind.TABLE else [],
            "table_columns": columns if kind == Question.Kind.TABLE else [],
            "cell_kind": cleaned_data.get("cell_kind") or Question.CellKind.NUMBER,
        }
        return cleaned_data

    @staticmethod
    def initial_from(question):
        return {
            "text": question.text,
            "kind": question.kind,
            "required": question.required,
            "help_text": question.help_text,
            "unit": question.unit,
            "choices": "\n".join(question.choices),
            "table_rows": "\n".join(question.table_rows),
            "table_columns": "\n".join(question.table_columns),
            "cell_kind": question.cell_kind,
        }


MAX_QUESTIONS = 60

QuestionFormSet = formset_factory(
    QuestionForm,
    extra=0,
    max_num=MAX_QUESTIONS,
    validate_max=True,
    min_num=1,
    validate_min=True,
)


def cell_name(question, row, column):
    return f"q{question.pk}_r{row}_c{column}"


class AnswerForm(forms.Form):
    """An organisation's answer, one field per question (a table: per cell).

    Every value is checked by boards.inquiries.values, as an upload is.
    Required questions are checked when the answer is submitted.
    """

    def __init__(self, *args, questions, answer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        current = answer.values if answer else {}
        self.files_given = {}
        for question in self.questions:
            value = current.get(question.key)
            if question.kind == Question.Kind.TABLE:
                grid = value or answer_values.empty_table(question)
                for r, row_label in enumerate(question.table_rows):
                    for c, column_label in enumerate(question.table_columns):
                        self.fields[cell_name(question, r, c)] = forms.CharField(
                            label=f"{row_label} {column_label}",
                            required=False,
                            initial=grid[r][c] if r < len(grid) else None,
                            widget=forms.TextInput(
                                attrs={"inputmode": "decimal"}
                                if question.cell_kind == "number"
                                else {}
                            ),
                        )
                continue
            self.fields[f"q{question.pk}"] = self._field(question, value)

    def _field(self, question, value):
        common = {
            "label": question.text,
            "required": False,
            "help_text": question.help_text,
        }
        Kind = Question.Kind
        match question.kind:
            case Kind.LONG_TEXT:
                return forms.CharField(
                    widget=forms.Textarea(attrs={"rows": 4}), initial=value, **common
                )
            case Kind.NUMBER:
                return forms.CharField(
                    widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                    initial=value,
                    **common,
                )
            case Kind.DATE:
                return forms.CharField(widget=DateInput, initial=value, **common)
            case Kind.SINGLE_CHOICE:
                return forms.CharField(
                    widget=forms.RadioSelect(
                        choices=[(c, c) for c in question.choices]
                    ),
                    initial=value,
                    **common,
                )
            case Kind.MULTIPLE_CHOICE:
                return AnyChoices(
                    widget=forms.CheckboxSelectMultiple,
                    choices=[(c, c) for c in question.choices],
                    initial=value or [],
                    **common,
                )
            case Kind.YES_NO:
                return forms.ChoiceField(
                    widget=forms.RadioSelect,
                    choices=[("yes", _("Yes")), ("no", _("No"))],
                    initial={True: "yes", False: "no"}.get(value),
                    **common,
                )
            case Kind.FILE:
                return forms.FileField(**common)
        return forms.CharField(initial=value, max_length=None, **common)

    def clean(self):
        cleaned_data = super().clean()
        values = {}
        self.uploads = {}
        for question in self.questions:
            name = f"q{question.pk}"
            if question.kind == Question.Kind.TABLE:
                grid = []
                for r in range(len(question.table_rows)):
                    cells = []
                    for c in range(len(question.table_columns)):
                        cell = cell_name(question, r, c)
                        try:
                            cells.append(
                                answer_values.clean_cell(
                                    question, self.data.get(self.add_prefix(cell))
                                )
                            )
                        except ValidationError as error:
                            self.add_error(cell, error)
                            cells.append(None)
                    grid.append(cells)
                values[question.key] = grid
            elif question.kind == Question.Kind.FILE:
                uploaded = cleaned_data.get(name)
                if uploaded:
                    try:
                        self.uploads[question.key] = prepare_upload(uploaded)
                    except ValidationError as error:
                        self.add_error(name, error)
            elif question.kind == Question.Kind.MULTIPLE_CHOICE:
                raw = (
                    self.data.getlist(self.add_prefix(name))
                    if hasattr(self.data, "getlist")
                    else []
                )
                try:
                    values[question.key] = answer_values.clean_value(question, raw)
                except ValidationError as error:
                    self.add_error(name, error)
            else:
                try:
                    values[question.key] = answer_values.clean_value(
                        question, self.data.get(self.add_prefix(name))
                    )
                except ValidationError as error:
                    self.add_error(name, error)
        cleaned_data["values"] = values
        return cleaned_data

    def add_required_errors(self, error):
        """Put a service's per-question 'required' errors on their fields."""
        for key, messages in error.message_dict.items():
            question = next(q for q in self.questions if q.key == key)
            name = (
                cell_name(question, 0, 0)
                if question.kind == Question.Kind.TABLE
                else f"q{question.pk}"
            )
            for message in messages:
                self.add_error(name, ValidationError(message, code="required"))

    def table_grid(self, question):
        """The bound fields of a table question, row by row, for the page."""
        return [
            (
                label,
                [
                    self[cell_name(question, r, c)]
                    for c in range(len(question.table_columns))
                ],
            )
            for r, label in enumerate(question.table_rows)
        ]


class AnswerUploadForm(forms.Form):
    sheet = forms.FileField(
        label=_("Filled answer sheet (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{XLSX}"}),
    )

    def clean_sheet(self):
        try:
            upload = prepare_upload(self.cleaned_data["sheet"])
        except ValidationError as error:
            if error.code not in ("unsupported_type", "legacy_office"):
                raise
            # Not the general advice for attachments (PDF, images...): only
            # the answer sheet is read here, CSV (often Shift_JIS) included.
            raise ValidationError(
                _(
                    "“%(name)s” is not an answer sheet. Fill in the answer "
                    "sheet downloaded from this page (.xlsx) and upload it; "
                    "CSV files and .xls workbooks are not read."
                ),
                code="not_xlsx",
                params={"name": clean_file_name(self.cleaned_data["sheet"].name)},
            ) from error
        if upload.content_type != XLSX:
            raise ValidationError(
                _("Upload the answer sheet as an Excel file (.xlsx)."),
                code="not_xlsx",
            )
        return upload.content


class ExtendForm(forms.Form):
    deadline_on = forms.DateField(label=_("New deadline"), widget=DateInput)
    deadline_time = forms.TimeField(
        label=_("Deadline time"),
        required=False,
        widget=TimeInput,
        help_text=_("Leave empty for the end of the day."),
    )
    message = forms.CharField(
        label=_("Message to the organisations asked"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
