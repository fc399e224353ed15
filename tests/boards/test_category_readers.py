"""Categories read by the 23 wards only, or by a group of organisations.

A member outside the readers meets the category nowhere: not on the board
home, in search, the calendar and its feed, notifications, mail, exports
or counts; its pages are 404. Ward staff and the office read it.
"""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from boards import ics, permissions
from boards.attachments import prepare_upload
from boards.models import (
    Category,
    Notification,
    NotificationKind,
    Thread,
    Watch,
)
from boards.services import moderation, posts
from members import permissions as roles
from members.models import MailMode
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False


@pytest.fixture
def wards_category():
    return factories.make_category()


@pytest.fixture
def ward_thread(wards_category, ward_staff):
    thread = factories.make_thread(
        author=ward_staff,
        category=wards_category.slug,
        title="担当区の割り振りについて",
        body="区間調整の本文です。",
    )
    factories.make_reply(thread=thread, author=ward_staff, body="区間の返信です。")
    return thread


@pytest.fixture
def ward_member(db):
    """Staff of a special ward without the ward staff role."""
    return factories.make_user(
        email="ward-member@example.jp",
        organisation=factories.make_ward(name="中央区"),
    )


@pytest.fixture
def png_upload():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return prepare_upload(
        SimpleUploadedFile("写真.png", buffer.getvalue(), content_type="image/png")
    )


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


# ----- the rule -----


@pytest.mark.parametrize(
    ("who", "readers", "may"),
    [
        ("member", "members", True),
        ("member", "wards", False),
        ("member", "group", False),
        ("ward_member", "wards", True),
        ("ward_member", "group", False),
        ("ward_staff", "wards", True),
        ("ward_staff", "group", True),
        ("office_staff", "wards", True),
        ("office_staff", "group", True),
        ("other_member", "group", True),
    ],
)
def test_who_reads_a_category(request, who, readers, may, other_member):
    user = request.getfixturevalue(who)
    group = factories.make_organisation_group(organisations=[other_member.organisation])
    category = factories.make_category(
        slug=f"c-{readers}",
        readers=readers,
        reader_group=group if readers == "group" else None,
    )
    assert permissions.can_read_category(user, category) is may
    readable = permissions.readable_categories(user, Category.objects.all())
    assert readable.filter(pk=category.pk).exists() is may
    readers_of = permissions.category_readers(category)
    assert readers_of.filter(pk=user.pk).exists() is may


def test_a_deactivated_ward_staff_member_reads_nothing(ward_staff, wards_category):
    ward_staff.is_active = False
    assert not permissions.can_read_category(ward_staff, wards_category)


def test_a_group_category_needs_its_group():
    category = Category(slug="g", name="グループ", readers="group")
    with pytest.raises(ValidationError) as error:
        category.full_clean()
    assert "reader_group" in error.value.message_dict


def test_a_group_is_chosen_only_for_a_group_category():
    group = factories.make_organisation_group()
    category = Category(slug="g", name="グループ", readers="wards", reader_group=group)
    with pytest.raises(ValidationError) as error:
        category.full_clean()
    assert "reader_group" in error.value.message_dict


# ----- pages -----


def test_a_member_gets_404_on_every_page_of_a_ward_only_category(
    member_client, ward_thread, ward_staff
):
    reply = ward_thread.posts.get(position=1)
    posts.post_edit(post=reply, actor=ward_staff, body="直しました。")
    urls = [
        reverse("boards:category", args=["ward-coordination"]),
        reverse("boards:thread_create", args=["ward-coordination"]),
        reverse("boards:thread", args=[ward_thread.pk]),
        reverse("boards:post", args=[reply.pk]),
        reverse("boards:post_history", args=[reply.pk]),
    ]
    for url in urls:
        assert member_client.get(url).status_code == 404, url


