"""Admin list pages that read their own table alone.

Django's changelist joins the relations in ``list_select_related`` (or every
foreign key shown) into the one query that picks the page's rows. How
PostgreSQL runs that join depends on the tables' statistics: with a table
analysed while it was nearly empty and full since, the join was planned as
nested loops over whole tables and held a database core for many minutes
(the post list, six tables). Here the page's rows come from their own table
(ORDER BY ... LIMIT: an index scan or one sort, whatever the statistics), and
each relation is then read by primary key (``WHERE id IN (...)``), one query
per relation: no join is left to misplan, and the count stays flat as rows
grow. Every Renkei admin derives from ``ModelAdmin`` here.

Nor does a page count a large table row by row (EstimatedCountPaginator).
"""

import json
from functools import cached_property

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections, models

from .forms import DayField

__all__ = ["EstimatedCountPaginator", "KeyedChangeList", "ModelAdmin"]


class EstimatedCountPaginator(Paginator):
    """Pages whose number of rows is PostgreSQL's estimate when it is large.

    Django's changelist counts the rows of its list (COUNT(*)) on every
    page: on a million posts that reads them all each time. From
    ``estimate_from`` rows on, the count is the table's size in its
    statistics (pg_class.reltuples) when nothing is filtered, and the
    planner's estimate of the filtered query otherwise; fewer rows are
    counted exactly. ``estimated`` says which it was, for the page to say
    「約」.
    """

    estimate_from = 10_000
    estimated = False

    @cached_property
    def count(self):
        queryset = self.object_list
        if (
            isinstance(queryset, models.QuerySet)
            and not queryset.query.where
            and not queryset.query.distinct
        ):
            return self._table_count(queryset)
        estimate = self.estimate()
        if estimate is None or estimate < self.estimate_from:
            return super().count
        self.estimated = True
        return estimate

    def _table_count(self, queryset):
        """A whole table's rows in one query: its statistics when large,
        else counted (a table never analysed has reltuples -1, PostgreSQL 14
        and later, and is counted)."""
        connection = connections[queryset.db]
        table = connection.ops.quote_name(queryset.model._meta.db_table)
        with connection.cursor() as cursor:
            # The table's name is the model's, quoted: no input reaches it.
            sql = (
                "SELECT CASE WHEN s.reltuples >= %s"  # noqa: S608
                " THEN s.reltuples::bigint END,"
                f" CASE WHEN s.reltuples < %s THEN (SELECT COUNT(*) FROM {table}) END"
                " FROM (SELECT coalesce(max(reltuples), -1) AS reltuples"
                " FROM pg_class WHERE oid = to_regclass(%s)) s"
            )
            cursor.execute(sql, [self.estimate_from, self.estimate_from, table])
            estimate, exact = cursor.fetchone()
        if estimate is None:
            return exact
        self.estimated = True
        return estimate

    def estimate(self) -> int | None:
        """The planner's idea of a filtered list's rows, None if it has none."""
        queryset = self.object_list
        if not isinstance(queryset, models.QuerySet):
            return None
        with connections[queryset.db].cursor() as cursor:
            try:
                sql, params = queryset.order_by().query.sql_with_params()
            except EmptyResultSet:
                # A filter nothing can match (a number past any key):
                # the count says 0 without asking the database.
                return None
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])


class KeyedChangeList(ChangeList):
    """A changelist whose related rows are prefetched instead of joined.

    It also answers an unreachable year (of a date hierarchy or a date
    filter) as a wrong lookup.
    """

    def get_filters(self, request):
        # Django refuses a date-hierarchy year it cannot read, but fails on
        # one it can read and not reach (10**30, or 9999, whose next year is
        # past the calendar): that is a wrong lookup too.
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        # A date filter past the calendar (created_at__year=10**30) fails
        # only when the SQL is made, in the middle of the page: say so first.
        try:
            queryset.query.sql_with_params()
        except EmptyResultSet:
            pass
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error
        return queryset

    def apply_select_related(self, qs):
        joined = list(getattr(self.model_admin, "list_joined", ()))
        if joined:
            qs = qs.select_related(*joined)
        return qs.prefetch_related(*self.prefetches(exclude=joined))

    def prefetches(self, *, exclude=()) -> list[models.Prefetch]:
        """One query per relation of the listed rows, its own relations joined.

        Paths that start alike ("author__organisation__prefecture",
        "author") are read together: the authors with their organisations
        and prefectures, by the authors' keys. Those joins start from at
        most a page of keys, so whatever the plan they read no more than
        that many rows of each table.
        """
        deeper: dict[str, set[str]] = {}
        for path in self.related_to_read():
            if path in exclude:
                continue
            first, _, rest = path.partition("__")
            deeper.setdefault(first, set())
            if rest:
                deeper[first].add(rest)
        prefetches = []
        for name, rest in deeper.items():
            queryset = self.lookup_opts.get_field(name).related_model._base_manager
            if rest:
                # Only these: select_related() with no names would join every
                # foreign key of the related rows.
                queryset = queryset.select_related(*sorted(rest))
            prefetches.append(models.Prefetch(name, queryset=queryset.all()))
        return prefetches

    def related_to_read(self) -> list[str]:
        """The relations the list shows: as declared, or the foreign keys shown."""
        if self.list_select_related is True:
            return [
                field.name
                for field in self.lookup_opts.fields
                if isinstance(field, models.ForeignKey)
            ]
        if self.list_select_related is False:
            return self.get_select_related_fields()
        return list(self.list_select_related)


class ModelAdmin(admin.ModelAdmin):
    """The base of Renkei's admins: list pages through KeyedChangeList, and
    dates bounded as on the site (members.forms.DayField).

    ``list_joined`` names relations to a handful of fixed rows (the board's
    categories) that the page query may join: read once per listed row at
    worst, they cost less than a query of their own.
    """

    list_joined: tuple[str, ...] = ()
    paginator = EstimatedCountPaginator
    # The whole table's count, beside a filtered one, is a second COUNT(*).
    show_full_result_count = False

    formfield_overrides = {models.DateField: {"form_class": DayField}}

    def get_changelist(self, request, **kwargs):
        return KeyedChangeList
