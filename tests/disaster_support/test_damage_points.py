"""復興支援金 by damage points: the calculation, freezing and payment."""

import datetime
from fractions import Fraction

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone

from disaster_support import damage, damage_services, permissions
from disaster_support.models import (
    Allocation,
    AllocationLine,
    ChangeLog,
    DamageFigures,
    DamageWeights,
    SupportMoney,
)
from tests import factories

D = datetime.date
TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


@pytest.fixture
def wajima(ishikawa):
    return factories.make_organisation(name="輪島市", prefecture=ishikawa)


@pytest.fixture
def suzu(ishikawa):
    return factories.make_organisation(name="珠洲市", prefecture=ishikawa)


@pytest.fixture
def worked_example(disaster, wajima, suzu, nanao):
    """The manual's example: 1,160 + 650 + 110 = 1,920 points."""
    factories.make_damage_figures(
        disaster=disaster, municipality=wajima, destroyed=10, half=4, partial=20
    )
    factories.make_damage_figures(
        disaster=disaster, municipality=suzu, destroyed=5, major_half=2
    )
    factories.make_damage_figures(
        disaster=disaster,
        municipality=nanao,
        partial=30,
        flooded_above=5,
        flooded_below=10,
    )
    return disaster


def _frozen(disaster, actor=None, **fields):
    values = {
        "total": 10_000_000,
        "as_of": D(2024, 1, 15),
        "decided_on": D(2024, 2, 1),
        "reference": "区長会 令和6年2月1日決定",
        **fields,
    }
    return damage_services.allocation_freeze(disaster=disaster, actor=actor, **values)


def test_worked_example_gives_exact_yen(worked_example, wajima, suzu, nanao):
    calculation = damage.calculate(
        worked_example, total=10_000_000, as_of=D(2024, 1, 15)
    )
    assert [
        (line.municipality, line.points, line.amount) for line in calculation.lines
    ] == [
        (wajima, 1160, 6_041_000),
        (suzu, 650, 3_385_000),
        (nanao, 110, 572_000),
    ]
    assert calculation.points == 1920
    assert calculation.allocated == 9_998_000
    assert calculation.unallocated == 2_000


def test_shares_and_products_are_shown_per_category(worked_example, wajima):
    line = damage.calculate(worked_example, total=10_000_000, as_of=D(2024, 1, 15))
    first = line.lines[0]
    assert first.share == Fraction(1160, 1920)
    assert first.share_percent == "60.417%"
    assert first.cells[0] == (10, 100, 1000)  # 全壊 10 households × 100 points
    assert first.cells[3] == (4, 25, 100)  # 半壊


def test_amounts_are_rounded_down_to_the_thousand_yen():
    assert damage.amount_for(1_000_999, 1, 1) == 1_000_000
    assert damage.amount_for(2_999, 1, 3) == 0
    assert damage.amount_for(3_000, 1, 3) == 1_000


def test_a_single_municipality_gets_the_total_less_the_rounding(disaster, nanao):
    factories.make_damage_figures(disaster=disaster, municipality=nanao, half=1)
    calculation = damage.calculate(disaster, total=1_234_567, as_of=D(2024, 1, 15))
    assert [line.amount for line in calculation.lines] == [1_234_000]
    assert calculation.unallocated == 567


def test_no_points_refuses_the_calculation(disaster, nanao):
    factories.make_damage_figures(disaster=disaster, municipality=nanao)
    with pytest.raises(ValidationError) as error:
        damage.calculate(disaster, total=1_000_000, as_of=D(2024, 1, 15))
    assert error.value.code == "no_points"


def test_a_municipality_with_zero_points_gets_nothing(disaster, nanao, wajima):
    factories.make_damage_figures(disaster=disaster, municipality=nanao)
    factories.make_damage_figures(disaster=disaster, municipality=wajima, partial=1)
    calculation = damage.calculate(disaster, total=100_000, as_of=D(2024, 1, 15))
    assert {line.municipality: line.amount for line in calculation.lines} == {
        wajima: 100_000,
        nanao: 0,
    }


