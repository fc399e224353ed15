"""Answers in Excel: the answer sheet an organisation fills offline and
uploads again, and the sender's workbook and CSV of every answer.

The answer sheet has a hidden sheet naming the inquiry, the organisation
and a fingerprint of the questions; an upload must match all three. The
cells to fill are unlocked in a protected sheet, with lists for choices
(from a hidden sheet when too long for Excel's 255 characters). That guides
people in Excel; the upload itself is checked again in full, with
boards.inquiries.values, and refused as a whole if any cell is wrong.
"""

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from members.common.eras import format_wareki
from members.common.spreadsheets import (
    FORMULA_TRIGGERS,
    Sheet,
    spreadsheet_safe,
    xlsx_workbook,
)
from members.models import Organisation

from ..models import Answer, Question, Recipient
from ..models.inquiries import latest_version
from . import values as answer_values

Kind = Question.Kind

ANSWER_SHEET = "回答"
META_SHEET = "renkei"
LISTS_SHEET = "lists"
FORMAT_VERSION = "1"
# The sheet's own rows end well before this; a sheet longer than this was
# not made here and is refused before it is read into memory.
ROW_LIMIT = 5000
LITERAL_LIST_MAX = 255

ANSWER_COLUMN = 4  # D: the first cell to fill on each question's row
NOT_APPLICABLE_ROW = 5
HEADER_ROW = 7
FIRST_QUESTION_ROW = 8

INPUT_FILL = PatternFill("solid", start_color="FFF2CC", end_color="FFF2CC")
HEADER_FILL = PatternFill("solid", start_color="D9E2F3", end_color="D9E2F3")
WRAP = Alignment(wrap_text=True, vertical="top")


def _cell(column, row):
    return f"{get_column_letter(column)}{row}"


def questions_fingerprint(questions) -> str:
    """What an answer sheet was made for: changes with any question."""
    content = [
        [
            q.pk,
            q.kind,
            q.text,
            q.required,
            q.unit,
            list(q.choices),
            list(q.table_rows),
            list(q.table_columns),
            q.cell_kind,
        ]
        for q in questions
    ]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()[
        :20
    ]


@dataclass
class Place:
    """Where a question sits on the answer sheet."""

    question: Question
    row: int
    # Several choices: one row per choice. A table: its rows of cells.
    rows: list[int] = field(default_factory=list)

    @property
    def last_row(self):
        return self.rows[-1] if self.rows else self.row


def layout(questions) -> list[Place]:
    """The rows of every question; the same for writing and for reading."""
    places, row = [], FIRST_QUESTION_ROW
    for question in questions:
        place = Place(question, row)
        if question.kind == Kind.MULTIPLE_CHOICE:
            place.rows = list(range(row + 1, row + 1 + len(question.choices)))
        elif question.kind == Kind.TABLE:
            # A header row of column labels, then the rows of cells.
            first = row + 2
            place.rows = list(range(first, first + len(question.table_rows)))
        places.append(place)
        row = place.last_row + 1
    return places


# ----- the answer sheet -----


class _Lists:
    """Validation lists, literal when short enough, else from a hidden sheet."""

    def __init__(self, workbook):
        self.workbook = workbook
        self.sheet = None
        self.columns = 0

    def formula(self, items):
        literal = ",".join(items)
        if len(literal) <= LITERAL_LIST_MAX and not any(
            "," in item or '"' in item for item in items
        ):
            return f'"{literal}"'
        if self.sheet is None:
            self.sheet = self.workbook.create_sheet(LISTS_SHEET)
            self.sheet.sheet_state = "hidden"
        self.columns += 1
        for number, item in enumerate(items, start=1):
            self.sheet.cell(number, self.columns).value = spreadsheet_safe(item)
        letter = get_column_letter(self.columns)
        return f"{quote_sheetname(LISTS_SHEET)}!${letter}$1:${letter}${len(items)}"


def _validation(sheet, formula, ref):
    check = DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("Not in the list")[:32],
        error=_("Choose from the list.")[:224],
    )
    sheet.add_data_validation(check)
    check.add(ref)


