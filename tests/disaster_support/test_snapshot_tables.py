"""Published snapshots keep every table of the report, money and goods and
the damage-points allocations included, and never follow later edits."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from disaster_support import damage_services, exports, services
from disaster_support.models import DamageFigures, ReportSnapshot, SupportMoney
from tests import factories

D = datetime.date


@pytest.fixture
def reported(disaster, help_request, chiyoda, nanao, office_staff):
    offer = factories.make_offer(request=help_request, sender=chiyoda)
    dispatch = factories.make_dispatch(offer=offer, sender=chiyoda, seats=3)
    services.money_create(
        disaster=disaster,
        actor=office_staff,
        kind=SupportMoney.Kind.DONATION,
        payer=chiyoda,
        recipient=nanao,
        amount=500_000,
        paid_on=D(2024, 1, 20),
    )
    services.goods_create(
        disaster=disaster,
        actor=office_staff,
        item="毛布",
        quantity=200,
        unit="枚",
        payer=chiyoda,
        recipient=nanao,
        sent_on=D(2024, 1, 5),
    )
    factories.make_damage_figures(
        disaster=disaster, municipality=nanao, destroyed=2, half=4
    )
    damage_services.allocation_freeze(
        disaster=disaster,
        total=1_000_500,
        as_of=D(2024, 1, 15),
        decided_on=D(2024, 2, 1),
        reference="区長会決定第1号",
        actor=office_staff,
    )
    return dispatch


@pytest.fixture
def snapshot(disaster, reported, office_staff):
    return services.snapshot_publish(
        disaster=disaster, as_of=D(2024, 3, 15), actor=office_staff
    )


def test_the_page_shows_the_tables_in_report_order(client, member, snapshot):
    client.force_login(member)
    url = reverse("disaster_support:snapshot_detail", args=[snapshot.pk])
    keys = [key for key, *_rest in client.get(url).context["tables"]]
    assert keys[:2] == ["newsletter", "status"]
    assert keys[-5:] == [
        "allocations",
        "money_by_recipient",
        "money_by_payer",
        "goods_by_recipient",
        "goods_by_payer",
    ]


def test_every_report_table_is_kept(snapshot):
    assert snapshot.data["is_drill"] is False
    assert set(snapshot.data) - {"is_drill"} == {
        *exports.TABLES,
        "allocations",
        "money_by_recipient",
        "money_by_payer",
        "goods_by_recipient",
        "goods_by_payer",
    }
    assert snapshot.data["money"]["rows"][0][3] == 500_000
    assert snapshot.data["goods"]["rows"][0][:3] == ["毛布", 200, "枚"]
    assert snapshot.data["money_by_recipient"]["rows"] == [["石川県七尾市", 500_000]]
    assert snapshot.data["cross_tab"]["rows"][-1][-1] == 3


def test_the_allocation_is_kept_with_its_calculation(snapshot):
    line, unallocated = snapshot.data["allocations"]["rows"]
    assert line[3] == "石川県七尾市"
    assert line[5] == "2×100"  # 全壊: households × points
    assert line[-3:] == [300, "100.000%", 1_000_000]
    assert unallocated[-1] == 500


def test_later_edits_leave_every_table_unchanged(
    client, member, disaster, snapshot, reported, nanao, office_staff
):
    before = ReportSnapshot.objects.get(pk=snapshot.pk).data
    client.force_login(member)
    url = reverse("disaster_support:snapshot_detail", args=[snapshot.pk])
    page_before = client.get(url).context["tables"]

    services.dispatch_update(dispatch=reported, actor=office_staff, status="cancelled")
    services.money_create(
        disaster=disaster,
        actor=office_staff,
        kind=SupportMoney.Kind.DONATION,
        payer=None,
        is_joint=True,
        recipient=nanao,
        amount=9_999,
        paid_on=D(2024, 1, 21),
    )
    damage_services.figures_update(
        figures=DamageFigures.objects.get(), actor=office_staff, destroyed=40
    )
    factories.make_request(disaster=disaster, municipality=nanao)

    assert ReportSnapshot.objects.get(pk=snapshot.pk).data == before
    assert client.get(url).context["tables"] == page_before
    # The live report has moved on.
    fresh = services.snapshot_publish(
        disaster=disaster, as_of=D(2024, 3, 15), actor=office_staff
    )
    assert fresh.data["money"]["rows"] != before["money"]["rows"]


def test_new_tables_can_be_downloaded(client, member, snapshot):
    client.force_login(member)
    url = reverse(
        "disaster_support:snapshot_export", args=[snapshot.pk, "allocations", "csv"]
    )
    rows = list(csv.reader(io.StringIO(client.get(url).content.decode("utf-8-sig"))))
    assert rows[1][3] == "石川県七尾市"
    assert rows[1][-1] == "1000000"


def test_an_unknown_table_is_not_found(client, member, snapshot):
    client.force_login(member)
    url = reverse(
        "disaster_support:snapshot_export", args=[snapshot.pk, "nothing", "csv"]
    )
    assert client.get(url).status_code == 404


def test_snapshots_published_before_keep_showing_their_two_tables(
    client, member, disaster
):
    old = ReportSnapshot.objects.create(
        disaster=disaster,
        title="旧版",
        as_of=D(2024, 3, 15),
        approver_name="山田 太郎",
        data={
            "newsletter": {"rows": [["ごみ", "石川県 七尾市", 3]], "note": "注"},
            "status": {"rows": [["合計", 0, 3, 0, 3]], "note": "注"},
        },
    )
    client.force_login(member)
    response = client.get(reverse("disaster_support:snapshot_detail", args=[old.pk]))
    assert [key for key, *_rest in response.context["tables"]] == [
        "newsletter",
        "status",
    ]
    assert "石川県 七尾市" in response.content.decode()