def test_the_latest_figures_on_or_before_the_day_are_used(disaster, nanao):
    factories.make_damage_figures(
        disaster=disaster, municipality=nanao, as_of=D(2024, 1, 10), destroyed=1
    )
    factories.make_damage_figures(
        disaster=disaster, municipality=nanao, as_of=D(2024, 1, 20), destroyed=3
    )
    early = damage.calculate(disaster, total=1_000_000, as_of=D(2024, 1, 15))
    late = damage.calculate(disaster, total=1_000_000, as_of=D(2024, 1, 25))
    assert early.lines[0].points == 100
    assert late.lines[0].points == 300


def test_the_disasters_own_weights_are_used(worked_example, office_staff):
    damage_services.weights_update(
        disaster=worked_example,
        actor=office_staff,
        **{**damage.default_weights(), "destroyed": 200},
    )
    calculation = damage.calculate(
        worked_example, total=10_000_000, as_of=D(2024, 1, 15)
    )
    assert calculation.points == 1920 + 10 * 100 + 5 * 100


def test_freezing_stores_the_lines(worked_example, office_staff, wajima):
    allocation = _frozen(worked_example, office_staff)
    assert allocation.unallocated == 2_000
    assert allocation.weights == damage.default_weights()
    line = allocation.lines.get(municipality=wajima)
    assert (line.points, line.amount) == (1160, 6_041_000)
    assert line.figures["destroyed"] == 10


def test_later_figure_edits_leave_a_frozen_allocation_unchanged(
    worked_example, office_staff, wajima
):
    allocation = _frozen(worked_example, office_staff)
    figures = DamageFigures.objects.get(municipality=wajima)
    damage_services.figures_update(figures=figures, actor=office_staff, destroyed=50)
    line = AllocationLine.objects.get(allocation=allocation, municipality=wajima)
    assert (line.points, line.amount, line.figures["destroyed"]) == (
        1160,
        6_041_000,
        10,
    )


def test_weights_cannot_change_after_a_freeze(worked_example, office_staff):
    _frozen(worked_example, office_staff)
    with pytest.raises(ValidationError) as error:
        damage_services.weights_update(
            disaster=worked_example, actor=office_staff, **damage.default_weights()
        )
    assert error.value.error_dict["__all__"][0].code == "weights_frozen"
    assert not DamageWeights.objects.exists()


def test_set_weights_cannot_change_after_a_freeze(worked_example, office_staff):
    damage_services.weights_update(
        disaster=worked_example, actor=office_staff, **damage.default_weights()
    )
    _frozen(worked_example, office_staff)
    with pytest.raises(ValidationError):
        damage_services.weights_update(
            disaster=worked_example,
            actor=office_staff,
            **{**damage.default_weights(), "half": 1},
        )
    assert DamageWeights.objects.get().half == 25


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"total": 0}, "total", "not_positive"),
        ({"as_of": D(2023, 12, 31)}, "as_of", "before_disaster"),
        ({"as_of": TOMORROW}, "as_of", "future"),
        ({"decided_on": D(2024, 1, 14)}, "decided_on", "decided_before_figures"),
        ({"reference": "  "}, "reference", "required"),
    ],
)
def test_bad_freezes_are_refused_and_nothing_saved(
    worked_example, office_staff, fields, field, code
):
    with pytest.raises(ValidationError) as error:
        _frozen(worked_example, office_staff, **fields)
    assert error.value.error_dict[field][0].code == code
    assert not Allocation.objects.exists()
    assert not AllocationLine.objects.exists()


def test_freezing_without_points_saves_nothing(disaster, nanao, office_staff):
    factories.make_damage_figures(disaster=disaster, municipality=nanao)
    with pytest.raises(ValidationError):
        _frozen(disaster, office_staff)
    assert not Allocation.objects.exists()


@pytest.mark.parametrize(
    ("counts", "field"),
    [
        ({"as_of": D(2023, 12, 31)}, "as_of"),
        ({"as_of": TOMORROW}, "as_of"),
        ({"destroyed": -1}, "destroyed"),
    ],
)
def test_figures_that_do_not_add_up_are_refused(
    disaster, nanao, office_staff, counts, field
):
    values = {"as_of": D(2024, 1, 15), **counts}
    with pytest.raises(ValidationError) as error:
        damage_services.figures_create(
            disaster=disaster, municipality=nanao, actor=office_staff, **values
        )
    assert field in error.value.error_dict
    assert not DamageFigures.objects.exists()
    assert not ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(DamageFigures)
    ).exists()


