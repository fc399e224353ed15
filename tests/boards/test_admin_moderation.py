"""Moderation in Django admin: every step with a reason, logged, mailed if asked."""

import datetime
import io

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone
from openpyxl import load_workbook

from boards import exports
from boards.models import (
    Addressee,
    Category,
    ModerationLog,
    ModeratorMailSetting,
    Post,
    Proposal,
    RealisedCollaboration,
    Report,
    Thread,
)
from boards.services import collaboration, moderation
from members import permissions
from members.admin_lists import EstimatedCountPaginator
from members.models import MembershipApplication, SignInEvent
from tests import factories

pytestmark = pytest.mark.django_db

Action = ModerationLog.Action


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what waits for the commit (mail), as after a real request."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def moderator_client(ward_staff):
    client = Client()
    client.force_login(ward_staff)
    return client


@pytest.fixture
def office_client(office_staff):
    client = Client()
    client.force_login(office_staff)
    return client


@pytest.fixture
def thread(make_thread, other_member):
    return make_thread(author=other_member, title="観光物産展への出展について")


@pytest.fixture
def replies(thread, make_reply, member, other_member):
    return [
        make_reply(thread=thread, author=author, body=f"返信{number}です。")
        for number, author in enumerate([member, other_member, member], start=1)
    ]


def _state(thread):
    """What a refused step must leave as it was."""
    return (
        list(
            Thread.objects.order_by("pk").values_list(
                "pk", "category", "is_hidden", "is_locked", "is_pinned", "reply_count"
            )
        ),
        list(Post.objects.order_by("pk").values_list("pk", "thread", "position")),
        ModerationLog.objects.count(),
    )


def _url(name, *args):
    return reverse(f"admin:boards_{name}", args=args)


# ----- thread and post steps -----


THREAD_STEPS = [
    ("hide", {}, "is_hidden", True, Action.HIDE_THREAD),
    ("restore", {"is_hidden": True}, "is_hidden", False, Action.RESTORE_THREAD),
    ("lock", {}, "is_locked", True, Action.LOCK),
    ("unlock", {"is_locked": True}, "is_locked", False, Action.UNLOCK),
    ("pin", {}, "is_pinned", True, Action.PIN),
    ("unpin", {"is_pinned": True}, "is_pinned", False, Action.UNPIN),
]


@pytest.mark.parametrize(("step", "before", "flag", "after", "action"), THREAD_STEPS)
def test_each_thread_step_is_done_with_the_reason_typed(
    moderator_client, thread, ward_staff, step, before, flag, after, action
):
    Thread.objects.filter(pk=thread.pk).update(**before)
    page = moderator_client.get(_url(f"thread_{step}", thread.pk))
    assert page.status_code == 200
    response = moderator_client.post(
        _url(f"thread_{step}", thread.pk), {"apply": "1", "reason": "重複のため"}
    )
    assert response.status_code == 302
    thread.refresh_from_db()
    assert getattr(thread, flag) is after
    entry = ModerationLog.objects.get()
    assert (entry.action, entry.reason, entry.actor) == (
        action,
        "重複のため",
        ward_staff,
    )
    assert mail.outbox == []


@pytest.mark.parametrize("step", ["hide", "restore"])
def test_hiding_and_restoring_need_a_reason(moderator_client, thread, step):
    Thread.objects.filter(pk=thread.pk).update(is_hidden=step == "restore")
    before = _state(thread)
    response = moderator_client.post(
        _url(f"thread_{step}", thread.pk), {"apply": "1", "reason": "  "}
    )
    assert response.status_code == 200
    assert "理由を書いてください" in response.content.decode()
    assert _state(thread) == before


@pytest.mark.parametrize("step", ["lock", "pin"])
def test_locking_and_pinning_may_go_without_a_reason(moderator_client, thread, step):
    moderator_client.post(_url(f"thread_{step}", thread.pk), {"apply": "1"})
    assert ModerationLog.objects.get().reason == ""


def test_the_author_is_mailed_only_when_asked(
    moderator_client, thread, other_member, committed
):
    with committed():
        moderator_client.post(
            _url("thread_lock", thread.pk), {"apply": "1", "reason": "終了しました"}
        )
    assert mail.outbox == []
    with committed():
        moderator_client.post(
            _url("thread_hide", thread.pk),
            {"apply": "1", "reason": "個人情報が含まれるため", "notify_author": "on"},
        )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [other_member.email]
    assert "スレッドを非表示にした" in message.body
    assert "個人情報が含まれるため" in message.body


