"""axe-core at WCAG 2.1 A/AA (JIS X 8341-3:2016 AA) on every page of the site.

Each role signs in once and opens every page it may (tests/browser/site_pages.py
finds them), then the forms again with errors in them, the error pages and
the two-factor sign-in step.
"""

import csv
import io
from pprint import pformat

import pytest
from allauth.mfa.models import Authenticator
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings as django_settings
from django.template import loader
from django.test import Client
from django.urls import reverse

from members import csv_io
from members.models import Organisation
from tests.factories import PASSWORD

from . import site_pages

pytestmark = pytest.mark.django_db(transaction=True)

WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
axe = Axe()

# Forms submitted with their text fields emptied, then checked with the
# errors shown: (role, URL name) -> values typed in after emptying, where an
# empty form would be valid. The form is the page's own (posting to itself)
# in <main>, or the admin's form.
ERROR_STATES = {
    ("anon", "account_login"): {},
    ("anon", "join"): {},
    ("anon", "account_reset_password"): {},
    ("anon", "account_reset_password_from_key"): {},
    ("a", "boards:thread_create"): {},
    ("a", "boards:reply"): {},
    ("a", "boards:post_edit"): {},
    ("a", "boards:post_report"): {},
    ("a", "boards:registration_settings"): {},
    ("a", "members:organisation_contact"): {"contact_email": "七尾市役所"},
    ("a", "members:organisation_staff"): {},
    ("a", "disaster_support:request_create"): {},
    ("a", "disaster_support:request_update"): {},
    ("a", "account_email"): {},
    ("a", "account_change_password"): {},
    ("a", "account_reauthenticate"): {},
    ("a", "mfa_activate_totp"): {},
    ("ward", "disaster_support:offer_create"): {},
    ("ward", "disaster_support:dispatch_create"): {},
    ("ward", "disaster_support:dispatch_update"): {},
    ("ward", "disaster_support:offer_update"): {},
    ("ward", "disaster_support:money_create"): {},
    ("ward", "disaster_support:goods_create"): {},
    ("ward", "disaster_support:reception_edit"): {},
    ("ward", "boards:thread_move"): {},
    ("ward", "boards:thread_split"): {},
    ("ward", "boards:thread_merge"): {},
    ("office", "disaster_support:disaster_create"): {},
    ("office", "mfa_reauthenticate"): {},
    ("office", "admin:password_change"): {},
    ("office", "admin:members_organisation_add"): {},
    ("office", "admin:members_organisation_change"): {"contact_email": "七尾市役所"},
    ("office", "admin:members_user_add"): {},
    ("office", "admin:boards_category_add"): {},
    ("office", "admin:disaster_support_disaster_add"): {},
    ("office", "admin:members_organisation_import"): {},
    ("office", "admin:members_user_handover"): {},
    ("office", "admin:members_membershipapplication_reject"): {},
    ("superuser", "admin:auth_group_add"): {},
}
OWN_FORM = "main form.form, main form[method=post]:not([action])"
ADMIN_FORM = "#content form[method=post]"
FORMS = {
    # The page lists the addresses in a form of its own first.
    ("a", "account_email"): "main form:has([name=action_add])",
}

# Empties the form's text fields, types the given values and submits it
# past the browser's own checks, so that the server answers with errors.
SUBMIT_INVALID = """([selector, values]) => {
  const form = document.querySelector(selector);
  form.noValidate = true;
  for (const field of form.elements) {
    const typed = !["hidden", "submit", "button", "checkbox", "radio", "file"]
      .includes(field.type);
    if (["TEXTAREA", "INPUT"].includes(field.tagName) && typed) {
      field.value = values[field.name] ?? "";
    }
  }
  const submit = form.querySelector("[type=submit]:not([formaction])");
  form.requestSubmit(submit);
}"""
ERRORS_SHOWN = ".errorlist, .errornote, [aria-invalid=true], [role=alert]"


def violations(page):
    found = axe.run(page, options=WCAG_AA).response["violations"]
    return [(v["id"], [node["target"] for node in v["nodes"]]) for v in found]


