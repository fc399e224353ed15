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


def keyset_order(queryset, *, before=None, after=None):
    """queryset from a cursor on, in the order keyset_page reads it: after
    a cursor oldest first, else newest first."""
    if after is not None:
        return queryset.filter(TupleGreaterThan(KEY, after)).order_by(
            "last_activity_at", "pk"
        )
    if before is not None:
        queryset = queryset.filter(TupleLessThan(KEY, before))
    return queryset.order_by("-last_activity_at", "-pk")


def keyset_page(read, *, before=None, after=None, size=30):
    """One page (newest activity first) around a cursor; read(limit) gives
    the first `limit` rows of keyset_order with the same cursors."""
    rows = list(read(size + 1))
    if after is not None:
        has_newer = len(rows) > size
        return KeysetPage(rows[:size][::-1], has_older=True, has_newer=has_newer)
    return KeysetPage(
        rows[:size], has_older=len(rows) > size, has_newer=before is not None
    )
