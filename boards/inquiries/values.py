"""What an answer to each kind of question may be.

The one check for every way an answer comes in: the web form and the
uploaded Excel sheet both call clean_value (or clean_cell for a table's
cells) and check_required. Values are kept as JSON: text as typed (trimmed),
numbers as plain decimal strings ("1234.5"), dates as ISO strings, one
choice as its text, several as a list, yes/no as true/false, a table as a
list of rows of cells (None for empty) and a file as {"file": pk, "name": …}.
"""

import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl.utils.datetime import from_excel

from members.common.eras import ERA_LETTERS, ERA_NAMES, era_date

from ..models import Question

SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 5000
NUMBER_MAX_DIGITS = 15
NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")
DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
# 令和8年3月31日, 令和元年5月1日, R8.3.31, H31/4/30 (after NFKC).
ERA_DATE = re.compile(
    rf"^({'|'.join(ERA_NAMES)}|[{ERA_LETTERS}])\s*(\d{{1,2}}|元)[-/.年]"
    r"(\d{1,2})[-/.月](\d{1,2})日?$",
    re.IGNORECASE,
)
YES_WORDS = {"yes", "はい", "true", "1", "○", "有", "あり"}
NO_WORDS = {"no", "いいえ", "false", "0", "×", "無", "なし"}
# A mark in a sheet's cell for a choice taken (several choices).
MARK = "○"
MARKS = {"○", "◯", "〇", "o", "O", "レ", "✓", "1"}

Kind = Question.Kind


def _blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _invalid(message, code):
    return ValidationError(message, code=code)


def clean_text(raw, *, long=False) -> str:
    """Text as typed, trimmed; a short answer is one line."""
    if _blank(raw):
        return ""
    if isinstance(raw, datetime.datetime | datetime.date):
        raw = raw.isoformat()
    text = str(raw).strip().replace("\r\n", "\n")
    limit = LONG_TEXT_MAX if long else SHORT_TEXT_MAX
    if len(text) > limit:
        raise ValidationError(
            _("Write at most %(limit)s characters."),
            code="too_long",
            params={"limit": limit},
        )
    if not long and "\n" in text:
        raise _invalid(_("Write the answer on one line."), "multiline")
    return text


def clean_number(raw) -> str | None:
    """A number; 全角 digits, commas and spaces are accepted and dropped."""
    if _blank(raw):
        return None
    if isinstance(raw, bool):
        raise _invalid(_("Enter a number."), "not_a_number")
    if isinstance(raw, int | float | Decimal):
        text = str(raw)
    else:
        text = unicodedata.normalize("NFKC", str(raw))
        text = re.sub(r"[,\s]", "", text).replace("\u2212", "-")
    if not NUMBER.match(text):
        raise _invalid(_("Enter a number."), "not_a_number")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _invalid(_("Enter a number."), "not_a_number") from None
    if len(number.as_tuple().digits) > NUMBER_MAX_DIGITS:
        raise ValidationError(
            _("Enter a number of at most %(digits)s digits."),
            code="too_many_digits",
            params={"digits": NUMBER_MAX_DIGITS},
        )
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def clean_date(raw) -> str | None:
    """A date: a date cell, an Excel date serial, 2026/3/31 and alike, or
    the same in the era (令和8年3月31日, R8.3.31)."""
    if _blank(raw):
        return None
    if isinstance(raw, datetime.datetime):
        return raw.date().isoformat()
    if isinstance(raw, datetime.date):
        return raw.isoformat()
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        try:
            return from_excel(raw).date().isoformat()
        except (ValueError, OverflowError, TypeError):
            pass
    else:
        text = unicodedata.normalize("NFKC", str(raw)).strip()
        match = DATE.match(text)
        if match:
            try:
                return datetime.date(*map(int, match.groups())).isoformat()
            except ValueError:
                pass
        elif day := _era_date(text):
            return day.isoformat()
    raise _invalid(_("Enter a date such as 2026/3/31."), "not_a_date")


