"""Writing rows with PostgreSQL's COPY, for bench.seed."""

import datetime

from psycopg.copy import QueuedLibpqWriter

# Rows per COPY write: some 40 MB of text for posts.
CHUNK_ROWS = 10_000


def copy_text(value):
    """A value in COPY's text format (None is NULL)."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def with_defaults(model, fields, lines):
    """Add the columns left out with their defaults, as an INSERT would.

    New columns (a counter, a version) then need no change here.
    """
    rest = [
        field
        for field in model._meta.concrete_fields
        if field.name not in fields and not field.primary_key and field.has_default()
    ]
    if not rest:
        return fields, lines
    tail = "".join("\t" + copy_text(field.get_default()) for field in rest) + "\n"
    return [*fields, *(field.name for field in rest)], (
        text[:-1] + tail for text in lines
    )


def columns(model, fields):
    return ", ".join(model._meta.get_field(name).column for name in fields)


def copy_rows(cursor, model, fields, lines, progress=None, every=100_000):
    """COPY pre-formatted text lines (an iterable) into model's table.

    FREEZE writes the rows as already frozen and visible, so the VACUUM
    afterwards need not rewrite the table; it is allowed because the table
    was truncated earlier in the same transaction. A queued writer sends
    the data from a thread while Python formats the next rows.
    """
    table = model._meta.db_table
    fields, lines = with_defaults(model, fields, lines)
    sql = f"COPY {table} ({columns(model, fields)}) FROM STDIN WITH (FREEZE)"
    count = 0
    raw = cursor.cursor
    # The change counter's triggers would keep every copied row for their
    # transition tables; the TRUNCATE before has counted the change.
    cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    with raw.copy(sql, writer=QueuedLibpqWriter(raw)) as copy:
        chunk = []
        for line in lines:
            chunk.append(line)
            count += 1
            if len(chunk) == CHUNK_ROWS:
                copy.write("".join(chunk))
                chunk = []
            if progress and count % every == 0:
                progress.say(f"  {count:,} {table} rows")
        if chunk:
            copy.write("".join(chunk))
    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    return count
