"""The report tables as CSV (UTF-8 with BOM, for Excel) and .xlsx.

Both formats are built from the same rows as the page, so the figures agree.
"""

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from members.eras import format_wareki

from . import reports

# Spreadsheet programs run cells that start like formulas.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLES = ("newsletter", "status", "cross_tab", "person_days", "duty")


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def table_rows(table, rows, as_of):
    """(title, header, body rows, footnote) for one of TABLES."""
    if table == "newsletter":
        return (
            _("Staff dispatched"),
            [_("Work"), _("Dispatched to"), _("Staff dispatched (planned included)")],
            [[r.work, r.place, r.count] for r in reports.newsletter_table(rows)],
            str(reports.NEWSLETTER_NOTE),
        )
    if table == "cross_tab":
        tab = reports.cross_tab(rows)
        return (
            _("Staff dispatched by ward and work"),
            [_("Ward"), *tab.works, _("Total")],
            [
                *([ward, *cells, total] for ward, cells, total in tab.rows),
                [_("Total"), *tab.totals, tab.grand_total],
            ],
            str(reports.CROSS_TAB_NOTE),
        )
    if table == "duty":
        series = reports.duty_series(rows)
        return (
            _("People on duty per day and per ward"),
            [_("Date"), *series.wards, _("Total")],
            [[day, *counts, total] for day, counts, total in series.days],
            str(reports.DUTY_CHART_NOTE),
        )
    if table == "person_days":
        days = reports.person_days(rows, as_of)
        return (
            _("Person-days"),
            [_("Figure"), _("Value")],
            [
                [_("People on duty on the day"), days.on_duty],
                [_("Person-days so far (with travel days)"), days.actual_with_travel],
                [
                    _("Person-days so far (without travel days)"),
                    days.actual_without_travel,
                ],
                [
                    _("Person-days, planned included (with travel days)"),
                    days.planned_with_travel,
                ],
                [
                    _("Person-days, planned included (without travel days)"),
                    days.planned_without_travel,
                ],
            ],
            str(reports.PERSON_DAYS_NOTE),
        )
    return (
        _("Dispatch status by ward"),
        [
            _("Ward"),
            _("On duty (a)"),
            _("Already back (b)"),
            _("Planned (c)"),
            _("Total"),
        ],
        [
            [r.ward, r.on_duty, r.returned, r.planned, r.total]
            for r in reports.status_table(rows, as_of)
        ],
        str(reports.STATUS_NOTE),
    )


def _as_of_line(as_of):
    return _("As of %(date)s") % {"date": format_wareki(as_of)}


def to_csv(table, rows, as_of):
    _title, header, body, note = table_rows(table, rows, as_of)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([_cell(value) for value in header])
    for row in body:
        writer.writerow([_cell(value) for value in row])
    writer.writerow([])
    writer.writerow([_as_of_line(as_of)])
    writer.writerow([note])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(table, rows, as_of):
    title, header, body, note = table_rows(table, rows, as_of)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in body:
        sheet.append([_cell(value) for value in row])
    sheet.append([])
    sheet.append([_as_of_line(as_of)])
    sheet.append([note])
    sheet.column_dimensions["A"].width = 60
    sheet.column_dimensions["B"].width = 18
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