def sign_in_as(page, live_server, user):
    """Share a signed-in session with the browser (no sign-in form on the way)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
    )


@pytest.fixture(autouse=True)
def _tasks_kept(settings):
    """The world fixture makes its notification itself: the tasks that would
    make it too (run at once when a browser test commits) are only kept."""
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }


@pytest.fixture
def site(world, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    return site_pages.complete_world(world)


def test_every_page_is_checked(site):
    assert site_pages.unchecked_url_names(site) == []


@pytest.mark.parametrize("role", site_pages.ROLES)
def test_every_page_has_no_violations(page, live_server, site, role):
    if role != "anon":
        sign_in_as(page, live_server, site.users[role])
    found = {}
    for _, path in site_pages.pages(site, role):
        response = page.goto(live_server.url + path)
        if response.status != 200:
            found[path] = f"HTTP {response.status}"
        elif problems := violations(page):
            found[path] = problems
    assert found == {}, pformat(found)


@pytest.mark.parametrize("role", site_pages.ROLES)
def test_forms_with_errors_have_no_violations(page, live_server, site, role):
    if role != "anon":
        sign_in_as(page, live_server, site.users[role])
    found = {}
    for name, path in site_pages.pages(site, role):
        if (role, name) not in ERROR_STATES:
            continue
        page.goto(live_server.url + path)
        selector = FORMS.get(
            (role, name), ADMIN_FORM if name.startswith("admin:") else OWN_FORM
        )
        if page.locator(selector).count() == 0:
            found[path] = "no form"
            continue
        with page.expect_navigation():
            page.evaluate(SUBMIT_INVALID, [selector, ERROR_STATES[role, name]])
        if page.locator(ERRORS_SHOWN).count() == 0:
            found[path] = "no error shown"
        elif problems := violations(page):
            found[path] = problems
    assert found == {}, pformat(found)


def test_every_form_in_error_state_is_a_page(site):
    """An entry of ERROR_STATES that no longer names a page is caught."""
    names = {
        (role, name)
        for role in site_pages.ROLES
        for name, _ in site_pages.pages(site, role)
    }
    assert set(ERROR_STATES) - names == set()


def test_csv_import_preview_has_no_violations(page, live_server, site, tmp_path):
    """The page between the upload and the import, with rows to import."""
    exported = csv_io.export_members_csv(
        Organisation.objects.exclude(code="").order_by("pk")
    )
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    column = {key: index for index, key in enumerate(csv_io.COLUMNS)}
    for number, row in enumerate(rows[1:]):
        row[column["department"]] = "企画課"
        row[column["contact_person"]] = "能登 花子"
        row[column["contact_email"]] = f"contact{number}@example.jp"
        row[column["phone"]] = "0767-53-1111"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    csv_file = tmp_path / "members.csv"
    csv_file.write_text(buffer.getvalue(), encoding="utf-8")
    sign_in_as(page, live_server, site.users["office"])
    page.goto(live_server.url + reverse("admin:members_organisation_import"))
    page.locator("#content-main input[type=file]").set_input_files(csv_file)
    with page.expect_navigation():
        page.locator("#content-main [type=submit]").click()
    assert page.locator("#content-main input[name=token]").count() == 1
    assert violations(page) == []


def test_two_factor_sign_in_step_has_no_violations(page, live_server, site):
    """The code prompt after the password, and again after a wrong code."""
    office = site.users["office"]
    assert Authenticator.objects.filter(user=office).exists()
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("メールアドレス").fill(office.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url("**" + reverse("mfa_authenticate"))
    found = {"prompt": violations(page)}
    page.locator("main input[name=code]").fill("000000")
    with page.expect_navigation():
        page.locator("main form [type=submit]").first.click()
    assert page.locator(ERRORS_SHOWN).count() > 0
    found["wrong code"] = violations(page)
    assert found == {"prompt": [], "wrong code": []}


def test_refusal_pages_have_no_violations(page, live_server, site):
    """404, 403, and the 403 of a suspended membership, as the site sends them."""
    cases = [
        ("a", "/nowhere/", 404),
        ("a", reverse("disaster_support:disaster_create"), 403),
        ("suspended", reverse("boards:home"), 403),
    ]
    found = {}
    for role, path, _ in cases:
        page.context.clear_cookies()
        sign_in_as(page, live_server, site.users[role])
        response = page.goto(live_server.url + path)
        found[path, role] = (response.status, violations(page))
    assert found == {(path, role): (status, []) for role, path, status in cases}


def test_server_error_pages_have_no_violations(page, live_server):
    """400, 429, 500 and 503 (maintenance), rendered as the error handlers
    render them (with no request), served by the browser at the site's
    address so that the site's style sheets load."""
    statuses = [400, 429, 500, 503]
    pages = {
        f"{live_server.url}/error-{status}/": (
            status,
            loader.get_template(f"{status}.html").render(),
        )
        for status in statuses
    }

    def serve(route):
        status, html = pages[route.request.url]
        route.fulfill(status=status, body=html, content_type="text/html")

    page.route(f"{live_server.url}/error-*/", serve)
    found = {}
    for status in statuses:
        response = page.goto(f"{live_server.url}/error-{status}/")
        found[status] = (response.status, violations(page))
    assert found == {status: (status, []) for status in statuses}


def test_member_pages_fit_a_360_pixel_phone(
    page, live_server, member, other_member, make_thread
):
    thread = make_thread(
        author=other_member, title="防災訓練のご案内", body="本文です。"
    )
    page.set_viewport_size({"width": 360, "height": 800})
    sign_in_as(page, live_server, member)
    paths = [
        "/",
        "/boards/",
        "/boards/c/proposals/",
        "/boards/c/proposals/new/",
        f"/boards/t/{thread.pk}/?page=1",
        "/boards/search/?q=防災",
        "/members/",
        f"/members/{member.organisation.pk}/contact/",
        "/disaster/",
    ]
    too_wide = {}
    for path in paths:
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            too_wide[path] = width
    assert too_wide == {}
