import datetime
import re
from pathlib import Path

import icalendar
import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from boards.models import Attendee
from tests.browser.actions import sign_in
from tests.factories import (
    make_event,
    make_inquiry,
    make_user,
    open_registration,
    sign_up,
)

pytestmark = pytest.mark.django_db(transaction=True)


def register(page, name, department):
    section = page.locator("#registration")
    section.get_by_role("textbox", name="氏名").fill(name)
    section.get_by_role("textbox", name="所属（任意）").fill(department)
    section.get_by_role("radio", name="会場").check()
    section.get_by_role("button", name="申し込む").click()


def test_a_member_signs_three_up_one_cancels_and_the_waiting_list_moves_up(
    page, live_server, member
):
    url = live_server.url
    organiser = make_user(email="organiser@example.jp", display_name="主催 一郎")
    today = timezone.localdate()
    event = make_event(
        author=organiser,
        title="全国連携フェア",
        starts_on=today + datetime.timedelta(days=30),
        application_deadline=today + datetime.timedelta(days=20),
    )
    open_registration(event=event, capacity=2)
    inquiry = make_inquiry(
        sender=organiser,
        organisations=[member.organisation],
        title="参加意向の照会",
        deadline_on=today + datetime.timedelta(days=10),
    )

    # A member signs three colleagues up; the third waits.
    sign_in(page, url, member)
    page.goto(f"{url}/boards/t/{event.thread_id}/")
    register(page, "七尾 太郎", "観光交流課")
    expect(page.get_by_text("七尾 太郎さんの参加を申し込みました。")).to_be_visible()
    register(page, "能登 花子", "企画課")
    register(page, "和倉 次郎", "観光交流課")
    expect(page.get_by_text("キャンセル待ちになりました")).to_be_visible()
    rows = page.locator("#registration tbody tr")
    expect(rows).to_have_count(3)
    expect(page.get_by_role("row", name=re.compile("和倉 次郎"))).to_contain_text(
        "キャンセル待ち"
    )

    # One cancels: the first on the waiting list gets the seat, and the
    # organisation's staff are told by mail.
    mail.outbox.clear()
    page.get_by_role("button", name="七尾 太郎さんをキャンセル").click()
    cancelled = page.get_by_text("七尾 太郎さんの申込をキャンセルしました。")
    expect(cancelled).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("和倉 次郎"))).to_contain_text(
        "参加確定"
    )
    expect(rows).to_have_count(2)
    assert [a.status for a in Attendee.objects.order_by("pk")] == [
        "cancelled",
        "confirmed",
        "confirmed",
    ]
    assert any(
        "参加が確定しました" in m.subject and member.email in m.to for m in mail.outbox
    )

    # The calendar shows the event, and its feed parses and shows it, its
    # sign-up deadline and the deadline of the 照会 the organisation must answer.
    page.get_by_role("link", name="カレンダー").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("カレンダー")
    feed_url = page.get_by_label("カレンダー配信URL（ICS）").input_value()
    path = feed_url.split("://", 1)[1].split("/", 1)[1]
    response = page.request.get(f"{url}/{path}")
    calendar = icalendar.Calendar.from_ical(response.body())
    assert {
        (str(e["SUMMARY"]), e.decoded("DTSTART")) for e in calendar.walk("VEVENT")
    } == {
        ("全国連携フェア", event.starts_on),
        ("申込締切：全国連携フェア", event.application_deadline),
        ("回答期限：参加意向の照会", inquiry.deadline_on),
    }


def test_the_organiser_sees_every_attendee_and_cancels_one(page, live_server, member):
    url = live_server.url
    organiser = make_user(email="organiser@example.jp")
    event = make_event(author=organiser, title="全国連携フェア")
    open_registration(event=event, capacity=1)
    sign_up(event=event, actor=member, name="七尾 太郎")
    sign_up(event=event, actor=member, name="能登 花子")

    sign_in(page, url, organiser)
    page.goto(f"{url}/boards/t/{event.thread_id}/")
    page.get_by_role("link", name="参加者一覧").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("参加者一覧")
    page.get_by_role("button", name="七尾 太郎さんをキャンセル").click()
    expect(page.get_by_role("row", name=re.compile("能登 花子"))).to_contain_text(
        "参加確定"
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="ダウンロード（CSV）").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "能登 花子" in text and "キャンセル済み" in text
