import base64

import pytest
from django.core import mail
from playwright.sync_api import expect

from boards import mail_addresses
from boards.models import Category, Thread
from boards.services import inbound
from tests.browser.test_board_flow import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_thread_sent_by_mail_is_checked_and_posted_by_its_sender(
    page, live_server, member, settings
):
    settings.MAIL_DOMAIN = "mail.renkei.test"
    settings.SITE_URL = live_server.url
    category = Category.objects.get(slug="other")
    category.accepts_mail = True
    category.save()
    to = mail_addresses.category_address(category)
    subject = base64.b64encode("防災訓練の見学について".encode()).decode()
    raw = (
        f"From: {member.email}\r\nTo: {to}\r\n"
        f"Subject: =?UTF-8?B?{subject}?=\r\nMessage-ID: <b1@example.jp>\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n\r\n"
        "11月の訓練を見学できる団体を募集します。\r\n"
    ).encode()
    inbound.mail_ingest(raw=raw, channel="smtp", recipients=[to])
    (message,) = mail.outbox
    link = next(line for line in message.body.splitlines() if "/mail/new/" in line)

    sign_in(page, live_server.url, member)
    page.goto(link.strip())
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "メールで送ったスレッドの投稿"
    )
    expect(page.get_by_role("heading", name="防災訓練の見学について")).to_be_visible()
    page.get_by_role("button", name="このスレッドを作成する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("防災訓練の見学について")
    assert Thread.objects.filter(category=category).count() == 1
