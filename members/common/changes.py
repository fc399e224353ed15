"""The change counter: has anything a cached account shows changed?

PostgreSQL keeps the content sum in the change_counter table (migration
0004): one more for every statement that changed rows of a table of the
members, the boards or the disaster tracker (accounts, organisations,
posts, threads, answers, moderation, teams, ...). Tables of one person's
own state (PERSONAL: read marks, board visits, watches, notification
settings, notifications, drafts) are not counted: only the page cache,
since removed, keyed on them, and a count there was a write on every
thread a member opened. The table's person_id column, which held their
sums, stays NULL.

Triggers count the writes, so those that send no Django signal count too:
QuerySet.update(), bulk_create(), COPY, raw SQL, cascades. A sum is made of
committed rows only, so it moves exactly when a change becomes visible:
something read after the sums shows at least what they stand for, and any
later commit gives different sums. The account cache keys its entries
with the content sum (members.backends) and never needs to be told to
forget.

The triggers are (re)installed after every migrate, for every table those
apps have then: a new model is counted without anyone remembering to.
"""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connections, router

# Every table of these apps counts as content, many-to-many tables
# included, except the personal ones and NOT_SHOWN.
CONTENT_APPS = ("members", "boards", "disaster_support")
# Tables of one person's own state: not counted, and install_triggers drops
# the triggers that counted them before.
PERSONAL = {
    "boards.ReadState",
    "boards.BoardVisit",
    "boards.Watch",
    "boards.NotificationSetting",
    "boards.Notification",
    "boards.Draft",
}
# Sign-in events are written at every sign-in and shown on no cached page;
# a draft's files change only with the draft, whose row counts.
NOT_SHOWN = {"members.SignInEvent", "boards.DraftAttachment"}

# The rows each kind of statement changed: new ones, or the deleted ones.
EVENTS = (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))

CONTENT_SUM = "SELECT coalesce(sum(n), 0) FROM change_counter WHERE person_id IS NULL"
TRIGGERS = [f"change_counter_{event.lower()}" for event, _rows in EVENTS] + [
    "change_counter_truncate"
]


def _tables():
    """(table, counted) for every table of the three apps."""
    for label in CONTENT_APPS:
        config = apps.get_app_config(label)
        for model in config.get_models(include_auto_created=True):
            opts = model._meta
            if opts.proxy or not opts.managed or opts.label in NOT_SHOWN:
                continue
            yield opts.db_table, opts.label not in PERSONAL


def counted_tables():
    """Every table whose writes count."""
    return [table for table, counted in _tables() if counted]


def _trigger(name, when, table, function, referencing=""):
    return (
        f"CREATE OR REPLACE TRIGGER {name} AFTER {when} ON {table} {referencing} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
    )


def install_triggers(using="default", **kwargs):
    """(Re)install the counting triggers on every counted table.

    Counts a change too: a release runs migrate, and its templates may show
    the same rows differently, so nothing cached before it is used after.
    """
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('change_counter') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return  # migrated back past members 0004
        for table, counted in _tables():
            table = connection.ops.quote_name(table)
            if not counted:
                for name in TRIGGERS:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                continue
            # One trigger per event: a statement that changed no row counts
            # nothing (a transition table is for one event only).
            for event, rows in EVENTS:
                cursor.execute(
                    _trigger(
                        f"change_counter_{event.lower()}",
                        event,
                        table,
                        "change_counter_content",
                        f"REFERENCING {rows} TABLE AS changed_rows",
                    )
                )
            # An emptied table changes everybody's pages.
            cursor.execute(
                _trigger(
                    "change_counter_truncate",
                    "TRUNCATE",
                    table,
                    "change_counter_truncated",
                )
            )
        cursor.execute("INSERT INTO change_counter (person_id) VALUES (NULL)")


def content_sum(using=None):
    """The content sum as the current transaction sees it.

    Read, unless using names a database, where this request reads accounts
    (a read replica, while the router sends it there), so that what is read
    after it shows at least what it stands for.
    """
    if using is None:
        using = router.db_for_read(get_user_model())
    with connections[using].cursor() as cursor:
        cursor.execute(CONTENT_SUM)
        return cursor.fetchone()[0]