def test_threads_are_hidden_from_the_list_with_one_reason(
    moderator_client, thread, make_thread, other_member
):
    second = make_thread(author=other_member, title="二つ目")
    data = {"action": "step_hide", "_selected_action": [thread.pk, second.pk]}
    page = moderator_client.post(_url("thread_changelist"), data)
    assert page.status_code == 200
    assert not Thread.objects.filter(is_hidden=True).exists()
    response = moderator_client.post(
        _url("thread_changelist"), {**data, "apply": "1", "reason": "広告"}
    )
    assert response.status_code == 302
    assert Thread.objects.filter(is_hidden=True).count() == 2
    assert list(ModerationLog.objects.values_list("reason", flat=True)) == [
        "広告",
        "広告",
    ]


def test_a_post_is_hidden_and_restored_in_admin(
    moderator_client, replies, member, committed
):
    post = replies[0]
    with committed():
        moderator_client.post(
            _url("post_hide", post.pk),
            {"apply": "1", "reason": "誹謗中傷", "notify_author": "on"},
        )
    post.refresh_from_db()
    assert post.is_hidden
    assert mail.outbox[0].to == [member.email]
    moderator_client.post(
        _url("post_restore", post.pk), {"apply": "1", "reason": "誤り"}
    )
    post.refresh_from_db()
    assert not post.is_hidden
    assert list(
        ModerationLog.objects.order_by("pk").values_list("action", "reason")
    ) == [(Action.HIDE_POST, "誹謗中傷"), (Action.RESTORE_POST, "誤り")]


def test_the_change_page_offers_the_steps_that_apply(moderator_client, thread):
    page = moderator_client.get(_url("thread_change", thread.pk)).content.decode()
    assert _url("thread_hide", thread.pk) in page
    assert _url("thread_restore", thread.pk) not in page
    assert _url("thread_split", thread.pk) in page


# ----- who may -----


def test_members_and_visitors_are_kept_out_of_every_step(
    client, member_client, thread, replies
):
    before = _state(thread)
    urls = [
        *(_url(f"thread_{step}", thread.pk) for step, *_ in THREAD_STEPS),
        _url("thread_move", thread.pk),
        _url("thread_split", thread.pk),
        _url("thread_merge", thread.pk),
        _url("post_hide", replies[0].pk),
    ]
    for url in urls:
        for someone in (client, member_client):
            response = someone.post(url, {"apply": "1", "reason": "x"})
            assert response.status_code == 302
            assert response["Location"].startswith("/admin/login/")
    assert _state(thread) == before


@pytest.mark.parametrize("name", ["thread_hide", "thread_split", "thread_merge"])
def test_a_step_is_403_for_whoever_may_not_moderate(member, thread, name):
    """Past the admin's own guard, the step asks boards.permissions."""
    request = RequestFactory().post(_url(name, thread.pk), {"apply": "1"})
    request.user = member
    view = resolve(_url(name, thread.pk)).func
    # The admin's guard would send a member to sign in; call what it wraps.
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    with pytest.raises(PermissionDenied):
        view(request, pk=thread.pk)


# ----- move, split, merge -----


def test_a_thread_moves_with_a_reason(moderator_client, thread, committed):
    other = Category.objects.get(slug="other")
    with committed():
        response = moderator_client.post(
            _url("thread_move", thread.pk),
            {"category": other.pk, "reason": "分類の誤り", "notify_author": "on"},
        )
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.category == other
    assert ModerationLog.objects.get().reason == "分類の誤り"
    assert len(mail.outbox) == 1


def test_a_proposal_cannot_move_into_an_event_category(moderator_client, member):
    proposal = collaboration.thread_start(
        category=Category.objects.get(slug="proposals"),
        author=member,
        title="提案",
        body="本文",
        details={"field": "tourism"},
    )
    before = _state(proposal)
    response = moderator_client.post(
        _url("thread_move", proposal.pk),
        {
            "category": Category.objects.get(slug="participation").pk,
            "reason": "移動",
        },
    )
    assert response.status_code == 200
    assert "同じ種類のカテゴリ" in response.content.decode()
    assert _state(proposal) == before


