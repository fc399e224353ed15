"""The search page is read in one snapshot: the request's transaction.

With ATOMIC_REQUESTS the view runs in a transaction, but a TemplateResponse
is rendered after the view has returned, once that transaction has
committed: whatever the template reads then (the filters' choices, the
header's unread count) would come from later snapshots. These tests commit
for real, so that "inside the transaction" means something.
"""

from dataclasses import dataclass

import psycopg
import pytest
from django.db import connection
from django.urls import reverse

from boards.models import Category
from boards.services import posts

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Query:
    sql: str
    transaction: object
    server_side: bool


class Recorder:
    """Every query, with the outermost atomic block it ran in (or None)."""

    def __init__(self):
        self.queries = []

    def __call__(self, execute, sql, params, many, context):
        db = context["connection"]
        self.queries.append(
            Query(
                sql=sql,
                transaction=db.atomic_blocks[0] if db.in_atomic_block else None,
                server_side=isinstance(context["cursor"].cursor, psycopg.ServerCursor),
            )
        )
        return execute(sql, params, many, context)


@pytest.fixture
def searched(member_client, member, uncached):
    """The queries of a search page with results and filters on it."""
    posts.thread_create(
        category=Category.objects.get(slug="proposals"),
        author=member,
        title="防災訓練",
        body="防災訓練のお知らせです。",
    )
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        response = member_client.get(reverse("boards:search"), {"q": "防災"})
    assert response.status_code == 200
    assert len(response.context["results"]) == 1
    return recorder.queries


def test_everything_the_search_page_reads_is_read_in_its_transaction(searched):
    # The middleware before the view (session, account) reads first,
    # outside; from the view's first query on, one transaction only.
    first = next(i for i, query in enumerate(searched) if query.transaction)
    page = searched[first:]
    outside = [query.sql for query in page if query.transaction is None]
    assert outside == []
    assert len({id(query.transaction) for query in page}) == 1
    assert any("boards_notification" in query.sql for query in page)
    assert any("boards_category" in query.sql for query in page)


def test_the_search_page_uses_no_server_side_cursor(searched):
    assert [query.sql for query in searched if query.server_side] == []
