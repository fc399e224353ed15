import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from boards import permissions, search
from boards.models import Attachment, Category, Post, Thread
from boards.services import posts
from members.models import Organisation

pytestmark = pytest.mark.django_db

TOKYO = datetime.timezone(datetime.timedelta(hours=9))


@pytest.fixture
def proposals():
    return Category.objects.get(slug="proposals")


@pytest.fixture
def make_post(member, proposals):
    """An opening post; the thread title is unrelated unless given."""

    def make(body, *, title="連絡", author=member, category=proposals):
        thread = posts.thread_create(
            category=category, author=author, title=title, body=body
        )
        return thread.posts.get()

    return make


def search_page(client, **params):
    response = client.get(reverse("boards:search"), params)
    assert response.status_code == 200
    return response


def found(client, **params):
    return [result.post for result in search_page(client, **params).context["results"]]


# ----- what words find -----


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("防災訓練のお知らせです。", "防災"),
        ("森の散策会を開きます。", "森"),
        ("能登半島地震の支援について", "能登"),
        ("ABCプロジェクトの報告", "ＡＢＣ"),
        ("ＡＢＣプロジェクトの報告", "abc"),
        ("カタカナの表記について", "ｶﾀｶﾅ"),
        ("ｶﾞｲﾄﾞﾌﾞｯｸを配ります", "ガイドブック"),
    ],
)
def test_words_are_found_inside_longer_text_in_any_width(
    member_client, make_post, body, words
):
    post = make_post(body)
    assert found(member_client, q=words) == [post]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("防犯パトロールの報告", "防災"),
        ("防災訓練の報告", "訓練防災"),
        ("防災。訓練。", "防災訓練"),
    ],
)
def test_words_match_only_as_written(member_client, make_post, body, words):
    make_post(body)
    assert found(member_client, q=words) == []


def test_every_word_must_appear(member_client, make_post):
    both = make_post("防災マップを作り、訓練も行います。")
    make_post("防災マップを作りました。")
    assert found(member_client, q="訓練　防災") == [both]


def test_the_title_is_searched_with_the_opening_post(member_client, member, make_post):
    opening = make_post("詳細は追って連絡します。", title="観光物産展の共同出展")
    posts.post_reply(thread=opening.thread, author=member, body="参加します。")
    assert found(member_client, q="物産展") == [opening]


def test_attachment_file_names_are_searched(member_client, make_post):
    post = make_post("資料を添付します。")
    Attachment.objects.create(
        post=post,
        file="attachments/x.pdf",
        original_name="避難所マップ2025.pdf",
        kind=Attachment.Kind.PDF,
        content_type="application/pdf",
        size=1,
    )
    posts.post_reindex(post=post)
    response = search_page(member_client, q="避難所")
    [result] = response.context["results"]
    assert result.post == post
    assert result.files == ["<mark>避難所</mark>マップ2025.pdf"]


def test_more_mentions_rank_higher_than_newer_posts(member_client, make_post):
    older = make_post("防災の話。防災用品と防災訓練。")
    newer = make_post("防災の話。")
    assert found(member_client, q="防災") == [older, newer]


# ----- filters -----


def test_category_filter(member_client, make_post):
    publicity = Category.objects.get(slug="publicity")
    make_post("防災のお知らせ")
    in_publicity = make_post("防災のお知らせ", category=publicity)
    assert found(member_client, q="防災", category=publicity.pk) == [in_publicity]


def test_organisation_filter(member_client, other_member, make_post):
    make_post("観光の提案")
    other = make_post("観光の提案", author=other_member)
    assert found(
        member_client, q="観光", organisation=other_member.organisation_id
    ) == [other]


def test_prefecture_filter_includes_the_prefecture_itself(
    member_client, make_post, make_organisation, make_user
):
    ishikawa = make_organisation(name="石川県", kind=Organisation.Kind.PREFECTURE)
    nanao = make_organisation(name="七尾市", prefecture=ishikawa)
    make_post("観光の提案")
    by_city = make_post("観光の提案", author=make_user(organisation=nanao))
    by_prefecture = make_post("観光の提案", author=make_user(organisation=ishikawa))
    assert found(member_client, q="観光", prefecture=ishikawa.pk) == [
        by_prefecture,
        by_city,
    ]