def test_moving_needs_a_reason(moderator_client, thread):
    before = _state(thread)
    response = moderator_client.post(
        _url("thread_move", thread.pk),
        {"category": Category.objects.get(slug="other").pk, "reason": ""},
    )
    assert response.status_code == 200
    assert _state(thread) == before


def test_split_from_a_number_moves_those_replies(moderator_client, thread, replies):
    response = moderator_client.post(
        _url("thread_split", thread.pk),
        {"title": "出展料について", "from_position": "2", "reason": "話題が別"},
    )
    assert response.status_code == 302
    new = Thread.objects.get(title="出展料について")
    assert list(new.posts.order_by("position").values_list("pk", flat=True)) == [
        replies[1].pk,
        replies[2].pk,
    ]
    entry = ModerationLog.objects.get()
    assert (entry.action, entry.reason) == (Action.SPLIT, "話題が別")


def test_split_entirely_moves_every_reply_and_keeps_the_details(
    moderator_client, member, other_member, make_reply, ward_staff, committed
):
    ward = ward_staff.organisation
    proposal = collaboration.thread_start(
        category=Category.objects.get(slug="proposals"),
        author=member,
        title="提案",
        body="本文",
        details={"field": "tourism"},
        wards=[ward],
    )
    moved = [make_reply(thread=proposal, author=other_member) for _ in range(2)]
    mail.outbox.clear()
    with committed():
        moderator_client.post(
            _url("thread_split", proposal.pk),
            {
                "title": "雑談",
                "from_position": "1",
                "reason": "提案と関係がない",
                "notify_author": "on",
            },
        )
    new = Thread.objects.get(title="雑談")
    assert set(new.posts.values_list("pk", flat=True)) == {post.pk for post in moved}
    assert Proposal.objects.filter(thread=proposal).exists()
    assert not Proposal.objects.filter(thread=new).exists()
    assert Addressee.objects.get().thread_id == proposal.pk
    assert proposal.posts.count() == 1
    # The authors of the replies moved hear of it, with the new address.
    assert [message.to for message in mail.outbox] == [[other_member.email]]
    assert f"/boards/t/{new.pk}/" in mail.outbox[0].body


@pytest.mark.parametrize(
    "data",
    [
        {"title": "新しい", "reason": "理由"},
        {"title": "新しい", "reason": "理由", "from_position": "0"},
        {"title": "新しい", "reason": "理由", "from_position": "99"},
        {"title": "新しい", "reason": "", "from_position": "1"},
        {"title": "", "reason": "理由", "from_position": "1"},
    ],
    ids=["nothing", "opening-post", "past-the-end", "no-reason", "no-title"],
)
def test_split_into_nothing_or_with_the_opening_post_is_refused(
    moderator_client, thread, replies, data
):
    before = _state(thread)
    response = moderator_client.post(_url("thread_split", thread.pk), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert _state(thread) == before


def test_ticking_the_opening_post_is_refused(moderator_client, thread, replies):
    before = _state(thread)
    opening = thread.posts.get(position=0)
    response = moderator_client.post(
        _url("thread_split", thread.pk),
        {"title": "新しい", "reason": "理由", "posts": [opening.pk]},
    )
    assert response.status_code == 200
    assert _state(thread) == before


def test_a_thread_merges_into_another_by_number(
    moderator_client, thread, replies, make_thread, member
):
    target = make_thread(author=member, title="出展の総合スレッド")
    response = moderator_client.post(
        _url("thread_merge", thread.pk),
        {"target": str(target.pk), "reason": "同じ話題"},
    )
    assert response.status_code == 302
    assert target.posts.count() == 5
    assert ModerationLog.objects.get().reason == "同じ話題"


def test_merge_page_finds_threads_by_title(
    moderator_client, thread, make_thread, member
):
    target = make_thread(author=member, title="出展の総合スレッド")
    page = moderator_client.get(_url("thread_merge", thread.pk), {"q": "総合"})
    assert page.context["found"] == [target]


def test_merging_a_thread_into_itself_is_refused(moderator_client, thread, replies):
    before = _state(thread)
    response = moderator_client.post(
        _url("thread_merge", thread.pk), {"target": str(thread.pk), "reason": "統合"}
    )
    assert response.status_code == 200
    assert "このスレッド以外" in response.content.decode()
    assert _state(thread) == before


# ----- reports -----


@pytest.fixture
def report(replies, other_member):
    return moderation.report_create(
        post=replies[0], reporter=other_member, reason="個人の電話番号が書かれている"
    )


def test_the_report_page_shows_the_post(moderator_client, report):
    page = moderator_client.get(_url("report_change", report.pk)).content.decode()
    assert "返信1です。" in page
    assert report.post.author.display_name in page
    assert _url("report_hide", report.pk) in page
    assert _url("report_dismiss", report.pk) in page


def test_resolving_by_hiding_hides_the_post_and_mails_the_reporter(
    moderator_client, report, other_member, member, committed
):
    mail.outbox.clear()
    with committed():
        response = moderator_client.post(
            _url("report_hide", report.pk),
            {
                "apply": "1",
                "reason": "個人情報",
                "notify_reporter": "on",
                "notify_author": "on",
            },
        )
    assert response.status_code == 302
    report.refresh_from_db()
    report.post.refresh_from_db()
    assert report.status == Report.Status.RESOLVED
    assert report.post.is_hidden
    assert list(
        ModerationLog.objects.order_by("pk").values_list("action", "reason")
    ) == [(Action.HIDE_POST, "個人情報"), (Action.RESOLVE_REPORT, "個人情報")]
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [other_member.email, member.email]
    )


