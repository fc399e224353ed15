"""Keyset pagination for thread lists: deep pages cost what page 1 costs.

A cursor names the last thread shown (its activity time and id); the next
page continues strictly after it along the listing index, instead of
counting past thousands of rows with OFFSET. The comparison is a row
comparison, (last_activity_at, id) < (t, n), which PostgreSQL answers with
a single index descent at any depth (an OR of two conditions would scan).
"""

import datetime

from django.db.models import F
from django.db.models.fields.tuple_lookups import (
    Tuple,
    TupleGreaterThan,
    TupleLessThan,
)

KEY = Tuple(F("last_activity_at"), F("pk"))
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MICROSECOND = datetime.timedelta(microseconds=1)


def encode_cursor(thread):
    return f"{(thread.last_activity_at - EPOCH) // MICROSECOND}.{thread.pk}"


def decode_cursor(value):
    """(time, id) from a cursor string, or None if it is not one."""
    try:
        micro, pk = value.split(".")
        return EPOCH + int(micro) * MICROSECOND, int(pk)
    except (AttributeError, ValueError, OverflowError, OSError):
        return None


class KeysetPage:
    def __init__(self, rows, *, has_older, has_newer):
        self.rows = rows
        self.has_older = has_older
        self.has_newer = has_newer

    @property
    def older_cursor(self):
        return encode_cursor(self.rows[-1]) if self.has_older and self.rows else None

    @property
    def newer_cursor(self):
        return encode_cursor(self.rows[0]) if self.has_newer and self.rows else None


def keyset_page(queryset, *, before=None, after=None, size=30):
    """One page of `queryset` (newest activity first) around a cursor."""
    if after is not None:
        moment, pk = after
        rows = list(
            queryset.filter(TupleGreaterThan(KEY, (moment, pk))).order_by(
                "last_activity_at", "pk"
            )[: size + 1]
        )
        has_newer = len(rows) > size
        rows = rows[:size][::-1]
        return KeysetPage(rows, has_older=True, has_newer=has_newer)
    if before is not None:
        moment, pk = before
        queryset = queryset.filter(TupleLessThan(KEY, (moment, pk)))
    rows = list(queryset.order_by("-last_activity_at", "-pk")[: size + 1])
    return KeysetPage(
        rows[:size], has_older=len(rows) > size, has_newer=before is not None
    )
