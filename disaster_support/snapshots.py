"""Published snapshots: the report's rows frozen at publication.

A snapshot's page and exports read the stored rows only; nothing here
recomputes from dispatches, so later edits never change what was published.
"""

import csv
import io

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.common.eras import format_wareki
from members.common.spreadsheets import Sheet, spreadsheet_safe, xlsx_workbook

from . import reports

TABLES = {
    "newsletter": (
        gettext_lazy("Staff dispatched"),
        [
            gettext_lazy("Work"),
            gettext_lazy("Dispatched to"),
            gettext_lazy("Staff dispatched (planned included)"),
        ],
    ),
    "status": (
        gettext_lazy("Dispatch status by ward"),
        [
            gettext_lazy("Ward"),
            gettext_lazy("On duty (a)"),
            gettext_lazy("Already back (b)"),
            gettext_lazy("Planned (c)"),
            gettext_lazy("Total"),
        ],
    ),
}


def freeze(disaster, as_of):
    """The tables' rows and footnotes as reports.py computes them today."""
    rows = reports.seat_rows(disaster, as_of)
    return {
        # A drill's snapshot says so, and is never taken for a real one.
        "is_drill": disaster.is_drill,
        "newsletter": {
            "rows": [
                [row.work, row.place, row.count]
                for row in reports.newsletter_table(rows)
            ],
            "note": str(reports.NEWSLETTER_NOTE),
        },
        "status": {
            "rows": [
                [row.ward, row.on_duty, row.returned, row.planned, row.total]
                for row in reports.status_table(rows, as_of)
            ],
            "note": str(reports.STATUS_NOTE),
        },
    }


def tables(snapshot):
    """(key, title, header, rows, note) of each stored table, for the page."""
    return [
        (
            key,
            title,
            header,
            snapshot.data[key]["rows"],
            snapshot.data[key]["note"],
        )
        for key, (title, header) in TABLES.items()
    ]


def _lines(snapshot, table):
    """Header, stored rows, then the as-of, approval and footnote lines."""
    _title, header = TABLES[table]
    stored = snapshot.data[table]
    yield [str(label) for label in header]
    yield from stored["rows"]
    yield []
    yield [_("As of %(date)s") % {"date": format_wareki(snapshot.as_of)}]
    yield [_("Approved by: %(name)s") % {"name": snapshot.approver_name}]
    yield [stored["note"]]
    if snapshot.data.get("is_drill"):
        yield [str(reports.DRILL_NOTE)]


def to_csv(snapshot, table):
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so Excel reads the file as UTF-8
    writer = csv.writer(buffer)
    for line in _lines(snapshot, table):
        writer.writerow([spreadsheet_safe(value) for value in line])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(snapshot, table):
    header, *rows = _lines(snapshot, table)
    return xlsx_workbook(
        [
            Sheet(
                title=reports.drill_title(
                    TABLES[table][0], snapshot.data.get("is_drill")
                ),
                header=header,
                rows=rows,
                widths=[60, 18],
            )
        ]
    )
