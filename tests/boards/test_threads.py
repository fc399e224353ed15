import pytest
from django.urls import reverse

from boards.models import Category, Post, PostRevision, Thread
from boards.services import posts
from members.models import MembershipStatus
from tests.factories import bulk_threads

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposals():
    return Category.objects.get(slug="proposals")


@pytest.fixture
def other():
    """A category of plain threads, without a type's extra fields."""
    return Category.objects.get(slug="other")


def test_the_seven_categories_exist_in_order():
    names = list(Category.objects.values_list("name", flat=True))
    assert names == [
        "連携・交流事業の提案",
        "イベント・事業への参加",
        "施策・事業の周知",
        "パンフレット配布",
        "広報誌・広報動画のPR",
        "お知らせ",
        "その他",
    ]


# ----- starting threads -----


def test_member_starts_a_thread(member_client, member, other):
    response = member_client.post(
        reverse("boards:thread_create", args=[other.slug]),
        {"title": "  観光物産展の 共同出展  ", "body": "**ご提案**です。"},
    )
    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("boards:thread", args=[thread.pk])
    assert thread.title == "観光物産展の 共同出展"
    assert thread.organisation == member.organisation
    post = thread.posts.get()
    assert post.position == 0
    assert "<strong>ご提案</strong>" in post.body_html
    other.refresh_from_db()
    assert (other.thread_count, other.post_count) == (1, 1)
    assert other.last_activity_at == thread.last_activity_at


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "body": "本文"}, "このフィールドは必須です"),
        ({"title": "件名", "body": ""}, "このフィールドは必須です"),
        ({"title": "あ" * 121, "body": "本文"}, "120 文字以下"),
        ({"title": "件名", "body": "あ" * 20001}, "20000 文字以下"),
    ],
)
def test_bad_threads_are_refused_and_nothing_is_saved(
    member_client, other, data, message
):
    response = member_client.post(
        reverse("boards:thread_create", args=[other.slug]), data
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Thread.objects.exists()
    assert not Post.objects.exists()


def test_members_cannot_start_threads_in_announcements(member_client):
    url = reverse("boards:thread_create", args=["announcements"])
    assert member_client.get(url).status_code == 403
    response = member_client.post(url, {"title": "お知らせ", "body": "本文"})
    assert response.status_code == 403
    assert not Thread.objects.exists()


def test_ward_staff_post_announcements(client, ward_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.force_login(ward_staff)
    url = reverse("boards:thread_create", args=["announcements"])
    response = client.post(url, {"title": "説明会のお知らせ", "body": "本文"})
    assert response.status_code == 302
    assert Thread.objects.get().category.slug == "announcements"


def test_anonymous_visitors_are_sent_to_login(client, proposals):
    for url in [
        reverse("boards:home"),
        reverse("boards:category", args=[proposals.slug]),
        reverse("boards:thread_create", args=[proposals.slug]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_suspended_organisations_cannot_use_the_board(client, member):
    member.organisation.membership_status = MembershipStatus.SUSPENDED
    member.organisation.save()
    client.force_login(member)
    assert client.get(reverse("boards:home")).status_code == 403


# ----- reading -----


def test_thread_page_shows_posts_with_organisation_and_person(
    member_client, member, other_member, make_thread, make_reply
):
    thread = make_thread(author=other_member, title="特産品フェアのご案内")
    make_reply(thread=thread, author=member, body="参加を希望します。")
    response = member_client.get(reverse("boards:thread", args=[thread.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "特産品フェアのご案内" in content
    assert other_member.organisation.full_name in content
    assert "参加を希望します。" in content
    assert 'id="post-1"' in content


def test_first_visit_with_new_replies_jumps_to_the_first_unread(
    member_client, member, other_member, make_thread, make_reply
):
    thread = make_thread(author=member)
    make_reply(thread=thread, author=other_member, body="一件目")
    make_reply(thread=thread, author=other_member, body="二件目")
    response = member_client.get(reverse("boards:thread", args=[thread.pk]))
    assert response.status_code == 302
    assert response["Location"].endswith("?page=1#post-1")
    page = member_client.get(response["Location"])
    assert "ここから未読" in page.content.decode()
    # Once read, the thread opens normally.
    assert (
        member_client.get(reverse("boards:thread", args=[thread.pk])).status_code == 200
    )


def test_long_threads_are_paged_and_the_jump_lands_on_the_right_page(
    member_client, member, other_member, make_thread, make_reply
):
    thread = make_thread(author=member)
    for number in range(40):
        make_reply(thread=thread, author=other_member, body=f"返信{number}")
    posts.thread_mark_read(thread=thread, user=member, position=35)
    response = member_client.get(reverse("boards:thread", args=[thread.pk]))
    assert response["Location"].endswith("?page=2#post-36")
    page = member_client.get(reverse("boards:thread", args=[thread.pk]) + "?page=2")
    content = page.content.decode()
    assert 'id="post-30"' in content and 'id="post-29"' not in content


def test_permalink_redirects_to_the_page_of_the_post(
    member_client, member, make_thread, make_reply
):
    thread = make_thread(author=member)
    replies = [make_reply(thread=thread, author=member) for _ in range(31)]
    response = member_client.get(reverse("boards:post", args=[replies[-1].pk]))
    assert response["Location"].endswith("?page=2#post-31")


def test_hidden_threads_are_404_for_members_but_shown_to_ward_staff(
    client, member, ward_staff, make_thread, settings
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    thread = make_thread(author=member)
    Thread.objects.filter(pk=thread.pk).update(is_hidden=True)
    client.force_login(member)
    assert client.get(reverse("boards:thread", args=[thread.pk])).status_code == 404
    client.force_login(ward_staff)
    assert client.get(reverse("boards:thread", args=[thread.pk])).status_code == 200


def test_category_lists_pinned_first_then_latest_activity(
    member_client, member, make_thread, make_reply, proposals
):
    old = make_thread(author=member, title="古いスレッド")
    pinned = make_thread(author=member, title="固定スレッド")
    make_thread(author=member, title="新しいスレッド")
    Thread.objects.filter(pk=pinned.pk).update(is_pinned=True)
    make_reply(thread=old, author=member)  # activity moves it up
    content = member_client.get(
        reverse("boards:category", args=[proposals.slug])
    ).content.decode()
    order = [
        content.index(title)
        for title in ["固定スレッド", "古いスレッド", "新しいスレッド"]
    ]
    assert order == sorted(order)


def test_category_pages_continue_with_a_cursor(
    member_client, member, make_thread, proposals
):
    for number in range(35):
        make_thread(author=member, title=f"スレッド{number:02d}")
    first = member_client.get(reverse("boards:category", args=[proposals.slug]))
    page = first.context["page"]
    assert len(page.rows) == 30 and page.has_older
    second = member_client.get(
        reverse("boards:category", args=[proposals.slug])
        + f"?before={page.older_cursor}"
    )
    titles = [thread.title for thread in second.context["page"].rows]
    assert titles == [f"スレッド{number:02d}" for number in range(4, -1, -1)]
    assert second.context["pinned"] == []


def test_a_broken_cursor_shows_the_first_page(
    member_client, member, make_thread, proposals
):
    make_thread(author=member)
    url = reverse("boards:category", args=[proposals.slug]) + "?before=garbage"
    assert member_client.get(url).status_code == 200


def test_board_home_shows_categories_and_whats_new(
    member_client, member, other_member, make_thread
):
    make_thread(author=other_member, title="新着のスレッド")
    content = member_client.get(reverse("boards:home")).content.decode()
    assert "連携・交流事業の提案" in content
    assert "新着のスレッド" in content


# ----- replying, quoting, editing, deleting -----


def test_reply_with_a_quote(member_client, member, other_member, make_thread):
    thread = make_thread(author=other_member, body="ご提案の内容です。")
    opening = thread.posts.get()
    form = member_client.get(
        reverse("boards:reply", args=[thread.pk]) + f"?quote={opening.pk}"
    )
    assert "&gt; ご提案の内容です。" in form.content.decode()
    response = member_client.post(
        reverse("boards:reply", args=[thread.pk]),
        {"body": "> ご提案の内容です。\n\n賛成です。", "quoted": opening.pk},
    )
    assert response.status_code == 302
    reply = thread.posts.get(position=1)
    assert reply.quoted == opening
    assert "<blockquote>" in reply.body_html
    thread.refresh_from_db()
    assert thread.reply_count == 1
    assert thread.last_post_author == member


def test_a_quote_from_another_thread_is_ignored(member_client, member, make_thread):
    thread = make_thread(author=member)
    elsewhere = make_thread(author=member).posts.get()
    member_client.post(
        reverse("boards:reply", args=[thread.pk]),
        {"body": "返信", "quoted": elsewhere.pk},
    )
    assert thread.posts.get(position=1).quoted is None


def test_empty_reply_is_refused(member_client, member, make_thread):
    thread = make_thread(author=member)
    response = member_client.post(
        reverse("boards:reply", args=[thread.pk]), {"body": ""}
    )
    assert response.status_code == 200
    assert thread.posts.count() == 1


def test_locked_threads_refuse_replies(member_client, member, make_thread):
    thread = make_thread(author=member)
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    response = member_client.post(
        reverse("boards:reply", args=[thread.pk]), {"body": "返信"}
    )
    assert response.status_code == 403
    assert thread.posts.count() == 1


def test_the_service_refuses_replies_to_a_thread_locked_meanwhile(member, make_thread):
    from django.core.exceptions import ValidationError

    thread = make_thread(author=member)
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    with pytest.raises(ValidationError):
        posts.post_reply(thread=thread, author=member, body="返信")
    assert thread.posts.count() == 1


def test_hidden_threads_refuse_replies_with_404(member_client, member, make_thread):
    thread = make_thread(author=member)
    Thread.objects.filter(pk=thread.pk).update(is_hidden=True)
    response = member_client.post(
        reverse("boards:reply", args=[thread.pk]), {"body": "返信"}
    )
    assert response.status_code == 404


def test_editing_keeps_the_earlier_version(member_client, member, make_thread):
    thread = make_thread(author=member, title="最初の件名", body="最初の本文")
    post = thread.posts.get()
    response = member_client.post(
        reverse("boards:post_edit", args=[post.pk]),
        {"title": "直した件名", "body": "直した本文"},
    )
    assert response.status_code == 302
    post.refresh_from_db()
    thread.refresh_from_db()
    assert post.body == "直した本文" and post.edited_at is not None
    assert thread.title == "直した件名"
    revision = PostRevision.objects.get(post=post)
    assert (revision.title, revision.body) == ("最初の件名", "最初の本文")
    history = member_client.get(reverse("boards:post_history", args=[post.pk]))
    assert "最初の本文" in history.content.decode()
    page = member_client.get(reverse("boards:thread", args=[thread.pk]))
    assert "編集済み" in page.content.decode()


def test_others_cannot_edit_or_delete_a_post(client, member, other_member, make_thread):
    post = make_thread(author=member, body="元の本文").posts.get()
    client.force_login(other_member)
    assert client.get(reverse("boards:post_edit", args=[post.pk])).status_code == 403
    response = client.post(
        reverse("boards:post_edit", args=[post.pk]), {"body": "改ざん"}
    )
    assert response.status_code == 403
    assert client.post(reverse("boards:post_delete", args=[post.pk])).status_code == 403
    post.refresh_from_db()
    assert post.body == "元の本文" and not post.is_deleted


def test_deleting_leaves_a_placeholder(member_client, member, make_thread, make_reply):
    thread = make_thread(author=member)
    reply = make_reply(thread=thread, author=member, body="取り消す内容")
    response = member_client.post(reverse("boards:post_delete", args=[reply.pk]))
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.is_deleted
    content = member_client.get(
        reverse("boards:thread", args=[thread.pk]) + "?page=1"
    ).content.decode()
    assert "取り消す内容" not in content
    assert "この投稿は投稿者により削除されました。" in content


def test_delete_by_get_only_asks(member_client, member, make_thread):
    post = make_thread(author=member).posts.get()
    response = member_client.get(reverse("boards:post_delete", args=[post.pk]))
    assert response.status_code == 200
    post.refresh_from_db()
    assert not post.is_deleted


# ----- query counts -----


@pytest.mark.parametrize(
    "url",
    ["/", "/boards/", "/boards/c/proposals/", "/boards/search/?q=%E9%98%B2%E7%81%BD"],
)
def test_list_pages_have_flat_query_counts_from_10_to_1000_threads(
    member_client, member, other_member, django_assert_max_num_queries, url, uncached
):
    bulk_threads(author=other_member, count=10)
    member_client.get(url)
    with django_assert_max_num_queries(12) as few:
        assert member_client.get(url).status_code == 200
    bulk_threads(author=other_member, count=990)
    with django_assert_max_num_queries(len(few)):
        assert member_client.get(url).status_code == 200


def test_thread_page_has_a_flat_query_count(
    member_client,
    member,
    other_member,
    make_thread,
    make_reply,
    django_assert_max_num_queries,
):
    thread = make_thread(author=member)
    make_reply(thread=thread, author=other_member)
    url = reverse("boards:thread", args=[thread.pk]) + "?page=1"
    with django_assert_max_num_queries(12) as few:
        member_client.get(url)
    for _ in range(28):
        make_reply(thread=thread, author=other_member)
    with django_assert_max_num_queries(len(few)):
        member_client.get(url)


@pytest.mark.parametrize(
    ("page", "shown"),
    [("-1", 1), ("0", 1), ("abc", 1), ("", 1), (str(10**30), 2), ("9" * 5000, 1)],
)
def test_a_thread_page_out_of_range_shows_the_nearest_page(
    member_client, member, other_member, make_thread, make_reply, page, shown
):
    thread = make_thread(author=member)
    for number in range(35):
        make_reply(thread=thread, author=other_member, body=f"返信{number}")
    url = reverse("boards:thread", args=[thread.pk])
    response = member_client.get(url, {"page": page})
    assert response.status_code == 200
    assert response.context["page_number"] == shown