def _input(sheet, column, row, value=None):
    cell = sheet.cell(row, column)
    if value is not None:
        cell.value = spreadsheet_safe(value) if isinstance(value, str) else value
    cell.protection = Protection(locked=False)
    cell.fill = INPUT_FILL
    cell.alignment = WRAP
    return cell


def _text(sheet, column, row, value, **style):
    cell = sheet.cell(row, column)
    cell.value = spreadsheet_safe(str(value)) if value is not None else None
    cell.alignment = WRAP
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def answer_sheet(*, inquiry, organisation, answer=None) -> bytes:
    """The .xlsx an organisation fills offline, with its saved draft in it."""
    questions = list(inquiry.questions.all())
    current = answer.values if answer else {}
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = ANSWER_SHEET
    lists = _Lists(workbook)
    bold = Font(bold=True)

    _text(sheet, 1, 1, inquiry.title, font=Font(bold=True, size=14))
    _text(sheet, 1, 2, _("Reference number"))
    _text(sheet, 2, 2, inquiry.reference or "")
    _text(sheet, 1, 3, _("Deadline"))
    _text(sheet, 2, 3, deadline_text(inquiry))
    _text(sheet, 1, 4, _("Answering organisation"))
    _text(sheet, 2, 4, f"{organisation.full_name} ({organisation.code or '-'})")
    _text(sheet, 1, NOT_APPLICABLE_ROW, _("Not applicable"), font=bold)
    _text(
        sheet,
        2,
        NOT_APPLICABLE_ROW,
        _("Enter ○ in the yellow cell if none of this applies to you."),
    )
    _input(
        sheet,
        ANSWER_COLUMN,
        NOT_APPLICABLE_ROW,
        answer_values.MARK if answer and answer.not_applicable else None,
    )
    _validation(
        sheet, f'"{answer_values.MARK}"', _cell(ANSWER_COLUMN, NOT_APPLICABLE_ROW)
    )
    _text(
        sheet,
        1,
        6,
        _(
            "Fill in the yellow cells, then upload this file on the answer "
            "page. Do not add or remove rows."
        ),
    )
    for column, label in enumerate(
        [_("No."), _("Question"), _("Required"), _("Answer"), _("Unit"), _("Help")],
        start=1,
    ):
        _text(sheet, column, HEADER_ROW, label, font=bold, fill=HEADER_FILL)

    widest_table = 1
    for number, place in enumerate(layout(questions), start=1):
        question, row = place.question, place.row
        value = current.get(question.key)
        _text(sheet, 1, row, number)
        _text(sheet, 2, row, question.text, font=bold)
        _text(sheet, 3, row, "※" if question.required else "")
        _text(sheet, 5, row, question.unit)
        _text(sheet, 6, row, question.help_text)
        if question.kind == Kind.MULTIPLE_CHOICE:
            _text(sheet, ANSWER_COLUMN, row, _("Enter ○ beside each answer."))
            chosen = set(value or [])
            for choice, choice_row in zip(question.choices, place.rows, strict=True):
                _text(sheet, 2, choice_row, f"　{choice}")
                _input(
                    sheet,
                    ANSWER_COLUMN,
                    choice_row,
                    answer_values.MARK if choice in chosen else None,
                )
                _validation(
                    sheet,
                    f'"{answer_values.MARK}"',
                    _cell(ANSWER_COLUMN, choice_row),
                )
        elif question.kind == Kind.TABLE:
            _text(sheet, ANSWER_COLUMN, row, _("Fill in the table below."))
            widest_table = max(widest_table, len(question.table_columns))
            for offset, label in enumerate(question.table_columns):
                _text(
                    sheet, ANSWER_COLUMN + offset, row + 1, label, font=bold,
                    fill=HEADER_FILL,
                )  # fmt: skip
            grid = value or answer_values.empty_table(question)
            for index, table_row in enumerate(place.rows):
                _text(sheet, 2, table_row, f"　{question.table_rows[index]}")
                for offset in range(len(question.table_columns)):
                    cell = grid[index][offset] if index < len(grid) else None
                    if cell is not None and question.cell_kind == "number":
                        cell = answer_values.number_value(cell)
                    _input(sheet, ANSWER_COLUMN + offset, table_row, cell)
        elif question.kind == Kind.FILE:
            _text(
                sheet,
                ANSWER_COLUMN,
                row,
                _("Attach the file on the answer page of the site."),
            )
        else:
            cell = _input(
                sheet, ANSWER_COLUMN, row, answer_values.cell_value(question, value)
            )
            if question.kind == Kind.DATE:
                cell.number_format = "yyyy/m/d"
            if question.kind == Kind.SINGLE_CHOICE:
                _validation(sheet, lists.formula(question.choices), cell.coordinate)
            elif question.kind == Kind.YES_NO:
                _validation(sheet, f'"{_("Yes")},{_("No")}"', cell.coordinate)
                if value is not None:
                    cell.value = _("Yes") if value else _("No")

    for column, width in {1: 6, 2: 48, 3: 6, 5: 8}.items():
        sheet.column_dimensions[get_column_letter(column)].width = width
    for offset in range(max(widest_table, 1)):
        sheet.column_dimensions[get_column_letter(ANSWER_COLUMN + offset)].width = (
            30 if offset == 0 else 14
        )
    sheet.column_dimensions[get_column_letter(ANSWER_COLUMN + 2)].width = max(
        sheet.column_dimensions[get_column_letter(ANSWER_COLUMN + 2)].width or 0, 40
    )
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.freeze_panes = _cell(1, FIRST_QUESTION_ROW)

    meta = workbook.create_sheet(META_SHEET)
    for row, (key, value) in enumerate(
        [
            ("inquiry", inquiry.pk),
            ("organisation", organisation.pk),
            ("code", organisation.code or ""),
            ("questions", questions_fingerprint(questions)),
            ("format", FORMAT_VERSION),
        ],
        start=1,
    ):
        meta.cell(row, 1).value = key
        meta.cell(row, 2).value = str(value)
    meta.sheet_state = "hidden"
    meta.protection.sheet = True

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def deadline_text(inquiry) -> str:
    """令和8年12月18日 17:00, or the day alone."""
    text = format_wareki(inquiry.deadline_on)
    if inquiry.deadline_time is not None:
        text += f" {inquiry.deadline_time:%H:%M}"
    return text


