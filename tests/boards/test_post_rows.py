"""A thread page reads its posts as rows (PostQuerySet.as_rows), not models."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from boards.models import Attachment, Post
from boards.views.threads import POSTS_PER_PAGE

pytestmark = pytest.mark.django_db


def _attach(post, name, kind=Attachment.Kind.PDF, size=2048):
    return Attachment.objects.create(
        post=post,
        file=f"attachments/test/{name}",
        original_name=name,
        kind=kind,
        content_type="application/pdf",
        size=size,
    )


@pytest.fixture
def replies(member, other_member, make_thread, make_reply):
    thread = make_thread(author=member, body="開会のご案内")
    first = make_reply(thread=thread, author=other_member, body="参加します。")
    from boards.services import posts

    second = posts.post_reply(
        thread=thread, author=member, body="ありがとうございます。", quoted=first
    )
    return thread, first, second


def test_rows_say_what_the_posts_say(replies):
    thread, _first, _second = replies
    rows = Post.objects.filter(thread=thread).in_order().as_rows()
    posts = list(Post.objects.filter(thread=thread).in_order())
    assert [row.pk for row in rows] == [post.pk for post in posts]
    assert [row.signature for row in rows] == [post.signature for post in posts]
    assert [row.body_html for row in rows] == [post.body_html for post in posts]
    assert [row.organisation.full_name for row in rows] == [
        post.organisation.full_name for post in posts
    ]


def test_a_reply_row_knows_the_number_of_the_post_it_quotes(replies):
    thread, first, second = replies
    rows = {row.pk: row for row in Post.objects.filter(thread=thread).as_rows()}
    assert rows[first.pk].quoted is None
    quoted = rows[second.pk].quoted
    assert (quoted.pk, quoted.position, quoted.is_deleted) == (first.pk, 1, False)


def test_each_row_has_its_own_files_in_upload_order(replies):
    thread, first, second = replies
    later = _attach(first, "b.pdf")
    earlier = _attach(first, "a.pdf")
    rows = {row.pk: row for row in Post.objects.filter(thread=thread).as_rows()}
    assert rows[first.pk].attachment_list == [later, earlier]
    assert rows[second.pk].attachment_list == []


def test_no_posts_make_no_query_for_files(member, make_thread):
    thread = make_thread(author=member)
    with CaptureQueriesContext(connection) as queries:
        rows = Post.objects.filter(thread=thread, position__gt=5).as_rows()
    assert rows == []
    assert len(queries) == 1


def test_the_thread_page_shows_each_posts_files_with_size(member_client, replies):
    thread, first, _second = replies
    _attach(first, "会場図.pdf", size=3 * 1024 * 1024)
    response = member_client.get(reverse("boards:thread", args=[thread.pk]))
    html = response.content.decode()
    assert html.count("会場図.pdf") == 1
    article = html[html.index('id="post-1"') : html.index('id="post-2"')]
    assert "会場図.pdf" in article
    assert "(PDF, 3.0\xa0MB)" in article


def test_a_thread_page_reads_at_most_a_page_of_posts_with_a_limit(
    member_client, member, make_thread
):
    """Without the limit PostgreSQL guessed thousands of rows for the first
    page of a long thread and chose parallel joins (docs/benchmarks.md)."""
    thread = make_thread(author=member)
    url = reverse("boards:thread", args=[thread.pk]) + "?page=1"
    with CaptureQueriesContext(connection) as queries:
        assert member_client.get(url).status_code == 200
    (posts_query,) = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith('SELECT "boards_post"."id"')
    ]
    assert posts_query.endswith(f"LIMIT {POSTS_PER_PAGE}")
