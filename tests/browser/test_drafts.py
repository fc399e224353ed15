"""Drafts saved on the server by the page itself, and resumed elsewhere."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import make_thread

from .test_board_flow import drafts_in, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def quick_autosave(monkeypatch):
    monkeypatch.setattr("boards.views.drafts.AUTOSAVE_SECONDS", 1)


def test_an_autosaved_reply_is_there_on_another_pc_until_it_is_posted(
    page, browser, live_server, member, other_member, quick_autosave
):
    url = live_server.url
    thread = make_thread(author=other_member, title="物産展の会場について")
    thread_url = f"{url}/boards/t/{thread.pk}/"
    sign_in(page, url, member)
    page.goto(thread_url)
    page.get_by_role("textbox", name="返信").fill("会場の候補を三つ挙げます。")
    expect(page.locator(".draft-status")).to_have_text(
        re.compile(r"^下書きを保存しました \d\d:\d\d$")
    )

    # Another computer: a browser with nothing stored, signed in again.
    elsewhere = browser.new_context(locale="ja-JP")
    other_pc = elsewhere.new_page()
    sign_in(other_pc, url, member)
    other_pc.goto(url + "/boards/drafts/")
    other_pc.get_by_role("link", name="会場の候補を三つ挙げます。").click()
    reply = other_pc.get_by_role("textbox", name="返信")
    expect(reply).to_have_value("会場の候補を三つ挙げます。")
    reply.fill("会場の候補を三つ挙げます。詳細は追って。")
    other_pc.get_by_role("button", name="返信を投稿する").click()
    expect(other_pc.locator("#post-1")).to_contain_text("詳細は追って。")

    other_pc.goto(url + "/boards/drafts/")
    expect(other_pc.get_by_text("下書きはありません。")).to_be_visible()
    elsewhere.close()


def test_the_save_button_keeps_a_new_thread_with_its_file(
    page, live_server, member, tmp_path
):
    from .test_board_flow import photo

    sign_in(page, live_server.url, member)
    page.goto(live_server.url + "/boards/c/other/new/")
    page.get_by_role("textbox", name="本文").fill("件名はまだ決めていません。")
    page.get_by_label("添付ファイル", exact=True).set_input_files(str(photo(tmp_path)))
    page.get_by_role("button", name="下書き保存").click()
    expect(page.get_by_role("textbox", name="本文")).to_have_value(
        "件名はまだ決めていません。"
    )
    expect(page.get_by_label("物産展の会場.jpg", exact=False)).not_to_be_checked()
    assert "draft=" in page.url

    page.goto(live_server.url + "/")
    expect(page.get_by_role("link", name="件名はまだ決めていません。")).to_be_visible()


def test_when_the_server_cannot_save_the_draft_stays_in_this_browser(
    page, live_server, member, quick_autosave
):
    sign_in(page, live_server.url, member)
    page.goto(live_server.url + "/boards/c/other/new/")
    page.route(
        "**/boards/c/other/new/**",
        lambda route: (
            route.abort() if route.request.method == "POST" else route.continue_()
        ),
    )
    page.get_by_role("textbox", name="本文").fill("電波の悪い出張先で書いています。")
    expect(page.locator(".draft-status")).to_have_text(
        "下書きをサーバーに保存できませんでした。"
        "いまはこのブラウザに一時保存しています。"
    )
    assert len(drafts_in(page)) == 1