# ----- reading an uploaded sheet -----


class SheetRefused(ValidationError):
    """The upload as a whole is refused; messages say why (per cell)."""


def _refuse(message, code):
    return SheetRefused(message, code=code)


def _unescape(value):
    """Undo the ' that made text starting with = safe on export."""
    if (
        isinstance(value, str)
        and value.startswith("'")
        and value[1:2]
        and value[1] in FORMULA_TRIGGERS
    ):
        return value[1:]
    return value


def _open(data):
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise _refuse(
            _("This file could not be read as an Excel workbook (.xlsx)."),
            "unreadable",
        ) from None


def _meta(workbook):
    if META_SHEET not in workbook.sheetnames or ANSWER_SHEET not in workbook.sheetnames:
        raise _refuse(
            _(
                "This is not an answer sheet downloaded from this site. Download "
                "the answer sheet on the answer page and fill that in."
            ),
            "not_an_answer_sheet",
        )
    meta = {}
    for row in workbook[META_SHEET].iter_rows(max_row=10, max_col=2, values_only=True):
        if row and row[0] is not None:
            meta[str(row[0])] = "" if row[1] is None else str(row[1])
    return meta


def _cells(sheet, last_row):
    """Cells of the sheet's first rows by (row, column); refuses long sheets."""
    cells = {}
    for number, row in enumerate(sheet.iter_rows(), start=1):
        if number > ROW_LIMIT:
            raise SheetRefused(
                _(
                    "The sheet has more than %(limit)s rows. Upload the answer "
                    "sheet as downloaded, without added rows."
                ),
                code="too_many_rows",
                params={"limit": f"{ROW_LIMIT:,}"},
            )
        if number > last_row:
            continue
        for cell in row:
            column = getattr(cell, "column", None)
            if column is not None and cell.value is not None:
                cells[(cell.row, column)] = cell
    return cells


@dataclass
class SheetAnswer:
    values: dict
    not_applicable: bool