def test_a_member_gets_404_for_a_file_of_a_ward_only_category(
    member_client, wards_category, ward_staff, png_upload
):
    thread = factories.make_thread(author=ward_staff, category=wards_category.slug)
    reply = posts.post_reply(
        thread=thread, author=ward_staff, body="添付", uploads=[png_upload]
    )
    attachment = reply.attachments.get()
    for url in [
        reverse(
            "boards:attachment_download",
            args=[attachment.pk, attachment.original_name],
        ),
        reverse("boards:attachment_thumbnail", args=[attachment.pk]),
    ]:
        assert member_client.get(url).status_code == 404
        assert signed_in(ward_staff).get(url).status_code == 200


@pytest.mark.parametrize("who", ["ward_staff", "ward_member", "office_staff"])
def test_ward_staff_and_the_office_read_a_ward_only_category(request, who, ward_thread):
    client = signed_in(request.getfixturevalue(who))
    page = client.get(reverse("boards:category", args=["ward-coordination"]))
    assert page.status_code == 200
    assert "担当区の割り振りについて" in page.content.decode()
    thread_page = client.get(
        reverse("boards:thread", args=[ward_thread.pk]) + "?page=1"
    )
    assert "区間の返信です。" in thread_page.content.decode()


def test_the_category_and_thread_pages_say_who_reads_them(ward_staff, ward_thread):
    client = signed_in(ward_staff)
    for url in [
        reverse("boards:category", args=["ward-coordination"]),
        reverse("boards:thread", args=[ward_thread.pk]) + "?page=1",
    ]:
        assert "23区のみ閲覧可" in client.get(url).content.decode()


def test_a_group_category_names_its_group(office_staff, other_member):
    group = factories.make_organisation_group(
        name="北陸の会員", organisations=[other_member.organisation]
    )
    factories.make_category(slug="hokuriku", readers="group", reader_group=group)
    page = signed_in(office_staff).get(reverse("boards:category", args=["hokuriku"]))
    assert "北陸の会員のみ閲覧可" in page.content.decode()


def test_the_board_home_leaves_out_a_ward_only_category_for_a_member(
    member_client, ward_thread
):
    html = member_client.get(reverse("boards:home")).content.decode()
    assert "区間調整" not in html
    assert "担当区の割り振りについて" not in html


def test_the_board_home_shows_a_ward_only_category_to_ward_staff(
    ward_staff, ward_thread
):
    html = signed_in(ward_staff).get(reverse("boards:home")).content.decode()
    assert "区間調整" in html
    assert "23区のみ閲覧可" in html


def test_the_member_home_leaves_out_threads_of_a_ward_only_category(
    member_client, ward_thread
):
    html = member_client.get(reverse("home")).content.decode()
    assert "担当区の割り振りについて" not in html


def test_search_finds_nothing_of_a_ward_only_category_for_a_member(
    member_client, ward_thread, ward_staff
):
    url = reverse("boards:search") + "?q=区間"
    html = member_client.get(url).content.decode()
    assert "担当区の割り振りについて" not in html
    assert "区間調整" not in html  # nor in the category filter
    assert "担当区の割り振りについて" in signed_in(ward_staff).get(url).content.decode()


def test_search_refuses_a_ward_only_category_as_a_filter(member_client, ward_thread):
    category = Category.objects.get(slug="ward-coordination")
    response = member_client.get(reverse("boards:search"), {"category": category.pk})
    assert "category" in response.context["form"].errors


def test_watching_a_ward_only_category_or_its_thread_is_refused(
    member_client, member, ward_thread
):
    for url in [
        reverse("boards:category_watch", args=["ward-coordination"]),
        reverse("boards:thread_watch", args=[ward_thread.pk]),
    ]:
        assert member_client.post(url, {"watch": "on"}).status_code == 404
    assert not Watch.objects.filter(user=member).exists()


def test_a_member_may_not_start_a_thread_in_a_ward_only_category(
    member_client, wards_category
):
    url = reverse("boards:thread_create", args=["ward-coordination"])
    response = member_client.post(url, {"title": "題名", "body": "本文"})
    assert response.status_code == 404
    assert not Thread.objects.filter(category=wards_category).exists()


