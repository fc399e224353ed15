import datetime
from urllib.parse import urlencode

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from boards import ics
from boards.calendar import inquiry_deadlines, month_grid
from boards.models import Category, EventDetails
from boards.services import moderation, posts
from boards.services.calendar import calendar_feed_reissue
from boards.services.inquiries import inquiry_extend
from members import permissions
from tests.factories import (
    make_event,
    make_inquiry,
    make_organisation,
    make_prefecture,
    make_thread,
    make_user,
    open_registration,
)

pytestmark = pytest.mark.django_db

MONTH = datetime.date(2030, 5, 1)


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    settings.SITE_URL = "https://renkei.example.jp"


@pytest.fixture
def ishikawa():
    return make_prefecture("石川県")


@pytest.fixture
def organiser(ishikawa):
    nanao = make_organisation(name="七尾市", prefecture=ishikawa)
    return make_user(organisation=nanao, email="nanao@example.jp")


@pytest.fixture
def fair(organiser):
    """A three-day event in May 2030, sign-up until 20 April."""
    return make_event(
        author=organiser,
        title="能登の物産フェア",
        starts_on=datetime.date(2030, 5, 10),
        ends_on=datetime.date(2030, 5, 12),
        application_deadline=datetime.date(2030, 4, 30),
    )


def month_url(**query):
    return reverse("calendar:month") + "?" + urlencode({"month": "2030-05", **query})


def list_url(**query):
    return reverse("calendar:list") + "?" + urlencode({"month": "2030-05", **query})


def titles_by_day(response):
    return {
        day.date: [item.title for item in day.items]
        for week in response.context["weeks"]
        for day in week
        if day.items
    }


# ----- the month view -----


