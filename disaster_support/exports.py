"""The report tables as CSV (UTF-8 with BOM, for Excel) and .xlsx.

Both formats are built from the same rows as the page, so the figures agree.
"""

import csv
import datetime
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from members.common.eras import format_wareki
from members.common.spreadsheets import Sheet, spreadsheet_safe, xlsx_workbook

from . import damage, directions, reports

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLES = (
    "newsletter",
    "status",
    "cross_tab",
    "person_days",
    "duty",
    "medium_long",
    "request_log",
    "directions",
    "senders",
    "money",
    "goods",
)
# Every table the disaster page offers as CSV and Excel: the report's, then
# the allocations by damage points and the aid totals (damage.py).
EXPORTABLE = (*TABLES, *damage.SNAPSHOT_TABLES)
# Tables listed whole, so no "as of" line is printed under them (money and
# goods are cut by the as-of day like the page).
UNDATED_TABLES = ()


@dataclass(frozen=True)
class Source:
    """What the tables are computed from, exactly as on the disaster page."""

    disaster: object
    as_of: datetime.date
    rows: list  # reports.seat_rows()
    all_requests: list  # every request, from selectors.with_log(): for figures
    requests: list  # those the reader may open: for the request log


def table_rows(table, source):
    """(title, header, body rows, footnote) for one of EXPORTABLE."""
    rows, as_of = source.rows, source.as_of
    if table in damage.SNAPSHOT_TABLES:
        money, goods = reports.money_and_goods(source.disaster, as_of)
        return damage.snapshot_tables(source.disaster, as_of, money, goods)[table]
    if table in ("directions", "senders"):
        return directions.table_rows(table, rows)
    if table in ("medium_long", "request_log", "money", "goods"):
        return _request_and_aid_rows(table, source)
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


def _request_and_aid_rows(table, source):
    if table == "medium_long":
        figures = reports.medium_long(source.all_requests, source.rows)
        return (
            # The page's heading has a colon, which sheet names may not.
            _("Medium- to long-term dispatch"),
            [_("Figure"), _("Value")],
            [
                [_("People requested"), figures.requested],
                [_("People secured"), figures.secured],
                [_("Still to secure"), figures.shortfall],
            ],
            str(reports.MEDIUM_LONG_NOTE),
        )
    if table == "request_log":
        return (
            _("Requests, offers and teams"),
            [
                _("First day"),
                _("Until"),
                _("Municipality supported"),
                _("Work"),
                _("Status"),
                _("People requested"),
                _("Offer"),
                _("People offered"),
                _("Team"),
                _("People"),
            ],
            [
                [
                    row.request.start_on,
                    row.request.end_on,
                    row.request.municipality.full_name,
                    str(row.request.work_type),
                    row.request.get_status_display(),
                    row.request.people_requested,
                    row.offerer,
                    row.people_offered,
                    row.team,
                    row.seats,
                ]
                for row in reports.request_log(source.requests)
            ],
            str(reports.REQUEST_LOG_NOTE),
        )
    money, goods = reports.money_and_goods(source.disaster, source.as_of)
    if table == "money":
        return (
            _("Support money"),
            [
                _("Kind"),
                _("Payer"),
                _("Recipient"),
                _("Amount (yen)"),
                _("Paid on"),
                _("Basis"),
            ],
            [
                [
                    row.get_kind_display(),
                    _giver(row),
                    row.recipient.full_name,
                    row.amount,
                    row.paid_on,
                    row.basis,
                ]
                for row in money
            ],
            "",
        )
    return (
        _("Support goods"),
        [
            _("Item"),
            _("Quantity"),
            _("Unit"),
            _("Provided by"),
            _("Recipient"),
            _("Date"),
        ],
        [
            [
                row.item,
                row.quantity,
                row.unit,
                _giver(row),
                row.recipient.full_name,
                row.sent_on,
            ]
            for row in goods
        ],
        "",
    )


def _giver(aid):
    return _("23 wards jointly") if aid.is_joint else aid.payer.full_name


def _closing_lines(table, source, note):
    """The as-of line (for dated tables) and the footnote, after a blank line."""
    lines = [[]]
    if table not in UNDATED_TABLES:
        lines.append([_("As of %(date)s") % {"date": format_wareki(source.as_of)}])
    if note:
        lines.append([note])
    if source.disaster.is_drill:
        lines.append([str(reports.DRILL_NOTE)])
    return lines


def to_csv(table, source):
    _title, header, body, note = table_rows(table, source)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([spreadsheet_safe(value) for value in header])
    for row in body:
        writer.writerow([spreadsheet_safe(value) for value in row])
    writer.writerows(_closing_lines(table, source, note))
    return buffer.getvalue().encode("utf-8")


def to_xlsx(table, source):
    title, header, body, note = table_rows(table, source)
    return xlsx_workbook(
        [
            Sheet(
                title=reports.drill_title(title, source.disaster.is_drill),
                header=header,
                rows=[*body, *_closing_lines(table, source, note)],
                widths=[60, 18],
            )
        ]
    )
