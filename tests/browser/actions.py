"""Steps the browser flows share: signing in and out, sending a page's form."""

from tests.factories import PASSWORD


def sign_in(page, url, user):
    page.goto(url + "/accounts/login/")
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def sign_out(page):
    page.get_by_role("button", name="ログアウト").click()


def submit(page):
    """Send the main form of the page (the last one, as on the tracker's pages)."""
    page.locator("main form[method=post] button[type=submit]").last.click()