def read_answer_sheet(
    *, data: bytes, inquiry, organisation, saved: dict | None = None
) -> SheetAnswer:
    """The values in an uploaded answer sheet, checked like the web form.

    saved: the organisation's answer as last saved (None: none yet), for
    the files a sheet cannot carry. Raises SheetRefused with every problem,
    each naming its cell (「D9: 数値で入力してください」); the caller saves
    nothing then.
    """
    workbook = _open(data)
    try:
        return _read(workbook, inquiry, organisation, saved or {})
    finally:
        workbook.close()


def _read(workbook, inquiry, organisation, saved):
    meta = _meta(workbook)
    if meta.get("inquiry") != str(inquiry.pk):
        raise _refuse(
            _(
                "This answer sheet is for another inquiry. Download the sheet "
                "of this inquiry and fill that in."
            ),
            "other_inquiry",
        )
    if meta.get("organisation") != str(organisation.pk):
        raise _refuse(
            _(
                "This answer sheet is for another organisation. Download your "
                "organisation's own sheet on the answer page."
            ),
            "other_organisation",
        )
    questions = list(inquiry.questions.all())
    if meta.get("questions") != questions_fingerprint(questions):
        raise _refuse(
            _(
                "The questions have changed since this sheet was downloaded. "
                "Download the answer sheet again and copy your answers into it."
            ),
            "questions_changed",
        )
    places = layout(questions)
    last_row = max([p.last_row for p in places], default=FIRST_QUESTION_ROW)
    cells = _cells(workbook[ANSWER_SHEET], last_row)
    errors = []

    def raw(column, row):
        cell = cells.get((row, column))
        if cell is None:
            return None
        if cell.data_type == "f":
            errors.append(
                _("%(cell)s: formulas cannot be used; enter the value itself.")
                % {"cell": _cell(column, row)}
            )
            return None
        return _unescape(cell.value)

    def checked(check, column, row, *args):
        try:
            return check(*args)
        except ValidationError as error:
            errors.append(
                _("%(cell)s: %(message)s")
                % {"cell": _cell(column, row), "message": error.messages[0]}
            )
            return None

    not_applicable = bool(
        checked(
            answer_values.clean_mark,
            ANSWER_COLUMN,
            NOT_APPLICABLE_ROW,
            raw(ANSWER_COLUMN, NOT_APPLICABLE_ROW),
        )
    )
    values = {}
    for place in places:
        question = place.question
        if question.kind == Kind.FILE:
            # Files are attached on the page; a required one must be there
            # already, or the submission would fail without naming it.
            missing = answer_values.is_empty(question, saved.get(question.key))
            if question.required and not not_applicable and missing:
                errors.append(
                    _(
                        "%(cell)s: “%(question)s” is answered with a file. "
                        "Attach it on the answer page and save a draft, "
                        "then upload this answer sheet again."
                    )
                    % {
                        "cell": _cell(ANSWER_COLUMN, place.row),
                        "question": question.text,
                    }
                )
            continue
        errors_before = len(errors)
        if question.kind == Kind.MULTIPLE_CHOICE:
            mark = answer_values.clean_mark
            marks = [
                checked(mark, ANSWER_COLUMN, row, raw(ANSWER_COLUMN, row))
                for row in place.rows
            ]
            value = [c for c, m in zip(question.choices, marks, strict=True) if m]
        elif question.kind == Kind.TABLE:
            value = [
                [
                    checked(
                        answer_values.clean_cell,
                        ANSWER_COLUMN + offset,
                        row,
                        question,
                        raw(ANSWER_COLUMN + offset, row),
                    )
                    for offset in range(len(question.table_columns))
                ]
                for row in place.rows
            ]
        else:
            cell = raw(ANSWER_COLUMN, place.row)
            value = checked(
                answer_values.clean_value, ANSWER_COLUMN, place.row, question, cell
            )
        values[question.key] = value
        # A cell already refused is not also reported as empty.
        if not not_applicable and len(errors) == errors_before:
            checked(
                answer_values.check_required,
                ANSWER_COLUMN,
                place.row,
                question,
                value,
            )
    if errors:
        raise SheetRefused(errors, code="invalid_cells")
    return SheetAnswer(values=values, not_applicable=not_applicable)


# ----- the sender's workbook of every answer -----