def _era_date(text) -> datetime.date | None:
    """A date written in the Japanese era, if it is one that era had."""
    match = ERA_DATE.match(text)
    if not match:
        return None
    era, year, month, day = match.groups()
    return era_date(era, 1 if year == "元" else int(year), int(month), int(day))


def clean_choice(question, raw) -> str | None:
    """One of the question's choices, exactly."""
    if _blank(raw):
        return None
    text = str(raw).strip()
    if text not in question.choices:
        raise _invalid(_("Choose one of the listed answers."), "not_a_choice")
    return text


def clean_choices(question, raw) -> list[str]:
    """Several of the question's choices, in the question's order."""
    chosen = {str(item).strip() for item in (raw or []) if not _blank(item)}
    if chosen - set(question.choices):
        raise _invalid(_("Choose only from the listed answers."), "not_a_choice")
    return [choice for choice in question.choices if choice in chosen]


def clean_mark(raw) -> bool:
    """A sheet's mark for a choice taken: ○ (or alike), else empty."""
    if _blank(raw):
        return False
    if unicodedata.normalize("NFKC", str(raw)).strip() in MARKS | {MARK}:
        return True
    raise _invalid(_("Enter ○ or leave the cell empty."), "not_a_mark")


def clean_yes_no(raw) -> bool | None:
    if _blank(raw):
        return None
    if isinstance(raw, bool):
        return raw
    word = unicodedata.normalize("NFKC", str(raw)).strip().lower()
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise _invalid(_("Choose yes or no."), "not_yes_no")


def clean_cell(question, raw):
    """One cell of a table question: a number or a short text."""
    if question.cell_kind == Question.CellKind.NUMBER:
        return clean_number(raw)
    return clean_text(raw) or None


def clean_value(question, raw):
    """The value of a question of any kind but table and file from its raw
    input (a form's string or list, or a sheet's cell value)."""
    match question.kind:
        case Kind.SHORT_TEXT:
            return clean_text(raw)
        case Kind.LONG_TEXT:
            return clean_text(raw, long=True)
        case Kind.NUMBER:
            return clean_number(raw)
        case Kind.DATE:
            return clean_date(raw)
        case Kind.SINGLE_CHOICE:
            return clean_choice(question, raw)
        case Kind.MULTIPLE_CHOICE:
            return clean_choices(question, raw)
        case Kind.YES_NO:
            return clean_yes_no(raw)
    raise ValueError(f"no single value for a {question.kind} question")


def is_empty(question, value) -> bool:
    """Nothing answered; a table needs every cell, as a form's grid does."""
    if question.kind == Kind.TABLE:
        return not value or any(cell is None for row in value for cell in row)
    return value in (None, "", [], {})


def check_required(question, value) -> None:
    """A required question must be answered."""
    if question.required and is_empty(question, value):
        message = (
            _("Fill in every cell of this table.")
            if question.kind == Kind.TABLE
            else _("This question must be answered.")
        )
        raise _invalid(message, "required")


def empty_table(question) -> list[list]:
    return [
        [None for _column in question.table_columns] for _row in question.table_rows
    ]


# ----- showing and exporting values -----


def number_value(text):
    """A stored number for a spreadsheet cell: int or Decimal."""
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else number


def display_value(question, value) -> str:
    """A value as one line of text (pages, CSV, the workbook's main sheet)."""
    if value in (None, "", []):
        return ""
    match question.kind:
        case Kind.MULTIPLE_CHOICE:
            return "、".join(value)
        case Kind.YES_NO:
            return _("Yes") if value else _("No")
        case Kind.FILE:
            return value.get("name", "")
        case Kind.TABLE:
            return _("(see the sheet of this table)")
        case Kind.NUMBER if question.unit:
            return f"{value} {question.unit}"
    return str(value)


def cell_value(question, value):
    """A value for a spreadsheet cell: numbers and dates keep their type."""
    if value in (None, "", []):
        return None
    if question.kind == Kind.NUMBER:
        return number_value(value)
    if question.kind == Kind.DATE:
        return datetime.date.fromisoformat(value)
    if question.kind in (Kind.MULTIPLE_CHOICE, Kind.YES_NO, Kind.FILE):
        return display_value(question, value)
    return value
