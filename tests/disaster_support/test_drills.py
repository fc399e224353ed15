"""Drills (訓練): work like a disaster, marked everywhere, never real."""

import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from disaster_support import services
from disaster_support.models import Disaster, ReportSnapshot
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def drill(ishikawa):
    return factories.make_drill(prefecture=ishikawa)


@pytest.fixture
def drill_team(drill, nanao, chiyoda):
    help_request = factories.make_request(disaster=drill, municipality=nanao)
    offer = factories.make_offer(request=help_request, sender=chiyoda)
    return factories.make_dispatch(offer=offer, sender=chiyoda, seats=2)


def test_a_drill_is_marked_in_its_name(drill):
    assert str(drill) == "【訓練】首都直下地震（訓練）"


def test_real_disasters_leave_drills_out(disaster, drill):
    assert list(Disaster.objects.real()) == [disaster]


def test_the_office_records_a_drill(client, office_staff, ishikawa):
    client.force_login(office_staff)
    response = client.post(
        reverse("disaster_support:disaster_create"),
        {
            "name": "首都直下地震",
            "kind": Disaster.Kind.EARTHQUAKE,
            "occurred_on": "2024-09-01",
            "prefectures": [ishikawa.pk],
            "is_drill": "on",
        },
    )
    assert response.status_code == 302
    assert Disaster.objects.get().is_drill


def test_the_list_and_page_mark_a_drill(client, member, drill):
    client.force_login(member)
    listing = client.get(reverse("disaster_support:home"))
    assert "【訓練】首都直下地震" in listing.content.decode()
    page = client.get(reverse("disaster_support:disaster_detail", args=[drill.pk]))
    assert "これは訓練です" in page.content.decode()


def test_a_real_disasters_page_is_not_marked(client, member, disaster):
    client.force_login(member)
    page = client.get(reverse("disaster_support:disaster_detail", args=[disaster.pk]))
    assert "訓練" not in page.content.decode()


def test_the_request_page_marks_a_drill(client, office_staff, drill_team):
    client.force_login(office_staff)
    url = reverse("disaster_support:request_detail", args=[drill_team.offer.request_id])
    assert "【訓練】" in client.get(url).content.decode()


def test_a_drills_export_is_named_and_noted_as_a_drill(
    client, member, drill, drill_team
):
    client.force_login(member)
    response = client.get(
        reverse("disaster_support:export", args=[drill.pk, "newsletter", "csv"]),
        {"as_of": "2024-03-15"},
    )
    assert 'filename="drill-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert any("訓練" in cell for row in rows for cell in row)


def test_a_real_export_is_not_named_as_a_drill(client, member, disaster):
    client.force_login(member)
    response = client.get(
        reverse("disaster_support:export", args=[disaster.pk, "newsletter", "csv"]),
        {"as_of": "2024-03-15"},
    )
    assert 'filename="disaster-' in response["Content-Disposition"]


def test_a_drills_snapshot_is_marked(drill, drill_team, office_staff):
    snapshot = services.snapshot_publish(
        disaster=drill, as_of=D(2024, 3, 15), actor=office_staff
    )
    assert snapshot.data["is_drill"] is True
    assert snapshot.title.startswith("【訓練】")


def test_a_real_snapshot_is_not_marked(disaster, office_staff):
    snapshot = services.snapshot_publish(
        disaster=disaster, as_of=D(2024, 3, 15), actor=office_staff
    )
    assert snapshot.data["is_drill"] is False


def test_publishing_a_drill_into_real_snapshots_is_refused(
    drill, drill_team, office_staff
):
    ReportSnapshot.objects.create(
        disaster=drill,
        title="実災害として公表",
        as_of=D(2024, 3, 1),
        approver_name="事務局",
        data={"is_drill": False},
    )
    with pytest.raises(ValidationError) as error:
        services.snapshot_publish(
            disaster=drill, as_of=D(2024, 3, 15), actor=office_staff
        )
    assert error.value.code == "drill_mixed"
    assert drill.snapshots.count() == 1


def test_the_publish_view_explains_a_refused_mix(client, office_staff, drill):
    ReportSnapshot.objects.create(
        disaster=drill,
        title="実災害として公表",
        as_of=D(2024, 3, 1),
        approver_name="事務局",
        data={"is_drill": False},
    )
    client.force_login(office_staff)
    response = client.post(
        reverse("disaster_support:snapshot_publish", args=[drill.pk]),
        {"as_of": "2024-03-15"},
        follow=True,
    )
    assert "混在" in response.content.decode()
    assert drill.snapshots.count() == 1


def test_a_published_disaster_cannot_become_a_drill(disaster, office_staff):
    services.snapshot_publish(
        disaster=disaster, as_of=D(2024, 3, 15), actor=office_staff
    )
    disaster.is_drill = True
    with pytest.raises(ValidationError) as error:
        disaster.full_clean()
    assert error.value.error_dict["is_drill"][0].code == "drill_mixed"


def test_an_unpublished_disaster_may_become_a_drill(disaster):
    disaster.is_drill = True
    disaster.full_clean()