def _organisation_columns(organisation):
    return [
        organisation.code or "",
        Organisation.compose_area_name(
            organisation.name,
            organisation.kind,
            organisation.prefecture.name if organisation.prefecture_id else None,
        )
        or "",
        organisation.full_name,
    ]


def _submitted_answers(inquiry):
    return list(
        Answer.objects.submitted()
        .filter(inquiry=inquiry)
        .annotate(
            version_values=latest_version("values"),
            version_not_applicable=latest_version("not_applicable"),
        )
        .select_related("organisation__prefecture", "submitted_by")
        .order_by("organisation__code", "organisation__name", "pk")
    )


def answers_header(questions):
    return [
        _("Local government code"),
        _("Prefecture"),
        _("Organisation"),
        _("Submitted by"),
        _("Submitted at"),
        _("Not applicable"),
        *(q.text for q in questions if q.kind != Kind.TABLE),
    ]


def _answer_row(answer, questions):
    at = timezone.localtime(answer.submitted_at)
    values = answer.version_values or {}
    return [
        *_organisation_columns(answer.organisation),
        answer.submitted_by.display_name if answer.submitted_by else "",
        at.strftime("%Y-%m-%d %H:%M"),
        answer_values.MARK if answer.version_not_applicable else "",
        *(
            answer_values.cell_value(q, values.get(q.key))
            for q in questions
            if q.kind != Kind.TABLE
        ),
    ]


def _table_sheet(number, question, answers):
    rows = []
    for answer in answers:
        grid = (answer.version_values or {}).get(question.key)
        if not grid:
            continue
        for label, cells in zip(question.table_rows, grid, strict=False):
            rows.append(
                [
                    answer.organisation.code or "",
                    answer.organisation.full_name,
                    label,
                    *(
                        answer_values.number_value(cell)
                        if cell is not None and question.cell_kind == "number"
                        else cell
                        for cell in cells
                    ),
                ]
            )
    return Sheet(
        title=_("Table %(number)s") % {"number": number},
        header=[
            _("Local government code"),
            _("Organisation"),
            question.text,
            *question.table_columns,
        ],
        rows=rows,
        widths=[12, 24, 24],
    )


def missing_recipients(inquiry):
    """Organisations asked that have not submitted; `drafting` if they began."""
    answers = Answer.objects.filter(
        inquiry=inquiry, organisation=OuterRef("organisation")
    )
    return (
        Recipient.objects.filter(inquiry=inquiry)
        .exclude(Exists(answers.submitted()))
        .annotate(drafting=Exists(answers))
        .select_related("organisation__prefecture")
    )


def answers_workbook(inquiry) -> bytes:
    """Every submitted answer, a sheet per table question, and who is missing."""
    questions = list(inquiry.questions.all())
    answers = _submitted_answers(inquiry)
    sheets = [
        Sheet(
            title=_("Answers"),
            header=answers_header(questions),
            rows=[_answer_row(answer, questions) for answer in answers],
            widths=[12, 10, 24, 16, 18, 10],
        )
    ]
    for number, question in enumerate(questions, start=1):
        if question.kind == Kind.TABLE:
            sheets.append(_table_sheet(number, question, answers))
    sheets.append(
        Sheet(
            title=_("Not answered"),
            header=[
                _("Local government code"),
                _("Prefecture"),
                _("Organisation"),
                _("Status"),
            ],
            rows=[
                [
                    *_organisation_columns(recipient.organisation),
                    pgettext("answer state", "Drafting")
                    if recipient.drafting
                    else pgettext("answer state", "Not started"),
                ]
                for recipient in missing_recipients(inquiry)
            ],
            widths=[12, 10, 24, 12],
        )
    )
    return xlsx_workbook(sheets)


def answers_csv(inquiry) -> bytes:
    """The workbook's main sheet as CSV, UTF-8 with a BOM so Excel reads it."""
    questions = list(inquiry.questions.all())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [spreadsheet_safe(str(label)) for label in answers_header(questions)]
    )
    for answer in _submitted_answers(inquiry):
        writer.writerow(
            [
                spreadsheet_safe("" if value is None else str(value))
                for value in _answer_row(answer, questions)
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