def test_ward_staff_start_a_thread_in_a_ward_only_category(ward_staff, wards_category):
    url = reverse("boards:thread_create", args=["ward-coordination"])
    response = signed_in(ward_staff).post(url, {"title": "題名", "body": "本文"})
    assert response.status_code == 302
    assert Thread.objects.filter(category=wards_category).exists()


def test_a_group_category_is_read_by_the_groups_members_only(
    member, other_member, wards_category
):
    group = factories.make_organisation_group(organisations=[other_member.organisation])
    wards_category.readers, wards_category.reader_group = "group", group
    wards_category.save()
    url = reverse("boards:category", args=["ward-coordination"])
    assert signed_in(other_member).get(url).status_code == 200
    assert signed_in(member).get(url).status_code == 404


# ----- calendar and its feed -----


@pytest.fixture
def ward_event(ward_staff):
    event = factories.make_event(author=ward_staff, title="区間の調整会議")
    Category.objects.filter(slug="participation").update(readers="wards")
    return event


def calendar_html(client, event):
    month = event.starts_on.strftime("%Y-%m")
    return client.get(reverse("calendar:list"), {"month": month}).content.decode()


def test_the_calendar_leaves_out_events_of_a_ward_only_category(
    member_client, ward_staff, ward_event
):
    assert "区間の調整会議" not in calendar_html(member_client, ward_event)
    assert "区間の調整会議" in calendar_html(signed_in(ward_staff), ward_event)


def test_the_feed_leaves_out_events_of_a_ward_only_category(
    client, member, ward_staff, ward_event
):
    def feed(user):
        url = reverse("calendar:feed", args=[ics.feed_token(user)])
        return client.get(url).content.decode()

    assert "区間の調整会議" not in feed(member)
    assert "区間の調整会議" in feed(ward_staff)


def test_the_organiser_loses_the_attendee_export_with_the_category(
    member, member_client
):
    event = factories.make_event(author=member, title="物産フェア")
    factories.open_registration(event=event)
    url = reverse("boards:attendee_export", args=[event.thread_id, "csv"])
    assert member_client.get(url).status_code == 200
    Category.objects.filter(slug="participation").update(readers="wards")
    assert member_client.get(url).status_code == 404


def test_the_office_export_lists_a_proposal_of_a_ward_only_category(
    office_staff, ward_staff
):
    from boards import exports
    from boards.services import collaboration

    thread = collaboration.thread_start(
        category=Category.objects.get(slug="proposals"),
        author=ward_staff,
        title="区間の連携事業",
        body="本文",
        details={"field": "tourism"},
    )
    Category.objects.filter(slug="proposals").update(readers="wards")
    for status in ("coordinating", "realised"):
        collaboration.proposal_set_status(
            proposal=thread.proposal, actor=office_staff, status=status
        )
    assert "区間の連携事業" in [row[3] for row in exports.realised_rows()]
    assert (
        signed_in(office_staff).get(reverse("boards:realised_export")).status_code
        == 200
    )


# ----- notifications and mail -----


def test_a_member_hears_nothing_of_a_thread_in_a_ward_only_category(
    member, ward_staff, mailoutbox, django_capture_on_commit_callbacks
):
    thread = factories.make_thread(author=ward_staff, category="other")
    Watch.objects.create(user=member, thread=thread)
    Watch.objects.create(user=member, category=thread.category)
    member.mail_mode = MailMode.EVERY_POST
    member.save()
    Category.objects.filter(pk=thread.category_id).update(readers="wards")
    other_ward = factories.make_user(role=roles.WARD_STAFF, email="w2@example.jp")
    Watch.objects.create(user=other_ward, thread=thread)
    with django_capture_on_commit_callbacks(execute=True):
        factories.make_reply(thread=thread, author=ward_staff, body="調整します。")
    assert not Notification.objects.filter(user=member).exists()
    assert Notification.objects.filter(user=other_ward).exists()
    assert all(member.email not in message.to for message in mailoutbox)


