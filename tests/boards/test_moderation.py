import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext

from boards import search, selectors
from boards.attachments import prepare_upload
from boards.forms import ReportForm
from boards.models import Category, ModerationLog, Post, ReadState, Report, Thread
from boards.services import moderation, posts

pytestmark = pytest.mark.django_db

Action = ModerationLog.Action
PLACEHOLDER = "This post has been hidden by a moderator."


@pytest.fixture
def moderator_client(ward_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client = Client()
    client.force_login(ward_staff)
    return client


@pytest.fixture
def thread(make_thread, other_member):
    return make_thread(author=other_member, title="観光物産展への出展について")


@pytest.fixture
def reply(thread, make_reply, other_member):
    return make_reply(thread=thread, author=other_member, body="出展料の一覧です。")


def _pdf_upload(name="出展要項.pdf"):
    content = (
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    return prepare_upload(SimpleUploadedFile(name, content, "application/pdf"))


def _counts(slug):
    category = Category.objects.get(slug=slug)
    return category.thread_count, category.post_count


# ----- services: flags and the log -----


@pytest.mark.parametrize(
    ("service", "before", "field", "after", "action"),
    [
        (moderation.thread_hide, {}, "is_hidden", True, Action.HIDE_THREAD),
        (
            moderation.thread_restore,
            {"is_hidden": True},
            "is_hidden",
            False,
            Action.RESTORE_THREAD,
        ),
        (moderation.thread_lock, {}, "is_locked", True, Action.LOCK),
        (
            moderation.thread_unlock,
            {"is_locked": True},
            "is_locked",
            False,
            Action.UNLOCK,
        ),
        (moderation.thread_pin, {}, "is_pinned", True, Action.PIN),
        (
            moderation.thread_unpin,
            {"is_pinned": True},
            "is_pinned",
            False,
            Action.UNPIN,
        ),
    ],
)
def test_each_thread_action_is_done_and_logged(
    thread, ward_staff, service, before, field, after, action
):
    Thread.objects.filter(pk=thread.pk).update(**before)
    thread.refresh_from_db()
    service(thread=thread, actor=ward_staff, reason="規約違反のため")
    thread.refresh_from_db()
    assert getattr(thread, field) is after
    entry = ModerationLog.objects.get()
    assert (entry.actor, entry.action, entry.thread, entry.post, entry.reason) == (
        ward_staff,
        action,
        thread,
        None,
        "規約違反のため",
    )


@pytest.mark.parametrize(
    ("service", "before", "after", "action"),
    [
        (moderation.post_hide, False, True, Action.HIDE_POST),
        (moderation.post_restore, True, False, Action.RESTORE_POST),
    ],
)
def test_each_post_action_is_done_and_logged(
    reply, ward_staff, service, before, after, action
):
    Post.objects.filter(pk=reply.pk).update(is_hidden=before)
    reply.refresh_from_db()
    service(post=reply, actor=ward_staff, reason="個人情報")
    reply.refresh_from_db()
    assert reply.is_hidden is after
    entry = ModerationLog.objects.get()
    assert (entry.action, entry.thread, entry.post, entry.reason) == (
        action,
        reply.thread,
        reply,
        "個人情報",
    )


def test_doing_what_is_already_done_is_refused_and_not_logged(reply, ward_staff):
    moderation.post_hide(post=reply, actor=ward_staff)
    with pytest.raises(ValidationError) as refusal:
        moderation.post_hide(post=reply, actor=ward_staff)
    assert refusal.value.code == "unchanged"
    assert ModerationLog.objects.count() == 1


def test_moving_a_thread_keeps_both_categories_counters_right(
    thread, reply, make_thread, member, ward_staff
):
    staying = make_thread(author=member, category="other", title="残るスレッド")
    moderation.thread_move(
        thread=thread,
        category=Category.objects.get(slug="other"),
        actor=ward_staff,
        reason="カテゴリー違い",
    )
    thread.refresh_from_db()
    assert thread.category.slug == "other"
    assert _counts("proposals") == (0, 0)
    assert _counts("other") == (2, 3)
    other = Category.objects.get(slug="other")
    assert other.last_activity_at == max(
        staying.last_activity_at, thread.last_activity_at
    )
    assert Category.objects.get(slug="proposals").last_activity_at is None
    entry = ModerationLog.objects.get()
    assert entry.action == Action.MOVE
    assert entry.details == {"from": "proposals", "to": "other"}


def test_a_thread_cannot_move_to_its_own_category(thread, ward_staff):
    with pytest.raises(ValidationError):
        moderation.thread_move(
            thread=thread, category=thread.category, actor=ward_staff
        )
    assert not ModerationLog.objects.exists()


def test_split_makes_a_new_thread_of_the_chosen_replies(
    thread, make_reply, member, ward_staff
):
    replies = [
        make_reply(thread=thread, author=member, body=f"返信{number}")
        for number in range(1, 6)
    ]
    new = moderation.thread_split(
        thread=thread,
        posts=[replies[4], replies[1], replies[3]],
        title="防災協定の相談",
        actor=ward_staff,
        reason="別の話題",
    )
    new.refresh_from_db()
    moved = list(new.posts.in_order())
    assert [(post.position, post.body) for post in moved] == [
        (0, "返信2"),
        (1, "返信4"),
        (2, "返信5"),
    ]
    assert (new.title, new.category_id, new.author) == (
        "防災協定の相談",
        thread.category_id,
        member,
    )
    assert (new.reply_count, new.last_position) == (2, 2)
    assert new.created_at == replies[1].created_at
    assert new.last_activity_at == replies[4].created_at
    assert new.last_post_author == member

    thread.refresh_from_db()
    left = list(thread.posts.in_order().values_list("position", "body"))
    assert left == [(0, "本文"), (1, "返信1"), (3, "返信3")]
    assert (thread.reply_count, thread.last_position) == (2, 3)
    assert thread.last_activity_at == replies[2].created_at
    assert _counts("proposals") == (2, 6)

    # The member had read all of the old thread; its next reply takes #4.
    assert ReadState.objects.get(user=member, thread=thread).last_read_position == 3
    assert not ReadState.objects.filter(thread=new).exists()

    titled = Post.objects.filter(
        search.Matches(F("search_vector"), search.tsquery("防災協定"))
    )
    assert list(titled) == [moved[0]]

    entry = ModerationLog.objects.get()
    assert (entry.action, entry.thread, entry.reason) == (
        Action.SPLIT,
        thread,
        "別の話題",
    )
    assert entry.details["to"] == new.pk


def test_the_opening_post_cannot_be_split_off(thread, reply, ward_staff):
    with pytest.raises(ValidationError) as refusal:
        moderation.thread_split(
            thread=thread,
            posts=[thread.posts.get(position=0), reply],
            title="新しいスレッド",
            actor=ward_staff,
        )
    assert refusal.value.code == "opening_post"
    assert Thread.objects.count() == 1


def test_split_drops_reply_links_across_the_two_threads(
    thread, reply, other_member, ward_staff
):
    answer = posts.post_reply(
        thread=thread, author=other_member, body="上記の件", quoted=reply
    )
    moderation.thread_split(
        thread=thread, posts=[answer], title="新しいスレッド", actor=ward_staff
    )
    answer.refresh_from_db()
    assert answer.quoted is None


def test_merge_appends_the_posts_in_time_order_and_hides_the_source(
    make_thread, make_reply, member, other_member, ward_staff
):
    target = make_thread(author=member, title="物産展の出展者募集", body="募集です")
    make_reply(thread=target, author=other_member, body="応募します")
    source = make_thread(author=other_member, title="物産展について", body="質問です")
    make_reply(thread=source, author=member, body="回答です")

    moderation.thread_merge(
        source=source, target=target, actor=ward_staff, reason="同じ話題"
    )

    target.refresh_from_db()
    posts = list(target.posts.in_order().values_list("position", "body"))
    assert posts == [
        (0, "募集です"),
        (1, "応募します"),
        (2, "質問です"),
        (3, "回答です"),
    ]
    assert (target.reply_count, target.last_position) == (3, 3)
    assert target.last_post_author == member
    source.refresh_from_db()
    assert source.is_hidden
    assert not source.posts.exists()
    assert selectors.merged_into(source) == target.pk
    assert _counts("proposals") == (2, 4)
    entry = ModerationLog.objects.get()
    assert (entry.action, entry.thread) == (Action.MERGE, source)
    assert entry.details["to"] == target.pk


def test_merge_across_categories_moves_the_post_counts(
    make_thread, member, other_member, ward_staff
):
    target = make_thread(author=member, category="other", title="その他の話題")
    source = make_thread(author=other_member, title="提案")
    moderation.thread_merge(source=source, target=target, actor=ward_staff)
    assert _counts("proposals") == (1, 0)
    assert _counts("other") == (1, 2)


def test_a_merged_thread_cannot_be_restored(
    make_thread, member, other_member, ward_staff
):
    target = make_thread(author=member, title="残る方")
    source = make_thread(author=other_member, title="統合される方")
    moderation.thread_merge(source=source, target=target, actor=ward_staff)
    with pytest.raises(ValidationError) as refusal:
        moderation.thread_restore(thread=source, actor=ward_staff)
    assert refusal.value.code == "merged"


def test_threads_are_not_merged_into_hidden_threads(
    make_thread, member, other_member, ward_staff
):
    target = make_thread(author=member, title="非表示の方")
    moderation.thread_hide(thread=target, actor=ward_staff)
    source = make_thread(author=other_member, title="統合される方")
    with pytest.raises(ValidationError):
        moderation.thread_merge(source=source, target=target, actor=ward_staff)
    assert source.posts.exists()


# ----- reports -----


def test_a_second_open_report_of_the_same_post_is_refused(member, reply):
    moderation.report_create(post=reply, reporter=member, reason="誹謗中傷です")
    with pytest.raises(ValidationError) as refusal:
        moderation.report_create(post=reply, reporter=member, reason="もう一度")
    assert refusal.value.code == "already_reported"
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    ("service", "status", "action"),
    [
        (moderation.report_resolve, Report.Status.RESOLVED, Action.RESOLVE_REPORT),
        (moderation.report_dismiss, Report.Status.DISMISSED, Action.DISMISS_REPORT),
    ],
)
def test_closing_a_report_is_logged_and_allows_a_new_report(
    member, reply, ward_staff, service, status, action
):
    report = moderation.report_create(post=reply, reporter=member, reason="広告です")
    service(report=report, actor=ward_staff, note="確認しました")
    report.refresh_from_db()
    assert (report.status, report.handled_by, report.note) == (
        status,
        ward_staff,
        "確認しました",
    )
    assert report.handled_at is not None
    entry = ModerationLog.objects.get()
    assert (entry.action, entry.post, entry.thread, entry.reason) == (
        action,
        reply,
        reply.thread,
        "確認しました",
    )
    assert entry.details == {"report": report.pk}
    with pytest.raises(ValidationError):
        service(report=report, actor=ward_staff)
    moderation.report_create(post=reply, reporter=member, reason="再度の通報")
    assert Report.objects.count() == 2


def test_the_report_form_allows_what_the_model_stores():
    assert (
        ReportForm.base_fields["reason"].max_length
        == Report._meta.get_field("reason").max_length
    )


# ----- what members and moderators see -----


def test_members_see_a_placeholder_for_a_hidden_post(
    member_client, moderator_client, reply, ward_staff
):
    moderation.post_hide(post=reply, actor=ward_staff)
    url = reverse("boards:thread", args=[reply.thread_id])
    content = member_client.get(url).content.decode()
    assert gettext(PLACEHOLDER) in content
    assert "出展料の一覧です。" not in content
    content = moderator_client.get(url).content.decode()
    assert "出展料の一覧です。" in content
    assert gettext("Hidden from members") in content
    assert gettext(PLACEHOLDER) not in content


def test_files_of_hidden_posts_are_not_downloadable_by_members(
    member_client, moderator_client, thread, other_member, ward_staff
):
    post = posts.post_reply(
        thread=thread, author=other_member, body="資料です", uploads=[_pdf_upload()]
    )
    attachment = post.attachments.get()
    url = reverse(
        "boards:attachment_download", args=[attachment.pk, attachment.original_name]
    )
    assert member_client.get(url).status_code == 200
    moderation.post_hide(post=post, actor=ward_staff)
    assert member_client.get(url).status_code == 404
    assert moderator_client.get(url).status_code == 200


def test_history_of_a_hidden_post_is_not_shown_to_members(
    member_client, reply, other_member, ward_staff
):
    posts.post_edit(post=reply, actor=other_member, body="訂正しました")
    moderation.post_hide(post=reply, actor=ward_staff)
    url = reverse("boards:post_history", args=[reply.pk])
    assert member_client.get(url).status_code == 404


def test_search_finds_hidden_posts_for_moderators_only(
    member_client, moderator_client, reply, ward_staff
):
    moderation.post_hide(post=reply, actor=ward_staff)
    url = reverse("boards:search")

    def found(client):
        results = client.get(url, {"q": "出展料"}).context["results"]
        return [result.post.pk for result in results]

    assert found(member_client) == []
    assert found(moderator_client) == [reply.pk]


def test_hidden_threads_are_404_for_members_and_open_to_moderators(
    member_client, moderator_client, thread, ward_staff
):
    moderation.thread_hide(thread=thread, actor=ward_staff)
    url = reverse("boards:thread", args=[thread.pk])
    assert member_client.get(url).status_code == 404
    assert moderator_client.get(url).status_code == 200


def test_locked_threads_refuse_replies(member_client, thread, ward_staff):
    moderation.thread_lock(thread=thread, actor=ward_staff)
    response = member_client.post(
        reverse("boards:reply", args=[thread.pk]), {"body": "返信します"}
    )
    assert response.status_code == 403
    assert thread.posts.count() == 1


def test_pinned_threads_are_listed_first(
    member_client, make_thread, other_member, ward_staff
):
    pinned = make_thread(author=other_member, title="固定されるスレッド")
    make_thread(author=other_member, title="新しいスレッド")
    moderation.thread_pin(thread=pinned, actor=ward_staff)
    content = member_client.get(reverse("boards:category", args=["proposals"]))
    content = content.content.decode()
    assert content.index("固定されるスレッド") < content.index("新しいスレッド")


def test_a_merged_thread_leads_to_the_thread_it_went_into(
    member_client, make_thread, member, other_member, ward_staff
):
    target = make_thread(author=member, title="残る方")
    source = make_thread(author=other_member, title="統合される方")
    moderation.thread_merge(source=source, target=target, actor=ward_staff)
    response = member_client.get(reverse("boards:thread", args=[source.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("boards:thread", args=[target.pk])


def test_moderators_get_the_toolbar_and_members_do_not(
    member_client, moderator_client, thread, reply
):
    url = reverse("boards:thread", args=[thread.pk])
    lock_url = reverse("boards:thread_lock", args=[thread.pk])
    hide_url = reverse("boards:post_hide", args=[reply.pk])
    content = moderator_client.get(url).content.decode()
    assert lock_url in content
    assert hide_url in content
    content = member_client.get(url).content.decode()
    assert lock_url not in content
    assert hide_url not in content
    assert reverse("boards:post_report", args=[reply.pk]) in content


# ----- moderation pages -----


def test_moderator_hides_a_post_from_the_thread_page(moderator_client, reply):
    response = moderator_client.post(
        reverse("boards:post_hide", args=[reply.pk]), {"reason": "個人情報を含む"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#post-{reply.position}")
    reply.refresh_from_db()
    assert reply.is_hidden
    assert ModerationLog.objects.get().reason == "個人情報を含む"


def test_moderator_locks_a_thread_from_the_thread_page(moderator_client, thread):
    response = moderator_client.post(reverse("boards:thread_lock", args=[thread.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("boards:thread", args=[thread.pk])
    thread.refresh_from_db()
    assert thread.is_locked


def test_actions_are_post_only(moderator_client, thread):
    response = moderator_client.get(reverse("boards:thread_lock", args=[thread.pk]))
    assert response.status_code == 405


def test_moderator_moves_a_thread(moderator_client, thread):
    url = reverse("boards:thread_move", args=[thread.pk])
    assert moderator_client.get(url).status_code == 200
    other = Category.objects.get(slug="other")
    response = moderator_client.post(url, {"category": other.pk, "reason": ""})
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.category == other


def test_moderator_splits_replies_off(moderator_client, thread, reply):
    url = reverse("boards:thread_split", args=[thread.pk])
    page = moderator_client.get(url)
    assert page.status_code == 200
    assert "出展料の一覧です。" in page.content.decode()
    response = moderator_client.post(
        url, {"title": "  出展料  について ", "posts": [reply.pk]}
    )
    new = Thread.objects.exclude(pk=thread.pk).get()
    assert response["Location"] == reverse("boards:thread", args=[new.pk])
    assert new.title == "出展料 について"


def test_the_split_page_offers_replies_only(moderator_client, thread, reply):
    opening = thread.posts.get(position=0)
    response = moderator_client.post(
        reverse("boards:thread_split", args=[thread.pk]),
        {"title": "新しいスレッド", "posts": [opening.pk]},
    )
    assert response.status_code == 200
    assert Thread.objects.count() == 1


def test_moderator_merges_by_pasting_the_other_threads_address(
    moderator_client, make_thread, member, thread
):
    target = make_thread(author=member, title="残る方")
    address = "https://renkei.example.jp" + reverse("boards:thread", args=[target.pk])
    response = moderator_client.post(
        reverse("boards:thread_merge", args=[thread.pk]),
        {"target": address + "?page=2#post-3"},
    )
    assert response["Location"] == reverse("boards:thread", args=[target.pk])
    assert target.posts.count() == 2


def test_merging_into_an_unknown_thread_is_refused(moderator_client, thread):
    response = moderator_client.post(
        reverse("boards:thread_merge", args=[thread.pk]), {"target": "999999"}
    )
    assert response.status_code == 200
    assert gettext("No thread has that number or address.") in (
        response.content.decode()
    )


def _moderation_requests(thread, reply):
    other = Category.objects.get(slug="other")
    for name in [
        "thread_hide",
        "thread_restore",
        "thread_lock",
        "thread_unlock",
        "thread_pin",
        "thread_unpin",
    ]:
        yield reverse(f"boards:{name}", args=[thread.pk]), {"reason": "x"}
    yield reverse("boards:thread_move", args=[thread.pk]), {"category": other.pk}
    yield (
        reverse("boards:thread_split", args=[thread.pk]),
        {"title": "分割", "posts": [reply.pk]},
    )
    yield reverse("boards:thread_merge", args=[thread.pk]), {"target": str(thread.pk)}
    yield reverse("boards:post_hide", args=[reply.pk]), {"reason": "x"}
    yield reverse("boards:post_restore", args=[reply.pk]), {"reason": "x"}


def _state():
    return (
        list(Thread.objects.order_by("pk").values()),
        list(Post.objects.order_by("pk").values("thread", "position", "is_hidden")),
    )


def test_members_get_403_from_every_moderation_url_and_nothing_changes(
    member_client, thread, reply
):
    before = _state()
    for url, data in _moderation_requests(thread, reply):
        assert member_client.post(url, data).status_code == 403, url
        assert member_client.get(url).status_code == 403, url
    assert _state() == before
    assert not ModerationLog.objects.exists()


def test_anonymous_visitors_are_sent_to_login(client, thread, reply):
    for url, data in _moderation_requests(thread, reply):
        response = client.post(url, data)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert not ModerationLog.objects.exists()


# ----- reporting -----


def test_member_reports_a_post(member_client, member, reply):
    url = reverse("boards:post_report", args=[reply.pk])
    assert member_client.get(url).status_code == 200
    response = member_client.post(url, {"reason": "営業目的の投稿です"})
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.post, report.reporter, report.reason, report.status) == (
        reply,
        member,
        "営業目的の投稿です",
        Report.Status.OPEN,
    )


def test_reporting_again_shows_a_message_and_makes_no_duplicate(member_client, reply):
    url = reverse("boards:post_report", args=[reply.pk])
    member_client.post(url, {"reason": "一度目"})
    response = member_client.post(url, {"reason": "二度目"})
    assert response.status_code == 200
    message = gettext(
        "You have already reported this post. The moderators will look at it."
    )
    assert message in response.content.decode()
    assert Report.objects.count() == 1


def test_a_report_needs_a_reason(member_client, reply):
    response = member_client.post(
        reverse("boards:post_report", args=[reply.pk]), {"reason": ""}
    )
    assert response.status_code == 200
    assert not Report.objects.exists()


def test_own_posts_cannot_be_reported(client, other_member, reply):
    client.force_login(other_member)
    url = reverse("boards:post_report", args=[reply.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "自分の投稿"}).status_code == 403
    assert not Report.objects.exists()


def test_report_then_hide_then_log(
    member_client, moderator_client, member, ward_staff, reply
):
    member_client.post(
        reverse("boards:post_report", args=[reply.pk]),
        {"reason": "電話番号が載っている"},
    )
    report = Report.objects.get()
    moderator_client.post(
        reverse("boards:post_hide", args=[reply.pk]), {"reason": "通報による"}
    )
    moderation.report_resolve(report=report, actor=ward_staff, note="非表示にした")
    actions = list(
        ModerationLog.objects.order_by("pk").values_list("action", "post", "actor")
    )
    assert actions == [
        (Action.HIDE_POST, reply.pk, ward_staff.pk),
        (Action.RESOLVE_REPORT, reply.pk, ward_staff.pk),
    ]


# ----- admin -----


def test_thread_flags_are_not_edited_in_the_admin_form(moderator_client, thread):
    url = reverse("admin:boards_thread_change", args=[thread.pk])
    moderator_client.post(url, {"is_hidden": "on", "is_locked": "on"})
    thread.refresh_from_db()
    assert not thread.is_hidden
    assert not thread.is_locked


def test_the_report_queue_lists_open_reports_first(
    moderator_client, member, reply, ward_staff
):
    handled = moderation.report_create(post=reply, reporter=member, reason="古い")
    moderation.report_dismiss(report=handled, actor=ward_staff)
    waiting = moderation.report_create(post=reply, reporter=member, reason="新しい")
    response = moderator_client.get(reverse("admin:boards_report_changelist"))
    assert response.status_code == 200
    assert [report.pk for report in response.context["cl"].result_list] == [
        waiting.pk,
        handled.pk,
    ]
    assert reverse("boards:post", args=[reply.pk]) in response.content.decode()


def test_the_moderation_log_is_read_only_in_admin(moderator_client, thread, ward_staff):
    moderation.thread_lock(thread=thread, actor=ward_staff, reason="終了")
    entry = ModerationLog.objects.get()
    changelist = reverse("admin:boards_moderationlog_changelist")
    assert moderator_client.get(changelist).status_code == 200
    assert moderator_client.get(changelist, {"q": "終了"}).status_code == 200
    assert moderator_client.get(changelist, {"action": "lock"}).status_code == 200
    detail = reverse("admin:boards_moderationlog_change", args=[entry.pk])
    assert moderator_client.get(detail).status_code == 200
    assert moderator_client.post(detail, {"reason": "改ざん"}).status_code == 403
    add = reverse("admin:boards_moderationlog_add")
    assert moderator_client.get(add).status_code == 403
    delete = reverse("admin:boards_moderationlog_delete", args=[entry.pk])
    assert moderator_client.post(delete, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.reason == "終了"


def test_members_are_refused_the_moderation_admin(member_client, reply, member):
    moderation.report_create(post=reply, reporter=member, reason="広告")
    for name in ["boards_report_changelist", "boards_moderationlog_changelist"]:
        response = member_client.get(reverse(f"admin:{name}"))
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