def test_a_report_on_a_hidden_post_is_not_hidden_twice(
    moderator_client, report, ward_staff
):
    moderation.post_hide(post=report.post, actor=ward_staff, reason="先に非表示")
    page = moderator_client.get(_url("report_change", report.pk)).content.decode()
    assert "非表示" in page
    assert _url("report_hide", report.pk) not in page
    moderator_client.post(
        _url("report_resolve", report.pk), {"apply": "1", "reason": "済"}
    )
    report.refresh_from_db()
    assert report.status == Report.Status.RESOLVED
    assert ModerationLog.objects.filter(action=Action.HIDE_POST).count() == 1


def test_dismissing_needs_a_reason(moderator_client, report):
    response = moderator_client.post(_url("report_dismiss", report.pk), {"apply": "1"})
    assert response.status_code == 200
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN
    assert not ModerationLog.objects.exists()


@pytest.mark.parametrize(
    ("step", "status"),
    [("resolve", Report.Status.RESOLVED), ("dismiss", Report.Status.DISMISSED)],
)
def test_reports_are_closed_from_the_list_with_a_reason(
    moderator_client, report, ward_staff, step, status
):
    moderator_client.post(
        _url("report_changelist"),
        {
            "action": f"step_{step}",
            "_selected_action": [report.pk],
            "apply": "1",
            "reason": "確認しました",
        },
    )
    report.refresh_from_db()
    assert (report.status, report.handled_by, report.note) == (
        status,
        ward_staff,
        "確認しました",
    )


def test_a_report_mails_the_moderators_who_want_it(
    django_capture_on_commit_callbacks, replies, other_member, ward_staff, office_staff
):
    quiet = factories.make_user(role=permissions.WARD_STAFF, email="quiet@example.jp")
    moderation.moderator_mail_set(user=quiet, reports=False)
    moderation.moderator_mail_set(user=office_staff, reports=True)
    with django_capture_on_commit_callbacks(execute=True):
        report = moderation.report_create(
            post=replies[0], reporter=other_member, reason="広告です"
        )
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == sorted([ward_staff.email, office_staff.email])
    assert "広告です" in mail.outbox[0].body
    assert _url("report_change", report.pk) in mail.outbox[0].body


