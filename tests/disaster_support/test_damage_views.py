"""The damage-points pages: the office works them, members read the result."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from disaster_support import damage_services
from disaster_support.models import (
    Allocation,
    ChangeLog,
    DamageFigures,
    DamageWeights,
    SupportMoney,
)
from tests import factories

D = datetime.date


@pytest.fixture
def figures(disaster, nanao):
    return factories.make_damage_figures(
        disaster=disaster, municipality=nanao, destroyed=2, half=4
    )


@pytest.fixture
def allocation(disaster, figures, office_staff):
    return damage_services.allocation_freeze(
        disaster=disaster,
        total=1_000_000,
        as_of=D(2024, 1, 15),
        decided_on=D(2024, 2, 1),
        reference="区長会決定第1号",
        actor=office_staff,
    )


def _damage_url(disaster):
    return reverse("disaster_support:damage", args=[disaster.pk])


def _figures_post(nanao, **fields):
    data = {
        "municipality": nanao.pk if nanao else "",
        "as_of": "2024-01-15",
        "source": "第10報",
        "destroyed": "3",
        "major_half": "0",
        "medium_half": "0",
        "half": "1",
        "quasi_half": "0",
        "partial": "0",
        "flooded_above": "0",
        "flooded_below": "0",
    }
    data.update(fields)
    return data


def test_anonymous_is_sent_to_login(client, disaster):
    response = client.get(_damage_url(disaster))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["member", "chiyoda_staff", "nanao_staff"])
def test_only_the_office_works_the_damage_page(client, disaster, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(_damage_url(disaster)).status_code == 403
    url = reverse("disaster_support:damage_weights", args=[disaster.pk])
    assert client.post(url, {"destroyed": "1"}).status_code == 403


def test_a_ward_cannot_record_figures(client, disaster, nanao, chiyoda_staff):
    client.force_login(chiyoda_staff)
    url = reverse("disaster_support:damage_figures_create", args=[disaster.pk])
    assert client.post(url, _figures_post(nanao)).status_code == 403
    assert not DamageFigures.objects.exists()


def test_the_office_records_figures(client, disaster, nanao, office_staff):
    client.force_login(office_staff)
    url = reverse("disaster_support:damage_figures_create", args=[disaster.pk])
    response = client.post(url, _figures_post(nanao))
    assert response.status_code == 302
    figures = DamageFigures.objects.get()
    assert (figures.municipality, figures.destroyed, figures.half) == (nanao, 3, 1)
    assert figures.source == "第10報"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"destroyed": "-1"}, "0以上の数を入力してください。"),
        ({"as_of": "2023-12-31"}, "災害の発生日以降"),
        (
            {"as_of": str(timezone.localdate() + datetime.timedelta(days=1))},
            "未来の日付",
        ),
    ],
)
def test_bad_figures_are_refused_in_japanese(
    client, disaster, nanao, office_staff, fields, message
):
    client.force_login(office_staff)
    url = reverse("disaster_support:damage_figures_create", args=[disaster.pk])
    response = client.post(url, _figures_post(nanao, **fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not DamageFigures.objects.exists()


def test_the_office_corrects_figures(client, figures, office_staff):
    client.force_login(office_staff)
    url = reverse("disaster_support:damage_figures_update", args=[figures.pk])
    data = _figures_post(None, destroyed="9")
    del data["municipality"]
    assert client.post(url, data).status_code == 302
    figures.refresh_from_db()
    assert figures.destroyed == 9


def test_the_calculation_is_shown_with_its_rounding(
    client, disaster, figures, office_staff
):
    client.force_login(office_staff)
    response = client.get(
        _damage_url(disaster), {"total": "1000500", "as_of": "2024-01-15"}
    )
    text = response.content.decode()
    calculation = response.context["calculation"]
    assert calculation.lines[0].points == 2 * 100 + 4 * 25
    assert calculation.lines[0].amount == 1_000_000
    assert calculation.unallocated == 500
    assert "2 × 100 = 200" in text
    assert "千円未満切り捨て" in text


def test_a_calculation_without_points_says_so(client, disaster, nanao, office_staff):
    factories.make_damage_figures(disaster=disaster, municipality=nanao)
    client.force_login(office_staff)
    response = client.get(
        _damage_url(disaster), {"total": "1000", "as_of": "2024-01-15"}
    )
    assert response.context["calculation"] is None
    assert "配分の基準がありません" in response.content.decode()


def test_the_office_freezes_from_the_page(client, disaster, figures, office_staff):
    client.force_login(office_staff)
    url = reverse("disaster_support:allocation_freeze", args=[disaster.pk])
    response = client.post(
        url,
        {
            "total": "1000000",
            "as_of": "2024-01-15",
            "decided_on": "2024-02-01",
            "reference": "第1号",
        },
    )
    allocation = Allocation.objects.get()
    assert response["Location"] == reverse(
        "disaster_support:allocation_detail", args=[allocation.pk]
    )
    assert allocation.lines.get().amount == 1_000_000


def test_a_bad_freeze_shows_the_error_and_saves_nothing(
    client, disaster, figures, office_staff
):
    client.force_login(office_staff)
    url = reverse("disaster_support:allocation_freeze", args=[disaster.pk])
    response = client.post(
        url,
        {
            "total": "1000000",
            "as_of": "2024-01-15",
            "decided_on": "2024-01-10",
            "reference": "第1号",
        },
    )
    assert response.status_code == 200
    assert "支払決定日は" in response.content.decode()
    assert not Allocation.objects.exists()


def test_a_member_cannot_freeze(client, disaster, figures, member):
    client.force_login(member)
    url = reverse("disaster_support:allocation_freeze", args=[disaster.pk])
    data = {
        "total": "1000",
        "as_of": "2024-01-15",
        "decided_on": "2024-02-01",
        "reference": "x",
    }
    assert client.post(url, data).status_code == 403
    assert not Allocation.objects.exists()


def test_weights_edit_after_a_freeze_shows_a_clear_error(
    client, disaster, allocation, office_staff
):
    client.force_login(office_staff)
    url = reverse("disaster_support:damage_weights", args=[disaster.pk])
    data = {
        name: "1"
        for name in [
            "destroyed",
            "major_half",
            "medium_half",
            "half",
            "quasi_half",
            "partial",
            "flooded_above",
            "flooded_below",
        ]
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "点数は変更できません" in response.content.decode()


def test_members_read_a_frozen_allocation(client, allocation, member):
    client.force_login(member)
    url = reverse("disaster_support:allocation_detail", args=[allocation.pk])
    response = client.get(url)
    text = response.content.decode()
    assert response.status_code == 200
    assert "区長会決定第1号" in text
    assert "1,000,000" in text
    assert response.context["pay_form"] is None


def test_anonymous_cannot_read_an_allocation(client, allocation):
    url = reverse("disaster_support:allocation_detail", args=[allocation.pk])
    assert client.get(url).status_code == 302


def test_the_office_records_the_payment(client, allocation, office_staff, nanao):
    client.force_login(office_staff)
    url = reverse("disaster_support:allocation_pay", args=[allocation.pk])
    assert client.post(url, {"paid_on": "2024-02-10"}).status_code == 302
    money = SupportMoney.objects.get()
    assert (money.recipient, money.amount) == (nanao, 1_000_000)


def test_a_ward_cannot_record_the_payment(client, allocation, chiyoda_staff):
    client.force_login(chiyoda_staff)
    url = reverse("disaster_support:allocation_pay", args=[allocation.pk])
    assert client.post(url, {"paid_on": "2024-02-10"}).status_code == 403
    assert not SupportMoney.objects.exists()


def test_the_disaster_page_links_paid_money_to_its_calculation(
    client, allocation, office_staff, member
):
    damage_services.allocation_pay(
        allocation=allocation, paid_on=D(2024, 2, 10), actor=office_staff
    )
    client.force_login(member)
    response = client.get(
        reverse("disaster_support:disaster_detail", args=[allocation.disaster.pk]),
        {"as_of": "2024-02-10"},
    )
    assert (
        reverse("disaster_support:allocation_detail", args=[allocation.pk])
        in response.content.decode()
    )


def _many_municipalities(disaster, ishikawa, count):
    for number in range(count):
        factories.make_damage_figures(
            disaster=disaster,
            municipality=factories.make_organisation(prefecture=ishikawa),
            destroyed=number + 1,
        )


def test_damage_page_queries_stay_flat(
    client, disaster, ishikawa, office_staff, django_assert_max_num_queries
):
    client.force_login(office_staff)
    params = {"total": "1000000", "as_of": "2024-01-15"}
    _many_municipalities(disaster, ishikawa, 1)
    with django_assert_max_num_queries(20) as one:
        client.get(_damage_url(disaster), params)
    _many_municipalities(disaster, ishikawa, 10)
    with django_assert_max_num_queries(len(one)):
        client.get(_damage_url(disaster), params)


def test_allocation_page_queries_stay_flat(
    client, disaster, ishikawa, office_staff, member, django_assert_max_num_queries
):
    _many_municipalities(disaster, ishikawa, 12)
    allocation = damage_services.allocation_freeze(
        disaster=disaster,
        total=1_000_000,
        as_of=D(2024, 1, 15),
        decided_on=D(2024, 2, 1),
        reference="第1号",
        actor=office_staff,
    )
    client.force_login(member)
    url = reverse("disaster_support:allocation_detail", args=[allocation.pk])
    with django_assert_max_num_queries(10):
        assert client.get(url).status_code == 200


def _weights_admin_post(disaster, value):
    return {
        "disaster": disaster.pk,
        **{
            name: str(value)
            for name in [
                "destroyed",
                "major_half",
                "medium_half",
                "half",
                "quasi_half",
                "partial",
                "flooded_above",
                "flooded_below",
            ]
        },
    }


def test_admin_sets_weights_and_logs_them(client, disaster, office_staff):
    client.force_login(office_staff)
    url = reverse("admin:disaster_support_damageweights_add")
    response = client.post(url, _weights_admin_post(disaster, 7))
    assert response.status_code == 302
    weights = disaster.damage_weights
    assert weights.half == 7
    assert ChangeLog.objects.filter(object_id=weights.pk, field="half").exists()


def test_admin_cannot_change_weights_after_a_freeze(
    client, disaster, allocation, office_staff
):
    client.force_login(office_staff)
    url = reverse("admin:disaster_support_damageweights_add")
    response = client.post(url, _weights_admin_post(disaster, 7))
    assert response.status_code == 200
    assert "点数は変更できません" in response.content.decode()
    assert not DamageWeights.objects.exists()


def test_ward_staff_cannot_open_the_damage_admin(client, chiyoda_staff):
    client.force_login(chiyoda_staff)
    url = reverse("admin:disaster_support_damagefigures_changelist")
    assert client.get(url).status_code == 403
