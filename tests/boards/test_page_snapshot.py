"""The board home, a category and a thread are each read in one snapshot.

As with the search page (test_search_snapshot.py): the view runs in the
request's transaction, and the page is rendered before it returns, so what
the template reads (the header's unread count, lazy lists) is read in the
same snapshot. A thread page writes its read marker only after the page has
been read, so that a request routed to a read replica reads it all there
(config/db_router.py sends a request's reads to the primary once it wrote).
These tests commit for real, so that "inside the transaction" means
something.
"""

import pytest
from django.db import connection
from django.urls import reverse

from boards.models import ReadState
from tests import factories
from tests.boards.test_search_snapshot import Recorder

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def thread(other_member):
    """A thread of two posts that the member has not read yet."""
    thread = factories.make_thread(author=other_member, title="防災訓練の合同実施")
    factories.make_reply(thread=thread, author=other_member)
    return thread


def page_queries(client, url):
    """The queries of a page, from the view's first one on."""
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        response = client.get(url)
    assert response.status_code == 200
    first = next(i for i, query in enumerate(recorder.queries) if query.transaction)
    return recorder.queries[first:]


@pytest.mark.parametrize(
    "name", ["boards:home", "boards:category", "boards:thread"], ids=str
)
def test_a_board_page_is_read_in_its_transaction(name, member_client, thread, uncached):
    args = {
        "boards:home": [],
        "boards:category": [thread.category.slug],
        "boards:thread": [thread.pk],
    }[name]
    page = page_queries(member_client, reverse(name, args=args) + "?page=1")
    assert [query.sql for query in page if query.transaction is None] == []
    assert len({id(query.transaction) for query in page}) == 1
    # The header's unread count is part of the page.
    assert any("boards_notification" in query.sql for query in page)


def test_a_thread_page_writes_its_read_marker_after_reading_the_page(
    member_client, member, thread, uncached
):
    page = page_queries(member_client, reverse("boards:thread", args=[thread.pk]))
    table = ReadState._meta.db_table
    writes = [i for i, query in enumerate(page) if f"INSERT INTO {table}" in query.sql]
    assert len(writes) == 1
    assert all(
        query.sql.lstrip().upper().startswith("SELECT") for query in page[: writes[0]]
    )
    assert not any("boards_notification" in query.sql for query in page[writes[0] :])
    assert ReadState.objects.get(user=member, thread=thread).last_read_position == 1
