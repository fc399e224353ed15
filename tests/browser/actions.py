"""Steps the browser flows share: signing in and out, sending a page's form."""

from tests.factories import PASSWORD


def sign_in(page, url, user):
    """Sign in with the test accounts' password."""
    sign_in_with(page, url, user.email, PASSWORD)


def sign_in_with(page, url, email, password):
    """Sign in with a given address and password (an account made in the flow)."""
    page.goto(url + "/accounts/login/")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()


def sign_out(page):
    page.get_by_role("button", name="ログアウト").click()


def submit(page):
    """Send the main form of the page (the last one, as on the tracker's pages)."""
    page.locator("main form[method=post] button[type=submit]").last.click()