def test_pending_mail_of_a_category_closed_since_is_not_sent(
    member, ward_staff, mailoutbox
):
    from boards.mail import send_pending_mail

    thread = factories.make_thread(author=ward_staff, category="other")
    notification = Notification.objects.create(
        user=member,
        kind=NotificationKind.REPLY,
        thread=thread,
        post=thread.posts.get(),
        mail="immediate",
    )
    Category.objects.filter(pk=thread.category_id).update(readers="wards")
    send_pending_mail.call()
    assert mailoutbox == []
    notification.refresh_from_db()
    assert notification.mailed_at is None


def test_the_notification_list_and_count_leave_out_a_ward_only_category(
    member, member_client, ward_thread
):
    Notification.objects.create(
        user=member,
        kind=NotificationKind.REPLY,
        thread=ward_thread,
        post=ward_thread.posts.get(position=1),
        mail="never",
    )
    html = member_client.get(reverse("boards:notification_list")).content.decode()
    assert "担当区の割り振りについて" not in html
    from boards import selectors

    assert selectors.unread_count(member) == 0


# ----- moderation -----


def test_a_thread_may_not_move_where_its_author_cannot_read(
    member, office_staff, wards_category
):
    thread = factories.make_thread(author=member, category="other")
    with pytest.raises(ValidationError) as error:
        moderation.thread_move(
            thread=thread, category=wards_category, actor=office_staff
        )
    assert error.value.code == "author_cannot_read"
    thread.refresh_from_db()
    assert thread.category.slug == "other"
    wards_category.refresh_from_db()
    assert wards_category.thread_count == 0


def test_a_ward_staff_thread_moves_into_a_ward_only_category(
    ward_staff, office_staff, wards_category
):
    thread = factories.make_thread(author=ward_staff, category="other")
    moderation.thread_move(thread=thread, category=wards_category, actor=office_staff)
    thread.refresh_from_db()
    assert thread.category == wards_category


def test_the_move_page_says_why_a_move_is_refused(member, ward_staff, wards_category):
    thread = factories.make_thread(author=member, category="other")
    response = signed_in(ward_staff).post(
        reverse("boards:thread_move", args=[thread.pk]),
        {"category": wards_category.pk, "reason": "区間の話題"},
    )
    assert response.status_code == 200
    assert "閲覧できない" in response.content.decode()
    thread.refresh_from_db()
    assert thread.category.slug == "other"


def test_admin_refuses_the_move_with_the_reason(member, office_staff, wards_category):
    thread = factories.make_thread(author=member, category="other")
    client = signed_in(office_staff)
    url = reverse("admin:boards_thread_move", args=[thread.pk])
    response = client.post(
        url, {"category": wards_category.pk, "reason": "区間の話題"}, follow=True
    )
    assert "閲覧できない" in response.content.decode()
    thread.refresh_from_db()
    assert thread.category.slug == "other"


def test_a_thread_may_not_merge_into_one_its_author_cannot_read(
    member, ward_staff, office_staff, ward_thread
):
    source = factories.make_thread(author=member, category="other")
    with pytest.raises(ValidationError):
        moderation.thread_merge(source=source, target=ward_thread, actor=office_staff)
    assert source.posts.count() == 1


# ----- pages seen before -----


def test_a_page_seen_before_goes_when_its_category_is_closed(
    member_client, office_staff, ward_staff
):
    thread = factories.make_thread(
        author=ward_staff, category="other", title="まだ公開"
    )
    url = reverse("boards:thread", args=[thread.pk]) + "?page=1"
    for _ in range(3):
        assert member_client.get(url).status_code == 200
    category = Category.objects.get(slug="other")
    category.readers = "wards"
    category.save()
    assert member_client.get(url).status_code == 404
    home = member_client.get(reverse("boards:home")).content.decode()
    assert "まだ公開" not in home