def test_calendar_asks_anonymous_people_to_sign_in(client):
    response = client.get(reverse("calendar:month"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_calendar_is_refused_to_a_suspended_organisation(client):
    person = make_user(organisation=make_organisation(membership_status="suspended"))
    client.force_login(person)
    assert client.get(reverse("calendar:month")).status_code == 403


def test_a_multi_day_event_is_on_each_of_its_days(client, member, fair):
    client.force_login(member)
    response = client.get(month_url())
    days = titles_by_day(response)
    for day in (10, 11, 12):
        assert days[datetime.date(2030, 5, day)] == ["能登の物産フェア"]
    assert datetime.date(2030, 5, 13) not in days


def test_the_deadline_is_on_its_day(client, member, fair):
    client.force_login(member)
    response = client.get(month_url(month="2030-04"))
    assert titles_by_day(response)[datetime.date(2030, 4, 30)] == [
        "申込締切：能登の物産フェア"
    ]


def test_the_grid_starts_on_sunday_and_is_a_table(client, member):
    client.force_login(member)
    response = client.get(month_url())
    weeks = response.context["weeks"]
    assert all(week[0].date.weekday() == 6 for week in weeks)  # Sunday
    html = response.content.decode()
    assert "<caption>" in html
    assert html.count('<th scope="col"') == 7
    assert 'title="日曜日"' in html


def test_the_heading_gives_the_japanese_era(client, member):
    client.force_login(member)
    response = client.get(month_url())
    assert response.context["month_heading"] == "令和12年（2030年）5月"


def test_today_is_marked(client, member):
    client.force_login(member)
    response = client.get(reverse("calendar:month"))
    html = response.content.decode()
    assert html.count('aria-current="date"') == 1
    today = [day for week in response.context["weeks"] for day in week if day.is_today]
    assert [day.date for day in today] == [timezone.localdate()]


def test_previous_and_next_month_links(client, member):
    client.force_login(member)
    response = client.get(month_url(month="2030-01"))
    assert response.context["prev_month"] == "2029-12"
    assert response.context["next_month"] == "2030-02"
    assert "?month=2029-12" in response.content.decode()


def test_a_bad_month_shows_this_month(client, member):
    client.force_login(member)
    response = client.get(reverse("calendar:month") + "?month=2030-99")
    today = timezone.localdate()
    assert (response.context["year"], response.context["month"]) == (
        today.year,
        today.month,
    )


def test_hidden_events_never_show_to_members(client, member, fair, office_staff):
    moderation.thread_hide(thread=fair.thread, actor=office_staff)
    client.force_login(member)
    assert titles_by_day(client.get(month_url())) == {}
    assert client.get(list_url()).context["items"] == []


def test_moderators_see_hidden_events_marked(client, fair, office_staff):
    moderation.thread_hide(thread=fair.thread, actor=office_staff)
    client.force_login(office_staff)
    response = client.get(month_url())
    assert all(item.is_cancelled for item in response.context["items"])
    assert "非表示" in response.content.decode()


def test_category_filter(client, member, fair, organiser):
    other = make_thread(author=organiser, category="other", title="その他の催し")
    EventDetails.objects.create(
        thread=other,
        starts_on=datetime.date(2030, 5, 20),
        ends_on=datetime.date(2030, 5, 20),
        place="会議室",
    )
    client.force_login(member)
    everything = client.get(month_url())
    assert {i.title for i in everything.context["items"] if i.kind == "event"} == {
        "能登の物産フェア",
        "その他の催し",
    }
    only = client.get(month_url(category="participation"))
    assert [i.title for i in only.context["items"] if i.kind == "event"] == [
        "能登の物産フェア"
    ]


def test_prefecture_filter(client, member, fair):
    hokkaido = make_prefecture("北海道")
    sapporo = make_user(
        organisation=make_organisation(name="札幌市", prefecture=hokkaido)
    )
    make_event(
        author=sapporo,
        title="雪まつり交流会",
        starts_on=datetime.date(2030, 5, 3),
    )
    client.force_login(member)
    response = client.get(month_url(prefecture=hokkaido.pk))
    assert [i.title for i in response.context["items"]] == ["雪まつり交流会"]
    # The filters stay on the month links.
    assert f"prefecture={hokkaido.pk}" in response.content.decode()


def test_a_prefecture_filter_includes_the_prefectures_own_events(client, member):
    hokkaido = make_prefecture("北海道")
    prefecture_staff = make_user(organisation=hokkaido)
    make_event(
        author=prefecture_staff,
        title="北海道の催し",
        starts_on=datetime.date(2030, 5, 3),
    )
    client.force_login(member)
    response = client.get(month_url(prefecture=hokkaido.pk))
    assert [i.title for i in response.context["items"]] == ["北海道の催し"]


def test_month_view_query_count_is_flat(
    client, member, organiser, uncached, django_assert_max_num_queries
):
    client.force_login(member)
    make_event(author=organiser, starts_on=datetime.date(2030, 5, 2))
    with django_assert_max_num_queries(30) as few:
        client.get(month_url())
    for day in range(3, 20):
        event = make_event(
            author=organiser,
            starts_on=datetime.date(2030, 5, day),
            application_deadline=datetime.date(2030, 5, 1),
        )
        open_registration(event=event)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(month_url())
    assert len(response.context["items"]) == 18 + 17


# ----- the list view -----


def test_list_view_asks_anonymous_people_to_sign_in(client):
    assert client.get(reverse("calendar:list")).status_code == 302


def test_list_view_lists_the_months_items_by_date(client, member, fair, organiser):
    make_event(author=organiser, title="早い催し", starts_on=datetime.date(2030, 5, 2))
    client.force_login(member)
    response = client.get(list_url())
    assert [i.title for i in response.context["items"]] == [
        "早い催し",
        "能登の物産フェア",
    ]
    html = response.content.decode()
    assert "令和12年5月10日 〜 令和12年5月12日" in html


def test_list_view_shows_deadlines(client, member, fair):
    client.force_login(member)
    response = client.get(list_url(month="2030-04"))
    assert [i.kind for i in response.context["items"]] == ["event_deadline"]
    assert "締切" in response.content.decode()


def test_list_view_filters_by_category(client, member, fair):
    client.force_login(member)
    response = client.get(list_url(category="proposals"))
    assert response.context["items"] == []


def test_list_view_query_count_is_flat(
    client, member, organiser, uncached, django_assert_max_num_queries
):
    client.force_login(member)
    make_event(author=organiser, starts_on=datetime.date(2030, 5, 2))
    with django_assert_max_num_queries(30) as few:
        client.get(list_url())
    for day in range(3, 20):
        make_event(author=organiser, starts_on=datetime.date(2030, 5, day))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(list_url())


def test_the_calendar_page_links_the_feed_over_https_and_webcal(client, member):
    client.force_login(member)
    html = client.get(reverse("calendar:month")).content.decode()
    token = ics.feed_token(member)
    assert f"https://renkei.example.jp/calendar/feed/{token}.ics" in html
    assert f"webcal://renkei.example.jp/calendar/feed/{token}.ics" in html


@pytest.fixture
def asked(member):
    """An 照会 from the office to the member's organisation, due in ten days."""
    office = make_user(
        organisation=make_organisation(name="特別区協議会", kind="body"),
        role=permissions.OFFICE_STAFF,
    )
    return make_inquiry(
        sender=office,
        organisations=[member.organisation],
        deadline_on=timezone.localdate() + datetime.timedelta(days=10),
    )


def _this_month_and_next():
    today = timezone.localdate()
    return today, today + datetime.timedelta(days=40)


def test_an_inquiry_the_organisation_must_answer_shows_its_deadline(member, asked):
    start, end = _this_month_and_next()
    (item,) = inquiry_deadlines(member, start=start, end=end)
    assert (item.uid, item.starts_on) == (
        f"deadline-inquiry-{asked.pk}",
        asked.deadline_on,
    )
    assert item.url == reverse("inquiries:answer", args=[asked.pk])


def test_an_inquiry_to_another_organisation_shows_nothing(asked):
    start, end = _this_month_and_next()
    assert inquiry_deadlines(make_user(), start=start, end=end) == []


def test_a_category_filter_shows_no_inquiry_deadlines(member, asked):
    start, end = _this_month_and_next()
    category = Category.objects.get(slug="participation")
    assert inquiry_deadlines(member, start=start, end=end, category=category) == []


def test_the_feed_carries_the_inquiry_deadline(client, member, asked):
    events = events_of(parse(fetch(client, member)))
    deadline = events[f"deadline-inquiry-{asked.pk}@renkei.example.jp"]
    assert deadline.decoded("DTSTART") == asked.deadline_on


def test_an_extended_deadline_raises_the_items_sequence(member, asked):
    start, end = _this_month_and_next()
    (before,) = inquiry_deadlines(member, start=start, end=end)
    inquiry_extend(
        inquiry=asked,
        actor=asked.created_by,
        deadline_on=asked.deadline_on + datetime.timedelta(days=7),
    )
    (after,) = inquiry_deadlines(member, start=start, end=end)
    assert after.sequence > before.sequence


def test_month_grid_spans_an_event_into_the_next_months_first_week():
    from boards.calendar import CalendarItem

    item = CalendarItem(
        kind="event",
        uid="event-1",
        title="月をまたぐ催し",
        starts_on=datetime.date(2030, 5, 30),
        ends_on=datetime.date(2030, 6, 2),
        url="/",
        category="",
        organisation="",
    )
    weeks = month_grid(2030, 5, [item], today=datetime.date(2030, 5, 1))
    days = [day.date for week in weeks for day in week if day.items]
    assert days == [datetime.date(2030, 5, d) for d in (30, 31)] + [
        datetime.date(2030, 6, 1)
    ]


# ----- the personal ICS feed -----


@pytest.fixture
def soon(organiser):
    """A three-day event forty days from now: within the feed's reach."""
    today = timezone.localdate()
    return make_event(
        author=organiser,
        title="能登の物産フェア",
        starts_on=today + datetime.timedelta(days=40),
        ends_on=today + datetime.timedelta(days=42),
        application_deadline=today + datetime.timedelta(days=20),
    )


def fetch(client, user=None, token=None):
    token = token or ics.feed_token(user)
    return client.get(reverse("calendar:feed", args=[token]))


def parse(response):
    return icalendar.Calendar.from_ical(response.content)


def events_of(calendar):
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_feed_is_served_without_a_session(client, member, soon):
    response = fetch(client, member)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"].startswith("private")
    assert not response.cookies


def test_feed_parses_and_shows_the_event_and_the_deadline(client, member, soon):
    calendar = parse(fetch(client, member))
    assert str(calendar["X-WR-CALNAME"]) == "特別区全国連携：イベントと締切"
    assert str(calendar["NAME"]) == "特別区全国連携：イベントと締切"
    events = events_of(calendar)
    pk = soon.thread_id
    event = events[f"event-{pk}@renkei.example.jp"]
    assert str(event["SUMMARY"]) == "能登の物産フェア"
    today = timezone.localdate()
    assert event.decoded("DTSTART") == today + datetime.timedelta(days=40)
    # DTEND of a whole-day event is the day after its last day.
    assert event.decoded("DTEND") == today + datetime.timedelta(days=43)
    assert str(event["URL"]) == f"https://renkei.example.jp/boards/t/{pk}/"
    assert "DTSTAMP" in event
    deadline = events[f"deadline-event-{pk}@renkei.example.jp"]
    assert deadline.decoded("DTSTART") == today + datetime.timedelta(days=20)
    assert deadline.decoded("DTEND") == today + datetime.timedelta(days=21)


def test_feed_uids_and_stamps_are_stable_across_fetches(client, member, soon):
    first = events_of(parse(fetch(client, member)))
    second = events_of(parse(fetch(client, member)))
    assert set(first) == set(second) and first
    assert [e["DTSTAMP"].to_ical() for e in first.values()] == [
        e["DTSTAMP"].to_ical() for e in second.values()
    ]


def test_feed_sequence_rises_when_the_event_is_edited(client, member, soon):
    uid = f"event-{soon.thread_id}@renkei.example.jp"
    before = events_of(parse(fetch(client, member)))[uid]["SEQUENCE"]
    opening = soon.thread.posts.get(position=0)
    posts.post_edit(
        post=opening, actor=soon.thread.author, body="会場が変わりました。", title="新"
    )
    after = events_of(parse(fetch(client, member)))[uid]
    assert after["SEQUENCE"] == before + 1
    assert str(after["SUMMARY"]) == "新"


def test_feed_sequence_rises_when_the_deadline_moves(client, member, soon):
    uid = f"deadline-event-{soon.thread_id}@renkei.example.jp"
    before = events_of(parse(fetch(client, member)))[uid]["SEQUENCE"]
    moved = timezone.localdate() + datetime.timedelta(days=30)
    open_registration(event=soon, application_deadline=moved)
    after = events_of(parse(fetch(client, member)))[uid]
    assert after["SEQUENCE"] > before
    assert after.decoded("DTSTART") == moved


def test_a_reissued_address_replaces_the_old_one(client, member, soon):
    old = ics.feed_token(member)
    calendar_feed_reissue(user=member)
    assert fetch(client, token=old).status_code == 404
    assert fetch(client, member).status_code == 200


def test_an_inactive_persons_feed_is_404(client, member):
    token = ics.feed_token(member)
    member.is_active = False
    member.save(update_fields=["is_active"])
    assert fetch(client, token=token).status_code == 404


def test_a_suspended_organisations_feed_is_404(client, member):
    token = ics.feed_token(member)
    organisation = member.organisation
    organisation.membership_status = "suspended"
    organisation.save(update_fields=["membership_status"])
    assert fetch(client, token=token).status_code == 404


@pytest.mark.parametrize(
    "token", ["nonsense", "eyJ1IjoxLCJrIjoiIn0:forged", "eyJ1IjoxfQ"]
)
def test_a_forged_token_is_404(client, member, token):
    assert fetch(client, token=token).status_code == 404


def test_another_persons_hidden_items_are_not_in_the_feed(
    client, member, soon, office_staff
):
    moderation.thread_hide(thread=soon.thread, actor=office_staff)
    member_events = events_of(parse(fetch(client, member)))
    assert member_events == {}
    moderator_events = events_of(parse(fetch(client, office_staff)))
    uid = f"event-{soon.thread_id}@renkei.example.jp"
    assert str(moderator_events[uid]["STATUS"]) == "CANCELLED"


def test_feed_reissue_view(client, member):
    client.force_login(member)
    old = ics.feed_token(member)
    response = client.post(reverse("calendar:feed_reissue"), follow=True)
    assert ics.feed_token(member) != old
    assert "カレンダー配信URLを再発行しました" in response.content.decode()


def test_feed_reissue_is_post_only(client, member):
    client.force_login(member)
    assert client.get(reverse("calendar:feed_reissue")).status_code == 405


def test_feed_reissue_asks_anonymous_people_to_sign_in(client):
    response = client.post(reverse("calendar:feed_reissue"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_feed_is_get_only(client, member):
    response = client.post(reverse("calendar:feed", args=[ics.feed_token(member)]))
    assert response.status_code == 405


def test_ward_staff_feed_is_served(client, soon):
    ward = make_user(role=permissions.WARD_STAFF)
    calendar = parse(fetch(client, ward))
    assert f"event-{soon.thread_id}@renkei.example.jp" in events_of(calendar)


@pytest.mark.parametrize("name", ["calendar:month", "calendar:list"])
@pytest.mark.parametrize(
    "query",
    [
        "month=2100-12",
        "month=9999-99",
        "month=-1-01",
        "month=2030-05&month=2031-01",
        "category=%3Cscript%3E",
        "prefecture=99999999999999999999999",
        "prefecture=-1",
    ],
)
def test_odd_query_strings_still_show_a_calendar(client, member, name, query):
    client.force_login(member)
    response = client.get(reverse(name) + "?" + query)
    assert response.status_code == 200
