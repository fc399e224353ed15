"""Queries compiled once per process, bound afresh on every request.

Building a queryset and compiling it to SQL costs Python 0.5-3 ms however
few rows it returns: on a page of eight queries that is a third of the
page (docs/profile.md). The queries every page makes (the header's unread
count, a thread page's posts and the reader's marks) differ from request
to request only in their values: the person, the thread, the page. A
PreparedQuery builds its queryset once for each shape with stand-in
values, keeps the SQL Django compiled and where each stand-in landed among
its parameters, and from then on only puts each request's values there.

    UNREAD = PreparedQuery(
        lambda user_id: Notification.objects.filter(user=user_id).values_list("pk")
    )
    rows = UNREAD.rows(user_id=user.pk)

The build function takes plain values only: integers, strings and
datetimes are bound; None and True/False are part of the shape (a filter
on None compiles to IS NULL); a tuple or list is bound item by item with
its length in the shape; a frozen dataclass is bound field by field; a
value wrapped in Fixed (a LIMIT) is written into the SQL, so is shape. What
else decides the SQL (a rule that differs between people, say) must be
one of those values, so that it is in the shape.

A value that does not reach the SQL as a parameter of its own (turned into
a pattern, folded into the text, dropped as out of range) is refused when
the shape is first built. With RENKEI_CHECK_PREPARED_QUERIES on, as in the
tests, every use also builds and compiles the queryset from its real
values and fails unless the SQL and parameters are exactly those bound.
"""

import dataclasses
import datetime
import threading
from typing import NamedTuple

import psycopg
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections, router

# Integer stand-ins stay inside PostgreSQL's integer range: Django drops a
# comparison with an integer the column cannot hold instead of binding it.
_INTEGER_BASE = 1_900_000_000
_DATETIME_BASE = datetime.datetime(2001, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)


class Fixed(NamedTuple):
    """A value written into the SQL's text (a LIMIT, say): part of the
    shape, not bound. Only as one of the keyword values."""

    value: object


class PreparationError(Exception):
    """A build function's query cannot be prepared, or was bound wrongly."""


def _shape(value):
    """What of a value decides the SQL text: everything but the bound leaves."""
    if value is None or isinstance(value, (bool, Fixed)):
        return value
    if isinstance(value, (int, str, datetime.datetime)):
        return type(value).__name__
    if isinstance(value, (tuple, list)):
        return tuple(_shape(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value),
            tuple(_shape(getattr(value, f.name)) for f in dataclasses.fields(value)),
        )
    raise TypeError(f"A prepared query cannot bind {type(value).__name__} values.")


def _leaves(value, into):
    """The bound values, in the order _StandIns numbers them."""
    if value is None or isinstance(value, (bool, Fixed)):
        return into
    if isinstance(value, (int, str, datetime.datetime)):
        into.append(value)
    elif isinstance(value, (tuple, list)):
        for item in value:
            _leaves(item, into)
    else:
        for field in dataclasses.fields(value):
            _leaves(getattr(value, field.name), into)
    return into


class _StandIns:
    """Replaces each bound leaf of a value with a stand-in of its type."""

    def __init__(self):
        self.made = []

    def named(self, values):
        """Stand-ins for keyword values, numbered in the order of their names."""
        return {
            name: value.value if isinstance(value, Fixed) else self(value)
            for name, value in sorted(values.items())
        }

    def __call__(self, value):
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, (tuple, list)):
            return type(value)(self(item) for item in value)
        if dataclasses.is_dataclass(value):
            return dataclasses.replace(
                value,
                **{
                    f.name: self(getattr(value, f.name))
                    for f in dataclasses.fields(value)
                },
            )
        number = len(self.made)
        if isinstance(value, int):
            stand_in = _INTEGER_BASE + number
        elif isinstance(value, str):
            stand_in = f"\x1fprepared-{number}\x1f"
        else:
            stand_in = _DATETIME_BASE + datetime.timedelta(microseconds=number)
        self.made.append(stand_in)
        return stand_in


class _PreparingCursor(psycopg.Cursor):
    """A cursor binding on the server, each statement prepared there once
    per connection (psycopg keeps the most recent, prepared_max)."""

    def execute(self, query, params=None, **kwargs):
        return super().execute(query, params, prepare=True, **kwargs)


def _prepare_on_server(cursor):
    """Make Django's cursor (its wrapper: query log, execute wrappers) run
    on a _PreparingCursor of the same connection.

    Django's own cursors bind on the client, so PostgreSQL plans every
    query afresh: 0.7-1.7 ms for a thread page's posts, longer than running
    it. A statement prepared on the server is planned once per connection
    (then with a generic plan when PostgreSQL finds it as good).
    """
    client = cursor.cursor
    cursor.cursor = _PreparingCursor(client.connection)
    client.close()


def _same(param, stand_in):
    """Whether a compiled parameter is the stand-in: itself, or an integer
    in the database driver's type for the column (psycopg's Int4, say)."""
    if isinstance(stand_in, int):
        return (
            isinstance(param, int) and not isinstance(param, bool) and param == stand_in
        )
    return type(param) is type(stand_in) and param == stand_in


