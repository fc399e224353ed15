"""中長期, the request log, money and goods: exported figures equal the page's."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from disaster_support import services
from disaster_support.models import Dispatch, HelpRequest, SupportMoney
from tests import factories

D = datetime.date
AS_OF = "2024-01-20"


def page(client, disaster):
    url = reverse("disaster_support:disaster_detail", args=[disaster.pk])
    return client.get(f"{url}?as_of={AS_OF}").content.decode()


def page_cells(text, name):
    """A table's body cells, or a definition list's (term, value) pairs."""
    block = re.search(rf'data-table="{name}"(.*?)</(?:table|dl)>', text, re.S)
    if "<dt>" in block.group(1):
        return [
            list(pair)
            for pair in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block.group(1))
        ]
    body = re.search(r"<tbody>(.*?)</tbody>", block.group(1), re.S).group(1)
    return [
        [cell.strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def exported(client, disaster, table):
    """The body rows of the CSV and of the .xlsx, as strings ("" for empty)."""
    url = reverse("disaster_support:export", args=[disaster.pk, table, "csv"])
    raw = client.get(f"{url}?as_of={AS_OF}").content
    assert raw.startswith(b"\xef\xbb\xbf")
    csv_rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    url = reverse("disaster_support:export", args=[disaster.pk, table, "xlsx"])
    sheet = load_workbook(io.BytesIO(client.get(f"{url}?as_of={AS_OF}").content))
    xlsx_rows = [
        ["" if value is None else str(value) for value in row]
        for row in sheet.active.iter_rows(values_only=True)
    ]
    # Up to the blank line before the as-of line and footnote.
    end = csv_rows.index([])
    return csv_rows[1:end], xlsx_rows[1:end]


@pytest.fixture
def medium_long(disaster, nanao, chiyoda):
    asked = factories.make_request(
        disaster=disaster,
        municipality=nanao,
        channel=HelpRequest.Channel.MEDIUM_LONG,
        people_requested=4,
    )
    factories.make_dispatch(
        offer=factories.make_offer(request=asked, sender=chiyoda),
        sender=chiyoda,
        seats=1,
        term=Dispatch.Term.MEDIUM_LONG,
    )
    return disaster


def test_medium_long_export_has_the_page_figures(client, member, medium_long):
    client.force_login(member)
    text = page(client, medium_long)
    expected = page_cells(text, "medium-long")
    assert [value for _label, value in expected] == ["4", "1", "3"]
    assert f"/export/medium_long.csv?as_of={AS_OF}" in text
    csv_rows, xlsx_rows = exported(client, medium_long, "medium_long")
    assert csv_rows == xlsx_rows == expected


def test_request_log_export_has_the_page_rows(
    client, chiyoda_staff, medium_long, help_request
):
    client.force_login(chiyoda_staff)
    text = page(client, medium_long)
    # Municipality, people requested, offer, people offered, team, people
    # (the page's last column, the agreement as basis, is not exported).
    expected = [[row[1], *row[3:-1]] for row in page_cells(text, "request-log")]
    assert len(expected) == 2
    assert f"/export/request_log.csv?as_of={AS_OF}" in text
    for rows in exported(client, medium_long, "request_log"):
        assert [[row[2], *row[5:]] for row in rows] == expected


def test_request_log_export_lists_the_rows_any_member_reads_on_the_page(
    client, member, medium_long
):
    # Any member reads every request, so that any member can answer one.
    client.force_login(member)
    cells = page_cells(page(client, medium_long), "request-log")
    csv_rows, xlsx_rows = exported(client, medium_long, "request_log")
    assert len(csv_rows) == len(xlsx_rows) == len(cells) == 1
    assert "石川県七尾市" in cells[0][1]


@pytest.fixture
def aid(disaster, nanao, chiyoda, office_staff):
    services.money_create(
        disaster=disaster,
        actor=office_staff,
        kind=SupportMoney.Kind.RECONSTRUCTION,
        payer=None,
        is_joint=True,
        recipient=nanao,
        amount=12_000_000,
        basis="被害点数 120",
        paid_on=D(2024, 1, 18),
    )
    services.goods_create(
        disaster=disaster,
        actor=office_staff,
        item="毛布",
        quantity=200,
        unit="枚",
        payer=chiyoda,
        is_joint=False,
        recipient=nanao,
        sent_on=D(2024, 1, 5),
    )
    return disaster


def test_money_paid_after_the_day_is_left_out_of_page_and_export(
    client, member, aid, nanao, office_staff
):
    services.money_create(
        disaster=aid,
        actor=office_staff,
        kind=SupportMoney.Kind.DONATION,
        payer=None,
        is_joint=True,
        recipient=nanao,
        amount=777,
        paid_on=D(2024, 1, 21),
    )
    client.force_login(member)
    assert "777" not in " ".join(
        " ".join(cells) for cells in page_cells(page(client, aid), "money")
    )
    for rows in exported(client, aid, "money"):
        assert [row[3] for row in rows] == ["12000000"]


def test_money_and_goods_exports_have_the_page_figures(client, member, aid):
    client.force_login(member)
    text = page(client, aid)
    money = page_cells(text, "money")
    goods = page_cells(text, "goods")
    assert f"/export/money.csv?as_of={AS_OF}" in text
    assert f"/export/goods.xlsx?as_of={AS_OF}" in text
    for rows in exported(client, aid, "money"):
        # Kind, payer, recipient, amount (the page groups the thousands), basis.
        assert [[*row[:3], f"{int(row[3]):,}", row[5]] for row in rows] == [
            [*cells[:4], cells[5]] for cells in money
        ]
    for rows in exported(client, aid, "goods"):
        # The page shows quantity and unit together: 200枚.
        assert [[row[0], row[1] + row[2], *row[3:5]] for row in rows] == [
            cells[:4] for cells in goods
        ]


@pytest.mark.parametrize(
    "table", ["money_by_recipient", "money_by_payer", "goods_by_recipient"]
)
def test_aid_totals_export_has_the_page_figures(client, member, aid, table):
    client.force_login(member)
    text = page(client, aid)
    cells = page_cells(text, table)
    assert cells
    assert f"/export/{table}.csv?as_of={AS_OF}" in text
    for rows in exported(client, aid, table):
        # The page groups thousands and writes quantity and unit together.
        assert len(rows) == len(cells)
        assert rows[0][0] == cells[0][0]
