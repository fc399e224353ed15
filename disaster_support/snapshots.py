"""Published snapshots: the report's rows frozen at publication.

A snapshot's page and exports read the stored rows only; nothing here
recomputes from dispatches, so later edits never change what was published.
"""

import csv
import datetime
import io

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.common.eras import format_wareki
from members.common.spreadsheets import Sheet, spreadsheet_safe, xlsx_workbook

from . import damage, exports, reports, selectors

# The two tables kept by snapshots published before every table was; their
# rows are stored without title or header.
LEGACY_TABLES = {
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


def _cell(value):
    """A value as stored in the snapshot's JSON: dates as printed (和暦)."""
    if isinstance(value, datetime.date):
        return format_wareki(value)
    if value is None or isinstance(value, int | float | str):
        return value
    return str(value)


def _stored(title, header, rows, note):
    return {
        "title": str(title),
        "header": [str(label) for label in header],
        "rows": [[_cell(value) for value in row] for row in rows],
        "note": str(note),
    }


def freeze(disaster, as_of):
    """Every table of the report, as computed today, with its title, header
    and footnote: the dispatch tables, money and goods, the allocations by
    damage points and the totals by recipient and giver.

    The request log lists every request, as every member reads them. A
    drill's snapshot says so (`is_drill`), and is never taken for a real
    one."""
    requests = list(
        selectors.with_log(disaster.requests.with_related(), as_of).annotate(
            offered=Coalesce(Sum("offers__people"), 0)
        )
    )
    source = exports.Source(
        disaster=disaster,
        as_of=as_of,
        rows=reports.seat_rows(disaster, as_of),
        all_requests=requests,
        requests=requests,
    )
    data = {
        table: _stored(*exports.table_rows(table, source)) for table in exports.TABLES
    }
    money, goods = reports.money_and_goods(disaster, as_of)
    for table, parts in damage.snapshot_tables(disaster, as_of, money, goods).items():
        data[table] = _stored(*parts)
    data["is_drill"] = disaster.is_drill
    return data


def _table(snapshot, key):
    """(title, header, rows, note); snapshots published before titles and
    headers were stored take them from LEGACY_TABLES."""
    stored = snapshot.data[key]
    if "header" in stored:
        return stored["title"], stored["header"], stored["rows"], stored["note"]
    title, header = LEGACY_TABLES[key]
    return str(title), [str(label) for label in header], stored["rows"], stored["note"]


def has_table(snapshot, key):
    return key in ORDER and key in snapshot.data


# Page order of the stored tables (JSON objects in the database keep no order).
ORDER = exports.EXPORTABLE


def tables(snapshot):
    """(key, title, header, rows, note) of each stored table, in page order."""
    return [(key, *_table(snapshot, key)) for key in ORDER if key in snapshot.data]


def _lines(snapshot, table):
    """Header, stored rows, then the as-of, approval and footnote lines."""
    _title, header, rows, note = _table(snapshot, table)
    yield header
    yield from rows
    yield []
    yield [_("As of %(date)s") % {"date": format_wareki(snapshot.as_of)}]
    yield [_("Approved by: %(name)s") % {"name": snapshot.approver_name}]
    if note:
        yield [note]
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
                    _table(snapshot, table)[0], snapshot.data.get("is_drill")
                ),
                header=header,
                rows=rows,
                widths=[60, 18],
            )
        ]
    )