def test_filters_alone_list_the_newest_posts(member_client, other_member, make_post):
    first = make_post("一件目", author=other_member)
    second = make_post("二件目", author=other_member)
    make_post("別の団体")
    organisation = other_member.organisation_id
    assert found(member_client, organisation=organisation) == [second, first]


def test_date_range_takes_whole_tokyo_days(member_client, make_post):
    post = make_post("防災の連絡")
    # 1 April, half past midnight in Tokyo: still 31 March in UTC.
    Post.objects.filter(pk=post.pk).update(
        created_at=datetime.datetime(2025, 4, 1, 0, 30, tzinfo=TOKYO)
    )
    april_first = {"date_from": "2025-04-01", "date_to": "2025-04-01"}
    assert found(member_client, q="防災", **april_first) == [post]
    assert found(member_client, q="防災", date_to="2025-03-31") == []
    assert found(member_client, q="防災", date_from="2025-04-02") == []


def test_a_post_made_today_is_found_up_to_today(member_client, make_post):
    post = make_post("防災の連絡")
    today = timezone.localdate().isoformat()
    assert found(member_client, q="防災", date_from=today, date_to=today) == [post]


def test_a_period_ending_before_it_starts_is_refused(member_client, make_post):
    make_post("防災の連絡")
    response = search_page(
        member_client, q="防災", date_from="2025-04-02", date_to="2025-04-01"
    )
    assert response.context["results"] == []
    assert response.context["form"].has_error("date_to", code="period_order")
    assert "期間の終わりの日は、始まりの日以降にしてください。" in (
        response.content.decode()
    )


def test_punctuation_alone_is_refused(member_client):
    response = search_page(member_client, q="！？")
    assert response.context["form"].has_error("q", code="no_words")


def test_no_words_and_no_filters_shows_only_the_form(member_client, make_post):
    make_post("防災の連絡")
    response = search_page(member_client)
    assert response.context["results"] == []
    assert not response.context["searching"]


def test_at_most_the_limit_is_counted(member_client, make_post, monkeypatch):
    monkeypatch.setattr(search, "RESULT_LIMIT", 3)
    for _ in range(4):
        make_post("防災の連絡")
    response = search_page(member_client, q="防災")
    assert response.context["paginator"].count == 3
    assert "3件以上" in response.content.decode()


def _posted_days_ago(post, days):
    Post.objects.filter(pk=post.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days)
    )
    return post


@pytest.mark.parametrize("days", [0, 29, 31, 89, 91, 364, 366, 3000])
def test_posts_of_any_age_are_found(member_client, make_post, days):
    post = _posted_days_ago(make_post("観光物産展のご案内"), days)
    assert found(member_client, q="観光物産展") == [post]


def test_a_post_on_a_span_boundary_is_found_once(member_client, make_post):
    today = timezone.now().astimezone(datetime.UTC).date()
    start = search.utc_day_start(today - datetime.timedelta(days=30))
    post = make_post("観光物産展のご案内")
    Post.objects.filter(pk=post.pk).update(created_at=start)
    assert found(member_client, q="観光物産展") == [post]


def test_the_newest_matches_fill_the_limit_across_spans(
    member_client, make_post, monkeypatch
):
    monkeypatch.setattr(search, "RESULT_LIMIT", 3)
    posts = [
        _posted_days_ago(make_post("防災の連絡"), days) for days in (1, 60, 200, 900)
    ]
    response = search_page(member_client, q="防災")
    assert {result.post for result in response.context["results"]} == set(posts[:3])


def test_posts_are_read_without_their_search_vector(make_post):
    post = make_post("防災の連絡")
    assert "search_vector" in Post.objects.get(pk=post.pk).get_deferred_fields()