def test_figures_for_a_municipality_outside_the_disaster_are_refused(
    disaster, office_staff
):
    elsewhere = factories.make_organisation(
        name="金沢区", prefecture=factories.make_prefecture("神奈川県")
    )
    with pytest.raises(ValidationError) as error:
        damage_services.figures_create(
            disaster=disaster,
            municipality=elsewhere,
            as_of=D(2024, 1, 15),
            actor=office_staff,
        )
    assert error.value.error_dict["municipality"][0].code == "not_affected"
    assert not DamageFigures.objects.exists()


def test_two_sets_of_figures_on_one_day_are_refused(disaster, nanao, office_staff):
    factories.make_damage_figures(disaster=disaster, municipality=nanao, half=1)
    with pytest.raises(ValidationError):
        factories.make_damage_figures(disaster=disaster, municipality=nanao, half=2)
    assert DamageFigures.objects.get().half == 1


def test_paying_creates_the_support_money_with_its_basis(
    worked_example, office_staff, wajima
):
    allocation = _frozen(worked_example, office_staff)
    paid = damage_services.allocation_pay(
        allocation=allocation, paid_on=D(2024, 2, 10), actor=office_staff
    )
    assert len(paid) == 3
    money = SupportMoney.objects.get(recipient=wajima)
    assert money.amount == 6_041_000
    assert money.is_joint and money.payer is None
    assert money.kind == SupportMoney.Kind.RECONSTRUCTION
    assert "1,160" in money.basis and "1,920" in money.basis
    assert "区長会 令和6年2月1日決定" in money.basis
    allocation.refresh_from_db()
    assert allocation.paid_on == D(2024, 2, 10)
    assert allocation.lines.get(municipality=wajima).money == money


def test_paying_twice_is_refused(worked_example, office_staff):
    allocation = _frozen(worked_example, office_staff)
    damage_services.allocation_pay(
        allocation=allocation, paid_on=D(2024, 2, 10), actor=office_staff
    )
    with pytest.raises(ValidationError) as error:
        damage_services.allocation_pay(
            allocation=allocation, paid_on=D(2024, 2, 11), actor=office_staff
        )
    assert error.value.code == "already_paid"
    assert SupportMoney.objects.count() == 3


def test_paying_before_the_decision_saves_nothing(worked_example, office_staff):
    allocation = _frozen(worked_example, office_staff)
    with pytest.raises(ValidationError):
        damage_services.allocation_pay(
            allocation=allocation, paid_on=D(2024, 1, 20), actor=office_staff
        )
    assert not SupportMoney.objects.exists()
    allocation.refresh_from_db()
    assert allocation.paid_on is None


def test_changes_are_in_the_history(worked_example, office_staff):
    allocation = _frozen(worked_example, office_staff)
    changes = permissions.visible_changes(office_staff, worked_example)
    types = {change.content_type.model for change in changes}
    assert {"damagefigures", "allocation", "allocationline"} <= types
    assert changes.filter(object_id=allocation.pk, field="reference").exists()


def test_wards_do_not_see_the_office_history_of_figures(worked_example, chiyoda_staff):
    changes = permissions.visible_changes(chiyoda_staff, worked_example)
    assert not changes.filter(
        content_type=ContentType.objects.get_for_model(DamageFigures)
    ).exists()


def test_totals_by_recipient_and_payer(disaster, nanao, chiyoda, office_staff):
    from disaster_support import reports, services

    for amount, payer in [(100, chiyoda), (200, chiyoda), (50, None)]:
        services.money_create(
            disaster=disaster,
            actor=office_staff,
            kind=SupportMoney.Kind.DONATION,
            payer=payer,
            is_joint=payer is None,
            recipient=nanao,
            amount=amount,
            paid_on=D(2024, 1, 20),
        )
    services.money_create(
        disaster=disaster,
        actor=office_staff,
        kind=SupportMoney.Kind.DONATION,
        payer=chiyoda,
        recipient=nanao,
        amount=1000,
        paid_on=D(2024, 3, 1),
    )
    money, goods = reports.money_and_goods(disaster, D(2024, 2, 1))
    totals = damage.aid_totals(money, goods)
    assert totals.money_by_recipient == [("石川県七尾市", 350)]
    assert totals.money_by_payer == [("千代田区", 300), ("23区共同", 50)]
