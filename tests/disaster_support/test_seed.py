import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from disaster_support import reports
from disaster_support.models import Disaster

NEWSLETTER = [
    ("避難所における住民の健康管理・衛生管理等業務等", "石川県 金沢市", 66),
    ("ごみの収集・運搬等", "石川県 七尾市", 42),
    ("罹災証明書発行の受付等業務", "石川県 輪島市", 28),
    (
        "住家被害認定業務における全壊判定業務 (石川県輪島市分をリモートで対応)",
        "東京都庁",
        14,
    ),
    ("公費解体等に係る受付、委託発注業務等", "石川県 志賀町", 5),
    ("被災宅地危険度判定業務", "石川県 内灘町", 3),
]


@pytest.fixture
def noto(db, settings):
    settings.DEBUG = True
    call_command("load_local_governments")
    call_command("seed_demo_disaster")
    return Disaster.objects.get(is_drill=False)


def test_seeded_report_equals_the_newsletter(noto):
    rows = reports.seat_rows(noto, datetime.date(2024, 3, 15))
    table = reports.newsletter_table(rows)
    assert [(r.work, r.place, r.count) for r in table] == NEWSLETTER


def test_later_report_includes_teams_decided_later(noto):
    table = reports.newsletter_table(
        reports.seat_rows(noto, datetime.date(2024, 4, 30))
    )
    assert [r.count for r in table] == [72, 45, 28, 14, 5, 3]


def test_seed_is_idempotent_and_refuses_without_debug(noto, settings):
    call_command("seed_demo_disaster")
    assert Disaster.objects.count() == 2
    settings.DEBUG = False
    with pytest.raises(Exception, match="DJANGO_DEBUG"):
        call_command("seed_demo_disaster")


def test_seeded_page_and_csv_show_the_newsletter(
    client, member, noto, django_assert_max_num_queries
):
    client.force_login(member)
    url = reverse("disaster_support:disaster_detail", args=[noto.pk])
    # Twelve for the page, and the session read by its key (SESSION_ENGINE).
    with django_assert_max_num_queries(12 + 1):
        response = client.get(url + "?as_of=2024-03-15")
    assert [(r.work, r.place, r.count) for r in response.context["newsletter"]] == (
        NEWSLETTER
    )
    csv_url = reverse("disaster_support:export", args=[noto.pk, "newsletter", "csv"])
    text = client.get(csv_url + "?as_of=2024-03-15").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))[1:7]
    assert [(work, place, int(count)) for work, place, count in rows] == NEWSLETTER


def test_seeded_status_table_adds_up(noto):
    as_of = datetime.date(2024, 3, 15)
    rows = reports.seat_rows(noto, as_of)
    total = reports.status_table(rows, as_of)[-1]
    assert total.total == 158 == len(rows)
    assert total.on_duty == reports.on_duty_on(rows, as_of)


def test_seeded_drill_has_setagaya_asking(noto):
    drill = Disaster.objects.get(is_drill=True)
    assert str(drill) == "【訓練】首都直下地震"
    asking = {
        r.municipality.name for r in drill.requests.select_related("municipality")
    }
    assert asking == {"世田谷区"}
    rows = reports.seat_rows(drill, datetime.date(2025, 9, 30))
    assert {row.ward for row in rows} == {"川場村", "千代田区"}
    assert {row.helped for row in rows} == {"世田谷区"}


def test_seeded_drill_leaves_the_real_report_unchanged(noto):
    rows = reports.seat_rows(noto, datetime.date(2025, 9, 30))
    assert "世田谷区" not in {row.helped for row in rows}