def test_search_vectors_are_kept_in_the_posts_rows(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstorage FROM pg_attribute "
            "WHERE attrelid = 'boards_post'::regclass AND attname = 'search_vector'"
        )
        assert cursor.fetchone() == ("m",)


# ----- who sees what -----


def test_deleted_posts_are_not_found(member_client, member, make_post):
    post = make_post("防災の連絡")
    posts.post_delete(post=post, actor=member)
    assert found(member_client, q="防災") == []
    assert found(member_client, organisation=member.organisation_id) == []


def test_hidden_threads_are_for_moderators_only(
    client, member_client, ward_staff, make_post, settings
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    post = make_post("防災の連絡")
    post.thread.is_hidden = True
    post.thread.save()
    assert found(member_client, q="防災") == []
    client.force_login(ward_staff)
    assert found(client, q="防災") == [post]


@pytest.mark.parametrize("role", ["member", "ward_staff", "office_staff"])
def test_search_keeps_the_rule_of_visible_threads(request, make_post, role):
    user = request.getfixturevalue(role)
    shown, hidden = make_post("公開の連絡"), make_post("非表示の連絡")
    Thread.objects.filter(pk=hidden.thread_id).update(is_hidden=True)
    posts = Post.objects.filter(pk__in=[shown.pk, hidden.pk])
    in_visible = posts.filter(
        thread__in=permissions.visible_threads(user, Thread.objects.all())
    )
    assert set(permissions.posts_in_visible_threads(user, posts)) == set(in_visible)


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("boards:search"), {"q": "防災"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# ----- what the page shows -----


def test_results_are_escaped_and_highlighted(member_client, make_post):
    make_post("<script>alert(1)</script> 防災訓練")
    content = search_page(member_client, q="防災").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>防災</mark>訓練" in content
    assert "<script>alert(1)" not in content


# Session, the account cache's sum and the account, the form's three
# lists, matching ids, the page's posts with their file names, the header's
# unread count, and the request's savepoint and its release.
QUERY_BUDGET = 11


@pytest.mark.parametrize("matching", [3, 30])
def test_queries_do_not_grow_with_the_results(
    member_client, make_post, make_user, django_assert_max_num_queries, matching
):
    for number in range(matching):
        post = make_post("防災の連絡", author=make_user())
        Attachment.objects.create(
            post=post,
            file=f"attachments/{number}.pdf",
            original_name=f"防災{number}.pdf",
            kind=Attachment.Kind.PDF,
            content_type="application/pdf",
            size=1,
        )
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = search_page(member_client, q="防災")
    assert len(response.context["results"]) == min(matching, 20)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("防災", True),
        ("森", True),
        ("ＡＢ", True),
        ("防災訓練", False),
        ("防災 森", False),
    ],
)
def test_only_single_words_of_one_or_two_characters_are_well_estimated(words, expected):
    assert search.well_estimated(words) is expected


def test_highlight_maps_normalised_matches_back_to_what_was_written():
    terms = search.search_terms("abc ガイド")
    assert search.highlight("ＡＢＣとｶﾞｲﾄﾞ", terms) == (
        "<mark>ＡＢＣ</mark>と<mark>ｶﾞｲﾄﾞ</mark>"
    )


def test_highlight_shows_the_part_around_the_first_match():
    text = "あ" * 200 + "森" + "い" * 200
    snippet = search.highlight(text, ["森"], width=40)
    assert snippet == "…" + "あ" * 10 + "<mark>森</mark>" + "い" * 29 + "…"


def test_highlight_without_a_match_shows_the_beginning():
    assert search.highlight("a<b" * 50, ["森"], width=6) == "a&lt;ba&lt;b…"


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31"])
@pytest.mark.parametrize("field", ["date_from", "date_to"])
def test_a_day_outside_the_calendar_the_site_keeps_is_refused(
    member_client, make_post, field, day
):
    make_post("防災の連絡")
    response = search_page(member_client, q="防災", **{field: day})
    assert response.context["results"] == []
    assert response.context["form"].has_error(field, code="out_of_range")
    assert "1900-01-01 から 2099-12-31 までの日付を入力してください。" in (
        response.content.decode()
    )
