"""Admin list pages: their rows come from their own table, whatever the statistics.

A joined changelist query was planned as nested loops over whole tables when
the statistics said a full table was empty, and held a database core for
many minutes. These tests make that happen on purpose (a table analysed
with only a dead row, then filled) and look at what PostgreSQL would run.
"""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from boards.models import Category, Post, Thread
from members import permissions
from members.admin_lists import EstimatedCountPaginator, KeyedChangeList
from tests import factories

pytestmark = pytest.mark.django_db

OUR_APPS = {"boards", "members", "disaster_support"}
OUR_ADMINS = sorted(
    (
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in OUR_APPS
    ),
    key=lambda pair: pair[0]._meta.label,
)


@pytest.fixture
def superuser(db):
    office = factories.make_organisation(name="特別区協議会", kind="body")
    user = factories.make_user(organisation=office, role=permissions.OFFICE_STAFF)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


@pytest.fixture
def admin_client(client, superuser, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.force_login(superuser)
    return client


@pytest.mark.parametrize(
    "model_admin",
    [model_admin for _model, model_admin in OUR_ADMINS],
    ids=[model._meta.label for model, _ in OUR_ADMINS],
)
def test_every_admin_lists_through_the_keyed_changelist(rf, superuser, model_admin):
    request = rf.get("/")
    request.user = superuser
    assert issubclass(model_admin.get_changelist(request), KeyedChangeList)


@pytest.mark.parametrize(
    "model_admin",
    [model_admin for _model, model_admin in OUR_ADMINS],
    ids=[model._meta.label for model, _ in OUR_ADMINS],
)
def test_no_admin_list_has_a_date_hierarchy(model_admin):
    """Its list of years reads the date of every row; date filters do not."""
    assert model_admin.date_hierarchy is None


@pytest.mark.parametrize(
    "model_admin",
    [model_admin for _model, model_admin in OUR_ADMINS],
    ids=[model._meta.label for model, _ in OUR_ADMINS],
)
def test_no_admin_list_counts_the_whole_table_beside_its_page(model_admin):
    assert model_admin.show_full_result_count is False
    assert issubclass(model_admin.paginator, EstimatedCountPaginator)


def fill(*, threads, replies):
    """threads threads of replies + 1 posts each, by several organisations."""
    category = Category.objects.get(slug="proposals")
    authors = [factories.make_user() for _ in range(5)]
    now = timezone.now()
    made = Thread.objects.bulk_create(
        Thread(
            category=category,
            title=f"スレッド{number}",
            author=authors[number % 5],
            organisation=authors[number % 5].organisation,
            created_at=now,
            last_activity_at=now,
            last_position=replies,
            reply_count=replies,
        )
        for number in range(threads)
    )
    Post.objects.bulk_create(
        Post(
            thread=thread,
            position=position,
            author=authors[position % 5],
            organisation=authors[position % 5].organisation,
            body="本文",
            body_html="<p>本文</p>",
        )
        for thread in made
        for position in range(replies + 1)
    )


def stale_statistics(*tables):
    """Each table analysed holding one dead row: PostgreSQL then takes it as empty."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'ANALYZE "{table}"')


def plan_nodes(sql, params):
    """The nodes of the plan PostgreSQL runs for sql, with what they did."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0][0]["Plan"]
    stack = [plan]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.get("Plans", []))


# Tables of a handful of fixed rows, which an admin list may join
# (ModelAdmin.list_joined): read once per listed row, they stay cheap.
FIXED_TABLES = {"boards_category"}


def tables_read(node):
    """Every table a plan node reads, itself or below."""
    tables = {node["Relation Name"]} if "Relation Name" in node else set()
    for child in node.get("Plans", []):
        tables |= tables_read(child)
    return tables


def whole_table_loops(sql, params):
    """Tables read whole again for every row of another: the plan that hung.

    A nested loop whose inner side scans (or keeps and rescans) a table of
    the site's own once per row of its outer side; an outer side of fixed
    rows only (the categories) bounds the loops by a handful.
    """
    loops = []
    for node in plan_nodes(sql, params):
        if node["Node Type"] != "Nested Loop":
            continue
        outer, inner = node["Plans"][0], node["Plans"][1]
        scanned = tables_read(inner) - FIXED_TABLES
        if (
            inner["Node Type"] in {"Seq Scan", "Materialize"}
            and inner["Actual Loops"] > 1
            and scanned
            and not tables_read(outer) <= FIXED_TABLES
        ):
            loops.append(
                f"{inner['Node Type']} {sorted(scanned)} x{inner['Actual Loops']}"
            )
    return loops


def list_queries(client, model):
    """The SELECTs the model's admin list page makes, with their parameters."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with CaptureQueriesContext(connection) as captured:
        # The settings' list opens their one row.
        response = client.get(url, follow=True)
    assert response.status_code == 200
    return [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith("SELECT")
    ]


def page_queries(queries, model):
    """The queries that grow with the listed table: its page and its count.

    The related rows are read afterwards by the page's keys (``IN (...)``):
    at most a page of rows from each table, whatever the plan.
    """
    table = model._meta.db_table
    return [
        sql for sql in queries if f'FROM "{table}"' in sql and '"id") IN (' not in sql
    ]


@pytest.mark.parametrize(
    "model", [model for model, _ in OUR_ADMINS], ids=lambda model: model._meta.label
)
def test_no_admin_list_reads_a_table_once_per_row(world, admin_client, model):
    for sql in page_queries(list_queries(admin_client, model), model):
        assert not whole_table_loops(sql, None), sql


@pytest.mark.parametrize("size", ["small", "large"])
@pytest.mark.parametrize("model", [Post, Thread], ids=["posts", "threads"])
def test_a_full_table_believed_empty_is_not_read_once_per_row(
    admin_client, model, size
):
    """On a table PostgreSQL believes empty but holds thousands of rows, too."""
    tables = ["boards_post", "boards_thread", "members_user", "members_organisation"]
    if size == "large":
        # One dead row analysed: the statistics say each table is empty.
        fill(threads=1, replies=0)
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM boards_post")
            cursor.execute("DELETE FROM boards_thread")
        stale_statistics(*tables)
        fill(threads=400, replies=24)
    else:
        fill(threads=3, replies=2)
        stale_statistics(*tables)
    with connection.cursor() as cursor:
        # A misplanned query fails the test here instead of holding the core.
        cursor.execute("SET LOCAL statement_timeout = '60s'")
    for sql in page_queries(list_queries(admin_client, model), model):
        assert not whole_table_loops(sql, None), sql