def test_a_page_seen_before_goes_when_the_organisation_leaves_the_group(
    other_member, wards_category
):
    group = factories.make_organisation_group(organisations=[other_member.organisation])
    wards_category.readers, wards_category.reader_group = "group", group
    wards_category.save()
    client = signed_in(other_member)
    url = reverse("boards:category", args=["ward-coordination"])
    for _ in range(3):
        assert client.get(url).status_code == 200
    group.organisations.remove(other_member.organisation)
    assert client.get(url).status_code == 404


# ----- counts and queries -----


def test_the_board_home_counts_stay_flat_with_restricted_categories(
    uncached, member_client, ward_staff, other_member
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert member_client.get(url).status_code == 200
        return len(captured)

    group = factories.make_organisation_group(organisations=[other_member.organisation])

    def add_restricted(number):
        category = factories.make_category(slug=f"wards-{number}")
        factories.make_thread(author=ward_staff, category=category.slug)
        grouped = factories.make_category(
            slug=f"group-{number}", readers="group", reader_group=group
        )
        factories.make_thread(author=ward_staff, category=grouped.slug)
        factories.make_thread(author=ward_staff, category="other")

    urls = [reverse("boards:home"), reverse("boards:category", args=["other"])]
    # The first visit of the board home records the visit; what comes
    # after it is new, so both counts below list new threads.
    [queries(url) for url in urls]
    add_restricted(0)
    before = [queries(url) for url in urls]
    for number in range(1, 4):
        add_restricted(number)
    assert [queries(url) for url in urls] == before


def test_ward_staff_see_restricted_categories_on_the_home_in_flat_queries(
    uncached, ward_staff, other_member
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(ward_staff)
    client.get(reverse("boards:home"))
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("boards:home"))
    group = factories.make_organisation_group(organisations=[other_member.organisation])
    for number in range(3):
        factories.make_category(
            slug=f"group-{number}", readers="group", reader_group=group
        )
    with CaptureQueriesContext(connection) as second:
        html = client.get(reverse("boards:home")).content.decode()
    assert len(second) == len(first)
    assert html.count("北陸の会員のみ閲覧可") == 3


# ----- admin -----


def test_the_office_adds_a_group_in_admin(office_staff, other_member):
    client = signed_in(office_staff)
    response = client.post(
        reverse("admin:boards_organisationgroup_add"),
        {"name": "北陸の会員", "organisations": [other_member.organisation_id]},
    )
    assert response.status_code == 302
    from boards.models import OrganisationGroup

    group = OrganisationGroup.objects.get(name="北陸の会員")
    assert list(group.organisations.all()) == [other_member.organisation]


def test_ward_staff_may_not_edit_groups(ward_staff):
    response = signed_in(ward_staff).get(reverse("admin:boards_organisationgroup_add"))
    assert response.status_code == 403


def test_the_category_admin_refuses_a_group_scope_without_a_group(office_staff):
    category = Category.objects.get(slug="other")
    client = signed_in(office_staff)
    url = reverse("admin:boards_category_change", args=[category.pk])
    page = client.get(url)
    assert 'name="readers"' in page.content.decode()
    data = {
        "name": category.name,
        "slug": category.slug,
        "description": category.description,
        "order": category.order,
        "starters": category.starters,
        "thread_type": category.thread_type,
        "readers": "group",
        "reader_group": "",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    category.refresh_from_db()
    assert category.readers == "members"


def test_no_event_reminder_reaches_an_organisation_that_may_not_read_it(
    member, other_member, ward_staff, mailoutbox
):
    import datetime

    from boards.services.registrations import registration_reminders_deliver

    event = factories.make_event(author=ward_staff, title="区間の調整会議")
    factories.open_registration(event=event, capacity=5)
    factories.sign_up(event=event, actor=other_member, name="金沢 花子")
    factories.sign_up(event=event, actor=ward_staff, name="千代田 一郎")
    mailoutbox.clear()
    Category.objects.filter(slug="participation").update(readers="wards")
    registration_reminders_deliver(today=event.starts_on - datetime.timedelta(days=1))
    recipients = {address for message in mailoutbox for address in message.to}
    assert ward_staff.email in recipients
    assert other_member.email not in recipients