def test_no_mail_when_the_report_does_not_commit(
    django_capture_on_commit_callbacks, replies, other_member, ward_staff
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        moderation.report_create(post=replies[0], reporter=other_member, reason="x")
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_a_moderator_changes_only_their_own_mail_setting(
    moderator_client, ward_staff, office_staff
):
    response = moderator_client.get(_url("moderatormailsetting_changelist"))
    own = ModeratorMailSetting.objects.get(user=ward_staff)
    assert response["Location"] == _url("moderatormailsetting_change", own.pk)
    moderator_client.post(_url("moderatormailsetting_change", own.pk), {})
    own.refresh_from_db()
    assert own.reports is False
    other = ModeratorMailSetting.objects.create(user=office_staff)
    assert (
        moderator_client.get(_url("moderatormailsetting_change", other.pk)).status_code
        == 302
    )
    assert moderator_client.post(
        _url("moderatormailsetting_change", other.pk), {}
    ).status_code in (302, 403)
    other.refresh_from_db()
    assert other.reports is True


# ----- the start page -----


def _fill_start_page(member, other_member, ward_staff):
    organisation = factories.make_organisation(
        name="輪島市", membership_status="applying"
    )
    MembershipApplication.objects.create(
        organisation=organisation,
        department="企画課",
        contact_person="能登 花子",
        email="wajima@example.jp",
        phone="0768-22-2211",
    )
    thread = collaboration.thread_start(
        category=Category.objects.get(slug="proposals"),
        author=member,
        title="提案",
        body="本文",
        details={"field": "tourism"},
        wards=[ward_staff.organisation],
    )
    Thread.objects.filter(pk=thread.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=8)
    )
    post = factories.make_reply(thread=thread, author=member)
    moderation.report_create(post=post, reporter=other_member, reason="x")
    type(member).objects.filter(pk=member.pk).update(mail_bouncing_since=timezone.now())
    SignInEvent.objects.create(outcome=SignInEvent.Outcome.FAILED, email="x@x.jp")
    SignInEvent.objects.create(
        outcome=SignInEvent.Outcome.FAILED,
        email="y@x.jp",
        at=timezone.now() - datetime.timedelta(days=2),
    )


def test_the_start_page_counts_what_waits_with_links(
    office_client, member, other_member, ward_staff
):
    _fill_start_page(member, other_member, ward_staff)
    response = office_client.get(reverse("admin:index"))
    figures = {figure.url: figure.count for figure in response.context["figures"]}
    assert figures == {
        reverse("admin:members_membershipapplication_changelist")
        + "?status=pending": 1,
        reverse("admin:members_organisation_changelist")
        + "?confirmation=unconfirmed": figures[
            reverse("admin:members_organisation_changelist")
            + "?confirmation=unconfirmed"
        ],
        _url("report_changelist") + "?status__exact=open": 1,
        _url("thread_changelist") + "?unanswered=yes": 1,
        reverse("admin:members_user_changelist") + "?bouncing=yes": 1,
        reverse("admin:members_signinevent_changelist") + "?failures=today": 1,
    }
    # Each link lists as many rows as its figure says.
    for url, count in figures.items():
        listed = office_client.get(url)
        assert listed.status_code == 200, url
        assert listed.context["cl"].result_count == count, url


def test_ward_staff_see_only_the_figures_of_lists_they_may_open(
    moderator_client, member, other_member, ward_staff
):
    _fill_start_page(member, other_member, ward_staff)
    response = moderator_client.get(reverse("admin:index"))
    urls = [figure.url for figure in response.context["figures"]]
    assert urls == [
        reverse("admin:members_organisation_changelist") + "?confirmation=unconfirmed",
        _url("report_changelist") + "?status__exact=open",
        _url("thread_changelist") + "?unanswered=yes",
    ]


def test_the_start_page_makes_one_query_per_figure(
    uncached,
    office_client,
    member,
    other_member,
    ward_staff,
    django_assert_max_num_queries,
):
    _fill_start_page(member, other_member, ward_staff)
    office_client.get(reverse("admin:index"))
    with CaptureQueriesContext(connection) as first:
        office_client.get(reverse("admin:index"))
    counts = [q["sql"] for q in first.captured_queries if "COUNT(" in q["sql"]]
    assert len(counts) == 6
    _fill_start_page(member, other_member, ward_staff)
    with django_assert_max_num_queries(len(first.captured_queries)):
        office_client.get(reverse("admin:index"))


# ----- counting large lists -----


def test_an_unfiltered_large_list_is_not_counted_row_by_row(
    office_client, member, monkeypatch
):
    factories.bulk_threads(author=member, count=30)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE boards_post")
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_from", 10)
    with CaptureQueriesContext(connection) as captured:
        response = office_client.get(_url("post_changelist"))
    # The one query that sizes the table counts it only below the threshold.
    counts = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT COUNT(")
    ]
    assert [sql for sql in counts if 'FROM "boards_post"' in sql] == []
    assert response.context["cl"].paginator.estimated
    assert "約" in response.content.decode()


