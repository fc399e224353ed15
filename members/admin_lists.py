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
"""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db import models

from .forms import DayField

__all__ = ["KeyedChangeList", "ModelAdmin"]


class KeyedChangeList(ChangeList):
    """A changelist whose related rows are prefetched instead of joined.

    It also answers an unreachable date-hierarchy year as a wrong lookup.
    """

    def get_filters(self, request):
        # Django refuses a date-hierarchy year it cannot read, but fails on
        # one it can read and not reach (10**30, or 9999, whose next year is
        # past the calendar): that is a wrong lookup too.
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error

    def apply_select_related(self, qs):
        return qs.prefetch_related(*self.related_to_read())

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
    dates bounded as on the site (members.forms.DayField)."""

    formfield_overrides = {models.DateField: {"form_class": DayField}}

    def get_changelist(self, request, **kwargs):
        return KeyedChangeList
