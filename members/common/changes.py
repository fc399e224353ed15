"""The change counter: has anything a cached page or account shows changed?

PostgreSQL keeps two kinds of sums in the change_counter table (migration
0004):

- the content sum, one more for every statement that changed rows of a
  table of the members, the boards or the disaster tracker (accounts,
  organisations, posts, threads, answers, moderation, teams, ...);
- a person's sum, one more for every statement that changed rows of theirs
  in a table of personal state (PERSONAL: read marks, board visits, watches,
  notification settings, notifications).

Triggers count the writes, so those that send no Django signal count too:
QuerySet.update(), bulk_create(), COPY, raw SQL, cascades. A sum is made of
committed rows only, so it moves exactly when a change becomes visible:
something read after the sums shows at least what they stand for, and any
later commit gives different sums. Caches key their entries with them
(members.backends for the signed-in account, boards.page_cache for pages)
and never need to be told to forget.

The triggers are (re)installed after every migrate, for every table those
apps have then: a new model is counted without anyone remembering to.
"""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connections, router
from django.db.models.expressions import RawSQL

# Every table of these apps counts as content, many-to-many tables
# included, except the personal ones and NOT_SHOWN.
CONTENT_APPS = ("members", "boards", "disaster_support")
# Tables of one person's own state, by the column that names the person.
PERSONAL = {
    "boards.ReadState": "user_id",
    "boards.BoardVisit": "user_id",
    "boards.Watch": "user_id",
    "boards.NotificationSetting": "user_id",
    "boards.Notification": "user_id",
    "boards.Draft": "user_id",
}
# Sign-in events are written at every sign-in and shown on no cached page;
# a draft's files change only with the draft, whose row counts.
NOT_SHOWN = {"members.SignInEvent", "boards.DraftAttachment"}

# The rows each kind of statement changed: new ones, or the deleted ones.
EVENTS = (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))

CONTENT_SUM = "SELECT coalesce(sum(n), 0) FROM change_counter WHERE person_id IS NULL"
PERSONAL_SUM = "SELECT coalesce(sum(n), 0) FROM change_counter WHERE person_id = %s"
SUMS = f"SELECT ({CONTENT_SUM}), ({PERSONAL_SUM})"


def counted_tables():
    """(table, "content" or "personal") for every table whose writes count."""
    for label in CONTENT_APPS:
        config = apps.get_app_config(label)
        for model in config.get_models(include_auto_created=True):
            opts = model._meta
            if opts.proxy or not opts.managed or opts.label in NOT_SHOWN:
                continue
            if opts.label not in PERSONAL:
                yield opts.db_table, "content"
                continue
            column = opts.get_field("user").column
            if column != PERSONAL[opts.label]:
                raise LookupError(f"{opts.label} names its person in {column}")
            yield opts.db_table, "personal"


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
        for table, kind in counted_tables():
            table = connection.ops.quote_name(table)
            function = f"change_counter_{'content' if kind == 'content' else 'people'}"
            # One trigger per event: a statement that changed no row counts
            # nothing (a transition table is for one event only).
            for event, rows in EVENTS:
                cursor.execute(
                    _trigger(
                        f"change_counter_{event.lower()}",
                        event,
                        table,
                        function,
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


def sums(person_id, using=None):
    """(content sum, the person's sum) as the current transaction sees them.

    Read, unless using names a database, where this request reads accounts
    and pages (a read replica, while the router sends it there), so that
    what is read after them shows at least what they stand for.
    """
    if using is None:
        using = router.db_for_read(get_user_model())
    with connections[using].cursor() as cursor:
        cursor.execute(SUMS, [person_id])
        return cursor.fetchone()


def sum_annotations(person_id):
    """The two sums as annotations, to read them in the same statement (and
    so the same snapshot) as the rows they stand for."""
    # Constant SQL; the person's id is a parameter.
    return {
        "content_sum": RawSQL(CONTENT_SUM, []),  # noqa: S611
        "personal_sum": RawSQL(PERSONAL_SUM, [person_id]),  # noqa: S611
    }
