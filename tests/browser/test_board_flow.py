import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.actions import sign_in, sign_out

pytestmark = pytest.mark.django_db(transaction=True)


def photo(tmp_path):
    path = tmp_path / "物産展の会場.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 400), (0, 80, 140)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def test_start_with_attachment_reply_with_quote_edit_and_find_it(
    page, live_server, member, other_member, tmp_path
):
    url = live_server.url
    sign_in(page, url, member)

    # Start a thread with a photo.
    page.goto(url + "/boards/")
    page.get_by_role("link", name="その他", exact=True).click()
    page.get_by_role("link", name="スレッドを作成する").click()
    page.get_by_role("textbox", name="件名").fill("能登半島地震の復興物産展のご提案")
    page.get_by_role("textbox", name="本文").fill(
        "23区で**物産展**を開きたいと考えています。"
    )
    page.get_by_label("添付ファイル").set_input_files(str(photo(tmp_path)))
    page.get_by_role("button", name="スレッドを投稿する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "能登半島地震の復興物産展のご提案"
    )
    expect(page.get_by_role("img", name="物産展の会場.jpg")).to_be_visible()
    sign_out(page)

    # Someone else quotes it in a reply.
    sign_in(page, url, other_member)
    page.goto(url + "/boards/")
    page.get_by_role("link", name="能登半島地震の復興物産展のご提案").first.click()
    page.get_by_role("link", name="引用して返信").first.click()
    body = page.get_by_role("textbox", name="返信")
    expect(body).to_have_value(re.compile("> 23区で"))
    body.press("End")
    body.type("\n会場の提供を検討します。")
    page.get_by_role("button", name="返信を投稿する").click()
    reply = page.locator("#post-1")
    expect(reply.locator("blockquote")).to_contain_text("23区で")
    expect(reply).to_contain_text("会場の提供を検討します。")

    # ... and edits it.
    reply.get_by_role("link", name="編集").click()
    page.get_by_role("textbox", name="本文").fill("会場の提供を前向きに検討します。")
    page.get_by_role("button", name="変更を保存する").click()
    expect(page.locator("#post-1")).to_contain_text("前向きに")
    expect(page.locator("#post-1").get_by_role("link", name="編集済み")).to_be_visible()

    # Search finds the thread by a two-character word inside a compound.
    page.goto(url + "/boards/")
    page.get_by_role("searchbox", name="掲示板の検索").fill("能登")
    page.get_by_role("button", name="検索").click()
    result = page.get_by_role("link", name=re.compile("能登半島地震の復興物産展"))
    expect(result.first).to_be_visible()
    expect(page.locator("mark").first).to_have_text("能登")


def test_a_draft_survives_closing_the_tab(page, live_server, member):
    sign_in(page, live_server.url, member)
    url = live_server.url + "/boards/c/other/new/"
    page.goto(url)
    page.get_by_role("textbox", name="本文").fill("書きかけの提案です。")
    page.wait_for_timeout(800)  # the draft is saved half a second after typing
    page.close()
    again = page.context.new_page()
    again.goto(url)
    body = again.get_by_role("textbox", name="本文")
    expect(body).to_have_value("書きかけの提案です。")
    restored = "送信していない下書きを復元しました。"
    expect(again.get_by_role("status")).to_have_text(restored)


def test_a_draft_is_kept_until_the_post_is_accepted(page, live_server, member):
    sign_in(page, live_server.url, member)
    url = live_server.url + "/boards/c/other/new/"
    page.goto(url)
    # No title: the server refuses the form, and the draft must stay.
    page.get_by_role("textbox", name="本文").fill("送信に失敗する下書き")
    page.wait_for_timeout(800)
    page.get_by_role("button", name="スレッドを投稿する").click()
    expect(page.get_by_text("このフィールドは必須です。").first).to_be_visible()
    page.goto(url)
    expect(page.get_by_role("textbox", name="本文")).to_have_value(
        "送信に失敗する下書き"
    )
    # Once the thread is posted, the draft is gone.
    page.get_by_role("textbox", name="件名").fill("下書きのテスト")
    page.get_by_role("button", name="スレッドを投稿する").click()
    expect(page.get_by_text("スレッドを投稿しました。")).to_be_visible()
    page.goto(url)
    expect(page.get_by_role("textbox", name="本文")).to_have_value("")


def drafts_in(page):
    return page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('renkei-draft:'))"
    )


def test_signing_out_removes_the_drafts_from_this_browser(page, live_server, member):
    sign_in(page, live_server.url, member)
    page.goto(live_server.url + "/boards/c/other/new/")
    page.get_by_role("textbox", name="本文").fill("共用のパソコンで書きかけの提案")
    page.wait_for_timeout(800)  # the draft is saved half a second after typing
    assert len(drafts_in(page)) == 1
    sign_out(page)
    expect(page.get_by_role("link", name="ログイン", exact=True)).to_be_visible()
    assert drafts_in(page) == []