def test_a_filtered_large_list_uses_the_planners_estimate(
    office_client, member, monkeypatch
):
    factories.bulk_threads(author=member, count=30)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE boards_post")
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_from", 10)
    with CaptureQueriesContext(connection) as captured:
        office_client.get(_url("post_changelist"), {"is_hidden__exact": "0"})
    sql = [q["sql"] for q in captured.captured_queries]
    assert any(query.startswith("EXPLAIN") for query in sql)
    assert not any("COUNT(" in query and "boards_post" in query for query in sql)


def test_a_small_list_is_counted_exactly(office_client, thread):
    response = office_client.get(_url("thread_changelist"))
    assert response.context["cl"].result_count == 1
    assert not response.context["cl"].paginator.estimated


# ----- the yearly list of realised collaborations -----


def test_the_export_lists_board_and_office_collaborations_by_date(
    office_client, member, ward_staff
):
    ward = ward_staff.organisation
    proposal = collaboration.thread_start(
        category=Category.objects.get(slug="proposals"),
        author=member,
        title="物産展の共同開催",
        body="本文",
        details={"field": "tourism"},
    )
    Proposal.objects.filter(thread=proposal).update(
        status="realised", realised_on=datetime.date(2025, 6, 1)
    )
    response = office_client.post(
        _url("realisedcollaboration_add"),
        {
            "title": "職員の相互派遣",
            "realised_on": "2025-05-10",
            "field": "disaster",
            "wards": [ward.pk],
            "partners": [member.organisation.pk],
            "note": "",
        },
    )
    assert response.status_code == 302
    entered = RealisedCollaboration.objects.get()
    assert entered.created_by.email == "office@example.jp"
    rows = exports.realised_rows(2025)
    assert [(row[1], row[3], row[5]) for row in rows] == [
        (ward.full_name, "職員の相互派遣", datetime.date(2025, 5, 10)),
        ("", "物産展の共同開催", datetime.date(2025, 6, 1)),
    ]
    sheet = load_workbook(
        io.BytesIO(office_client.get(reverse("boards:realised_export")).content)
    ).worksheets[0]
    titles = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert titles == ["職員の相互派遣", "物産展の共同開催"]


def test_the_office_corrects_the_day_a_proposal_was_realised(office_client, member):
    proposal = collaboration.thread_start(
        category=Category.objects.get(slug="proposals"),
        author=member,
        title="物産展",
        body="本文",
        details={"field": "tourism"},
    )
    Proposal.objects.filter(thread=proposal).update(
        status="realised", realised_on=datetime.date(2025, 6, 1)
    )
    office_client.post(
        _url("proposal_change", proposal.pk), {"realised_on": "2025-03-31"}
    )
    assert Proposal.objects.get().realised_on == datetime.date(2025, 3, 31)
    assert exports.realised_rows(2024)[0][3] == "物産展"


def test_ward_staff_do_not_keep_the_collaboration_list(moderator_client):
    assert (
        moderator_client.get(_url("realisedcollaboration_changelist")).status_code
        == 403
    )
    assert moderator_client.get(_url("realisedcollaboration_add")).status_code == 403


def test_a_filter_nothing_can_match_is_counted_as_nothing(office_client, thread):
    response = office_client.get(
        _url("thread_changelist"), {"category__id__exact": str(10**30)}
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


def test_a_moderator_who_reports_is_not_mailed_their_own_report(
    django_capture_on_commit_callbacks, replies, ward_staff, office_staff
):
    with django_capture_on_commit_callbacks(execute=True):
        moderation.report_create(post=replies[0], reporter=ward_staff, reason="広告")
    assert [message.to for message in mail.outbox] == [[office_staff.email]]


def test_the_collaboration_form_names_its_choices_in_few_queries(
    uncached, office_client, django_assert_max_num_queries
):
    for number in range(5):
        factories.make_organisation(name=f"連携市{number}")
    office_client.get(_url("realisedcollaboration_add"))
    with CaptureQueriesContext(connection) as few:
        office_client.get(_url("realisedcollaboration_add"))
    for number in range(5, 15):
        factories.make_organisation(name=f"連携市{number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = office_client.get(_url("realisedcollaboration_add"))
    assert "連携市14" in response.content.decode()
