import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from disaster_support import services
from disaster_support.models import ReportSnapshot
from tests import factories

D = datetime.date


@pytest.fixture
def dispatch(help_request, chiyoda):
    offer = factories.make_offer(request=help_request, sender=chiyoda)
    return factories.make_dispatch(offer=offer, sender=chiyoda, seats=3)


@pytest.fixture
def snapshot(disaster, dispatch, office_staff):
    return services.snapshot_publish(
        disaster=disaster, as_of=D(2024, 3, 15), actor=office_staff
    )


def _csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _export(client, snapshot, fmt):
    return client.get(
        reverse(
            "disaster_support:snapshot_export", args=[snapshot.pk, "newsletter", fmt]
        )
    )


def test_publishing_stores_the_rows_and_approver(snapshot, office_staff):
    assert snapshot.data["newsletter"]["rows"] == [
        ["ごみの収集・運搬等", "石川県 七尾市", 3]
    ]
    assert snapshot.data["status"]["rows"][-1][1:] == [0, 3, 0, 3]
    assert snapshot.data["newsletter"]["note"]
    assert snapshot.approved_by == office_staff
    assert snapshot.approver_name == office_staff.display_name


def test_later_edits_leave_the_snapshot_but_change_the_live_report(
    client, member, disaster, snapshot, dispatch, office_staff
):
    client.force_login(member)
    url = reverse("disaster_support:snapshot_detail", args=[snapshot.pk])
    tables_before = client.get(url).context["tables"]
    csv_before = _csv_rows(_export(client, snapshot, "csv"))

    # The team is called off after publication; the live report follows.
    services.dispatch_update(dispatch=dispatch, actor=office_staff, status="cancelled")

    live = client.get(
        reverse("disaster_support:disaster_detail", args=[disaster.pk]),
        {"as_of": "2024-03-15"},
    )
    assert live.context["newsletter"] == []
    page_after = client.get(url)
    assert page_after.context["tables"] == tables_before
    assert "石川県 七尾市" in page_after.content.decode()
    assert _csv_rows(_export(client, snapshot, "csv")) == csv_before
    sheet = load_workbook(io.BytesIO(_export(client, snapshot, "xlsx").content)).active
    assert [cell.value for cell in sheet[2]] == [
        "ごみの収集・運搬等",
        "石川県 七尾市",
        3,
    ]


def test_snapshot_page_shows_as_of_and_approver(client, member, snapshot):
    client.force_login(member)
    text = client.get(
        reverse("disaster_support:snapshot_detail", args=[snapshot.pk])
    ).content.decode()
    assert "令和6年3月15日" in text and "※" in text
    assert snapshot.approver_name in text


def test_csv_has_bom_and_the_stored_figures(client, member, snapshot):
    client.force_login(member)
    response = _export(client, snapshot, "csv")
    assert response.content.startswith("\ufeff".encode())
    assert _csv_rows(response)[1] == ["ごみの収集・運搬等", "石川県 七尾市", "3"]


def test_the_snapshot_is_listed_on_the_disaster_page(client, member, snapshot):
    client.force_login(member)
    response = client.get(
        reverse("disaster_support:disaster_detail", args=[snapshot.disaster.pk])
    )
    assert (
        reverse("disaster_support:snapshot_detail", args=[snapshot.pk])
        in response.content.decode()
    )


def test_office_publishes_from_the_page(client, office_staff, disaster, dispatch):
    client.force_login(office_staff)
    response = client.post(
        reverse("disaster_support:snapshot_publish", args=[disaster.pk]),
        {"as_of": "2024-03-15"},
    )
    snapshot = ReportSnapshot.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "disaster_support:snapshot_detail", args=[snapshot.pk]
    )
    assert snapshot.as_of == D(2024, 3, 15)


@pytest.mark.parametrize("who", ["chiyoda_staff", "member"])
def test_only_the_office_publishes(client, request, who, disaster):
    client.force_login(request.getfixturevalue(who))
    response = client.post(
        reverse("disaster_support:snapshot_publish", args=[disaster.pk]),
        {"as_of": "2024-03-15"},
    )
    assert response.status_code == 403
    assert not ReportSnapshot.objects.exists()


def test_as_of_before_the_disaster_is_refused(client, office_staff, disaster):
    with pytest.raises(ValidationError):
        services.snapshot_publish(
            disaster=disaster, as_of=D(2023, 12, 31), actor=office_staff
        )
    client.force_login(office_staff)
    response = client.post(
        reverse("disaster_support:snapshot_publish", args=[disaster.pk]),
        {"as_of": "2023-12-31"},
    )
    assert response.status_code == 302
    assert not ReportSnapshot.objects.exists()


def test_anonymous_cannot_read_a_snapshot(client, snapshot):
    response = client.get(
        reverse("disaster_support:snapshot_detail", args=[snapshot.pk])
    )
    assert response.status_code in (302, 403)