@dataclasses.dataclass
class _Statement:
    sql: str | None
    params: list
    # For each bound leaf, in order, the parameter positions it fills, with
    # the type the driver was given there (None: the value's own).
    slots: list
    compiler: object


class PreparedQuery:
    """A query built by ``build(**values)``, compiled once per shape."""

    def __init__(self, build):
        self.build = build
        self.name = getattr(build, "__qualname__", repr(build))
        # Per thread: a compiler keeps its thread's database connection.
        self._local = threading.local()

    def rows(self, **values):
        """The query's rows as tuples, as values_list() would give them."""
        model = self._model(values)
        alias = router.db_for_read(model)
        shape = (alias, tuple((name, _shape(v)) for name, v in sorted(values.items())))
        statements = self._statements()
        statement = statements.get(shape)
        if statement is None:
            statement = statements[shape] = self._prepare(alias, values)
        leaves = _leaves([v for _, v in sorted(values.items())], [])
        params = list(statement.params)
        for value, positions in zip(leaves, statement.slots, strict=True):
            for position, cast in positions:
                params[position] = value if cast is None else cast(value)
        if settings.RENKEI_CHECK_PREPARED_QUERIES:
            self._check(alias, values, statement.sql, params)
        if statement.sql is None:
            return []
        connection = connections[alias]
        on_server = settings.RENKEI_PREPARED_STATEMENTS
        with connection.cursor() as cursor:
            if on_server:
                _prepare_on_server(cursor)
            cursor.execute(statement.sql, params)
            fetched = cursor.fetchall()
        if on_server and connection.queries_logged and connection.queries_log:
            # Logged as Django logs its own queries: the SQL with its values
            # (a server-side cursor's would be the text and the values apart).
            connection.queries_log[-1]["sql"] = connection.ops.compose_sql(
                statement.sql, params
            )
        return list(
            statement.compiler.results_iter(results=[fetched], tuple_expected=True)
        )

    def _statements(self):
        statements = getattr(self._local, "statements", None)
        if statements is None:
            statements = self._local.statements = {}
        return statements

    def _model(self, values):
        model = getattr(self, "model", None)
        if model is None:
            # The model decides the database (config/db_router.py); the
            # first build with stand-ins tells it.
            model = self.model = self.build(**_StandIns().named(values)).model
        return model

    def _prepare(self, alias, values):
        stand_ins = _StandIns()
        queryset = self.build(**stand_ins.named(values))
        compiler = queryset.query.get_compiler(using=alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            # Nothing can match (none(), "in" no values): no query at all,
            # as the ORM would make none.
            return _Statement(None, [], [[] for _ in stand_ins.made], compiler)
        params = list(params)
        slots = []
        for stand_in in stand_ins.made:
            positions = [
                (i, None if type(param) is type(stand_in) else type(param))
                for i, param in enumerate(params)
                if _same(param, stand_in)
            ]
            if not positions:
                raise PreparationError(
                    f"{self.name}: a value ({stand_in!r}) did not "
                    "reach the SQL as a parameter of its own, so it cannot be bound."
                )
            slots.append(positions)
        taken = {position for positions in slots for position, _ in positions}
        for position, param in enumerate(params):
            changed = isinstance(param, str) and "\x1fprepared-" in param
            if changed and position not in taken:
                raise PreparationError(
                    f"{self.name}: a value was changed on its way "
                    "into the SQL, so it cannot be bound."
                )
        return _Statement(sql, params, slots, compiler)

    def _check(self, alias, values, sql, params):
        queryset = self.build(
            **{
                name: value.value if isinstance(value, Fixed) else value
                for name, value in values.items()
            }
        )
        try:
            expected_sql, expected_params = queryset.query.get_compiler(
                using=alias
            ).as_sql()
        except EmptyResultSet:
            expected_sql, expected_params = None, []
        if expected_sql != sql or list(expected_params) != params:
            raise PreparationError(
                f"{self.name}: the prepared query differs from the "
                f"one built from these values.\nbuilt: {expected_sql} "
                f"{list(expected_params)!r}\nbound: {sql} {params!r}"
            )


def model_columns(model, names=None, *, through=""):
    """A model's columns for values_list(), in the order Model.from_db takes
    them: every concrete field's, or only those named (by attname), each
    after `through` (e.g. "reader_group__" for a related model's)."""
    return [
        through + field.attname
        for field in model._meta.concrete_fields
        if names is None or field.attname in names
    ]


def from_row(model, names, values):
    """A model instance from the values of model_columns(model, names), of
    the database the ORM would have read it from: an instance of none would
    ask the router where to write when it is given a related object
    (config/db_router.py counts that as a write)."""
    return model.from_db(router.db_for_read(model), model_columns(model, names), values)


def related_from_row(model, values):
    """from_row() of all of a model's columns read through a nullable join:
    None when the join found none (its primary key is NULL)."""
    position = [f.attname for f in model._meta.concrete_fields].index(
        model._meta.pk.attname
    )
    return None if values[position] is None else from_row(model, None, values)


def split_row(values, *models):
    """A row read as the model_columns() of each of `models` in turn, cut
    into each model's values; what follows them comes last."""
    parts, start = [], 0
    for model in models:
        end = start + len(model._meta.concrete_fields)
        parts.append(values[start:end])
        start = end
    parts.append(values[start:])
    return parts
