"""Spreadsheet output every export shares: formula-safe cells and one
.xlsx writer (bold header row, column widths, header frozen)."""

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# Spreadsheets run a cell starting with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Control characters that XML, and so an .xlsx sheet, cannot hold: one
# pasted into a field would otherwise make every export of it fail.
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Excel refuses longer sheet names.
SHEET_TITLE_MAX = 31


def spreadsheet_safe(value):
    """Keep a spreadsheet from running a cell as a formula (every export)."""
    if not isinstance(value, str):
        return value
    value = UNWRITABLE.sub("", value)
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a bold, frozen header row, then the rows as given."""

    title: str
    header: Sequence
    rows: Iterable[Sequence]
    widths: Sequence[float] = ()  # of the columns from A on


def xlsx_workbook(sheets: Iterable[Sheet]) -> bytes:
    """An .xlsx file of the sheets, every cell made formula-safe."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for each in sheets:
        sheet = workbook.create_sheet(str(each.title)[:SHEET_TITLE_MAX])
        sheet.append(
            [
                spreadsheet_safe(str(label) if isinstance(label, Promise) else label)
                for label in each.header
            ]
        )
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in each.rows:
            sheet.append([spreadsheet_safe(value) for value in row])
        for column, width in enumerate(each.widths, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = width
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
