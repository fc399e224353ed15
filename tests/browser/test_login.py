import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def nanao(make_user, make_organisation):
    ishikawa = make_organisation(name="石川県", kind="prefecture")
    city = make_organisation(name="七尾市", kind="city", prefecture=ishikawa)
    return make_user(
        email="nanao@example.jp",
        organisation=city,
        department="観光交流課",
        display_name="山田 太郎",
    )


def test_member_logs_in_sees_the_japanese_home_and_logs_out(page, live_server, nanao):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="ログイン", exact=True).click()
    page.get_by_label("メールアドレス").fill("nanao@example.jp")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("会員ホーム")
    expect(
        page.get_by_text("ログイン中：石川県七尾市 観光交流課 山田 太郎")
    ).to_be_visible()

    page.get_by_role("button", name="ログアウト").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "23区から全国へ、全国から23区へ"
    )
    expect(page.get_by_role("link", name="ログイン", exact=True)).to_be_visible()


def test_failed_login_shows_a_japanese_error(page, live_server, nanao):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("メールアドレス").fill("nanao@example.jp")
    page.get_by_label("パスワード").fill("not-the-password")
    page.get_by_role("button", name="ログイン").click()

    expect(
        page.get_by_text("メールアドレスもしくはパスワードが正しくありません")
    ).to_be_visible()
    expect(page).to_have_url(live_server.url + "/accounts/login/")


def test_skip_link_moves_keyboard_focus_to_the_main_content(page, live_server):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="本文へ移動")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
