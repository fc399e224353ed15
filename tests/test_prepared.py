"""Queries compiled once per process and bound per use (members/common/prepared.py)."""

import dataclasses
import datetime

import pytest
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Q

from members.common.prepared import (
    Fixed,
    PreparationError,
    PreparedQuery,
    from_row,
    model_columns,
)
from members.models import Organisation, User
from tests.factories import make_organisation, make_prefecture, make_user

pytestmark = pytest.mark.django_db


def organisations(*conditions, **filters):
    return Organisation.objects.filter(*conditions, **filters).order_by("pk")


def counting(build):
    """build, counting how often it is called."""

    def counted(**values):
        counted.calls += 1
        return build(**values)

    counted.calls = 0
    return counted


@pytest.fixture
def unchecked(settings):
    """Without the comparison the tests make, as in production."""
    settings.RENKEI_CHECK_PREPARED_QUERIES = False


def test_each_use_gets_the_rows_of_its_own_values():
    first, second = make_organisation(name="一の市"), make_organisation(name="二の市")
    names = PreparedQuery(lambda pk: organisations(pk=pk).values_list("name"))

    assert names.rows(pk=first.pk) == [("一の市",)]
    assert names.rows(pk=second.pk) == [("二の市",)]


def test_a_shape_is_built_once_and_then_only_bound(unchecked):
    first, second = make_organisation(), make_organisation()
    build = counting(lambda pk: organisations(pk=pk).values_list("pk"))
    query = PreparedQuery(build)

    query.rows(pk=first.pk)
    built = build.calls
    assert query.rows(pk=second.pk) == [(second.pk,)]
    assert build.calls == built


def test_none_is_a_shape_of_its_own():
    ward = make_organisation(kind=Organisation.Kind.SPECIAL_WARD)
    prefecture = make_prefecture()
    town = make_organisation(prefecture=prefecture)
    query = PreparedQuery(
        lambda prefecture: organisations(
            prefecture=prefecture, pk__in=[ward.pk, town.pk]
        ).values_list("pk")
    )

    assert query.rows(prefecture=prefecture.pk) == [(town.pk,)]
    assert query.rows(prefecture=None) == [(ward.pk,)]


def test_a_tuple_is_bound_item_by_item_whatever_its_length():
    made = [make_organisation() for _ in range(3)]
    query = PreparedQuery(lambda pks: organisations(pk__in=pks).values_list("pk"))

    assert query.rows(pks=(made[0].pk,)) == [(made[0].pk,)]
    assert query.rows(pks=(made[1].pk, made[2].pk)) == [(made[1].pk,), (made[2].pk,)]


def test_an_empty_tuple_matches_nothing_without_a_query(django_assert_num_queries):
    query = PreparedQuery(lambda pks: organisations(pk__in=pks).values_list("pk"))

    with django_assert_num_queries(0):
        assert query.rows(pks=()) == []


@dataclasses.dataclass(frozen=True)
class Among:
    pks: tuple
    kind: str


def test_a_dataclass_is_bound_field_by_field():
    city = make_organisation(kind=Organisation.Kind.CITY)
    ward = make_organisation(kind=Organisation.Kind.SPECIAL_WARD)
    query = PreparedQuery(
        lambda among: organisations(pk__in=among.pks, kind=among.kind).values_list("pk")
    )

    both = (city.pk, ward.pk)
    assert query.rows(among=Among(both, Organisation.Kind.CITY)) == [(city.pk,)]
    assert query.rows(among=Among(both, Organisation.Kind.SPECIAL_WARD)) == [(ward.pk,)]


def test_a_fixed_value_is_written_into_the_sql():
    made = [make_organisation() for _ in range(3)]
    pks = tuple(o.pk for o in made)
    query = PreparedQuery(
        lambda pks, limit: organisations(pk__in=pks).values_list("pk")[:limit]
    )

    assert len(query.rows(pks=pks, limit=Fixed(1))) == 1
    assert len(query.rows(pks=pks, limit=Fixed(2))) == 2
    assert len(query.rows(pks=pks, limit=Fixed(None))) == 3


def test_datetimes_are_bound():
    organisation = make_organisation()
    Organisation.objects.filter(pk=organisation.pk).update(
        contact_confirmed_at=datetime.datetime(2026, 4, 1, tzinfo=datetime.UTC)
    )
    query = PreparedQuery(
        lambda pk, since: organisations(
            pk=pk, contact_confirmed_at__gte=since
        ).values_list("pk")
    )

    early = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
    late = datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC)
    assert query.rows(pk=organisation.pk, since=early) == [(organisation.pk,)]
    assert query.rows(pk=organisation.pk, since=late) == []


def test_a_value_turned_into_a_pattern_is_refused():
    query = PreparedQuery(
        lambda name: organisations(name__contains=name).values_list("pk")
    )

    with pytest.raises(PreparationError, match="did not reach the SQL"):
        query.rows(name="市")


def test_a_value_bound_once_and_changed_once_is_refused():
    query = PreparedQuery(
        lambda name: organisations(Q(name=name) | Q(name__contains=name)).values_list(
            "pk"
        )
    )

    with pytest.raises(PreparationError, match="changed on its way"):
        query.rows(name="市")


def test_a_value_written_into_the_sql_is_refused():
    query = PreparedQuery(lambda limit: organisations().values_list("pk")[:limit])

    with pytest.raises(PreparationError, match="did not reach the SQL"):
        query.rows(limit=2)


def test_a_build_whose_sql_depends_on_a_bound_value_is_caught():
    """What decides the SQL must be in the shape; the tests' comparison
    catches a build that branches on a bound value."""
    organisation = make_organisation()
    query = PreparedQuery(
        lambda pk: (
            organisations(pk=pk, membership_status="member")
            if pk < 1_000_000_000
            else organisations(pk=pk)
        ).values_list("pk")
    )

    with pytest.raises(PreparationError, match="differs"):
        query.rows(pk=organisation.pk)


def test_the_database_converters_are_applied():
    """As values_list() would give them: an array subquery comes back as a
    list of strings."""
    organisation = make_organisation()
    make_user(organisation=organisation, email="a@example.jp")
    make_user(organisation=organisation, email="b@example.jp")
    query = PreparedQuery(
        lambda pk: organisations(pk=pk).values_list(
            ArraySubquery(
                User.objects.filter(organisation=OuterRef("pk"))
                .order_by("email")
                .values("email")
            )
        )
    )

    assert query.rows(pk=organisation.pk) == [(["a@example.jp", "b@example.jp"],)]


def test_from_row_makes_the_instance_values_list_was_read_for():
    prefecture = make_prefecture()
    organisation = make_organisation(name="七尾市", prefecture=prefecture)
    names = ("id", "name", "prefecture_id")
    query = PreparedQuery(
        lambda pk: organisations(pk=pk).values_list(*model_columns(Organisation, names))
    )

    (values,) = query.rows(pk=organisation.pk)
    made = from_row(Organisation, names, values)
    assert (made.pk, made.name, made.prefecture_id) == (
        organisation.pk,
        "七尾市",
        prefecture.pk,
    )
    assert made.get_deferred_fields() >= {"kind", "code"}
