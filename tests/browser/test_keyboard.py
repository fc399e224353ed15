"""Keyboard-only use of the site: every flow below is driven by Tab,
Shift+Tab, Enter, Space, the arrow keys and typing, never by the mouse.

Every element that takes focus on the way must show a visible focus
indicator: an outline of at least 2 px, or a box shadow, that it does not
have when it is not focused.
"""

import io
import itertools
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from boards.models import Addressee, Category
from boards.services import collaboration
from disaster_support.models import Dispatch, Seat
from members import permissions
from tests.factories import (
    PASSWORD,
    make_disaster,
    make_dispatch,
    make_offer,
    make_organisation,
    make_request,
    make_user,
)

pytestmark = pytest.mark.django_db(transaction=True)

FOCUSABLE = (
    "a[href], area[href], button, input, select, textarea, summary, iframe,"
    " [tabindex], [contenteditable]"
)

# Remembers how every focusable element looks while it is not focused, so
# that its focused look can be compared with it later.
REMEMBER_UNFOCUSED = """selector => {
  const store = window.__unfocusedStyles ||= new WeakMap();
  for (const element of document.querySelectorAll(selector)) {
    if (element === document.activeElement || store.has(element)) continue;
    const style = getComputedStyle(element);
    store.set(element, {
      outlineStyle: style.outlineStyle,
      outlineWidth: parseFloat(style.outlineWidth) || 0,
      outlineColor: style.outlineColor,
      boxShadow: style.boxShadow,
    });
  }
}"""

# The focused element: what it is, how it looks, and how it looked unfocused.
FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const rect = element.getBoundingClientRect();
  const label = (element.innerText || element.value || "").trim().slice(0, 30);
  return {
    name: element.tagName.toLowerCase()
      + (element.id ? "#" + element.id : "")
      + (element.name ? "[name=" + element.name + "]" : "") + " " + label,
    focused: {
      outlineStyle: style.outlineStyle,
      outlineWidth: parseFloat(style.outlineWidth) || 0,
      outlineColor: style.outlineColor,
      boxShadow: style.boxShadow,
    },
    unfocused: (window.__unfocusedStyles || new WeakMap()).get(element) || null,
    focusVisible: element.matches(":focus-visible"),
    // Tab also stops on the calendar button inside a date input; the
    // browser draws that button's focus ring, out of the page's reach.
    calendarButton: element.matches("input[type=date]:not(:focus-visible)"),
    visible: rect.width > 0 && rect.height > 0
      && rect.bottom > 0 && rect.top < innerHeight
      && rect.right > 0 && rect.left < innerWidth,
  };
}"""


def focus_problem(found):
    """What is wrong with the focused element's focus indicator, or None."""
    focused, unfocused = found["focused"], found["unfocused"]
    if found["calendarButton"]:
        return None
    if unfocused is None:
        return f"{found['name']}: its unfocused look was not seen"
    outline = (
        focused["outlineStyle"] != "none"
        and focused["outlineWidth"] >= 2
        and (
            unfocused["outlineStyle"] == "none"
            or focused["outlineWidth"] != unfocused["outlineWidth"]
            or focused["outlineColor"] != unfocused["outlineColor"]
        )
    )
    shadow = (
        focused["boxShadow"] != "none"
        and focused["boxShadow"] != unfocused["boxShadow"]
    )
    if not found["visible"]:
        return f"{found['name']}: not visible when focused"
    if not found["focusVisible"] or not (outline or shadow):
        return f"{found['name']}: no focus indicator ({focused})"
    return None


def is_focused(locator):
    """True when the element (or one of the elements) of the locator has focus."""
    return locator.evaluate_all("elements => elements.includes(document.activeElement)")


def tab_to(page, locator, max_tabs=30, backwards=False):
    """Press Tab (or Shift+Tab) until the locator's element has focus,
    checking the focus indicator of every element passed on the way."""
    key = "Shift+Tab" if backwards else "Tab"
    passed = []
    for _ in range(max_tabs):
        page.evaluate(REMEMBER_UNFOCUSED, FOCUSABLE)
        page.keyboard.press(key)
        found = page.evaluate(FOCUSED)
        problem = focus_problem(found)
        assert problem is None, problem
        if is_focused(locator):
            return
        passed.append(found["name"])
    pytest.fail(f"{locator} not reached with {key}; focus went to {passed}")


def press_enter_and_load(page):
    """Enter on a link or a submit button, waiting for the page it loads."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def skip_to_main(page):
    """The first Tab on a page lands on the skip link; Enter moves focus to
    the main content."""
    tab_to(page, page.get_by_role("link", name="本文へ移動"), max_tabs=1)
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()


def sign_in(page, url, user):
    """Sign in from the login page by keyboard."""
    page.goto(url + "/accounts/login/")
    skip_to_main(page)
    tab_to(page, page.get_by_label("メールアドレス"))
    page.keyboard.type(user.email)
    tab_to(page, page.get_by_label("パスワード"), max_tabs=3)
    page.keyboard.type(PASSWORD)
    press_enter_and_load(page)
    expect(page.locator("body")).to_have_attribute("data-user", str(user.pk))


def photo(tmp_path):
    path = tmp_path / "避難所の写真.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (0, 80, 140)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def chiyoda_staff(settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    chiyoda = make_organisation(name="千代田区", kind="special_ward")
    return make_user(
        organisation=chiyoda,
        role=permissions.WARD_STAFF,
        email="chiyoda@example.jp",
        display_name="千代田 花子",
        department="地域振興課",
    )


def test_member_signs_in_from_the_landing_page_by_keyboard(page, live_server, member):
    page.goto(live_server.url + "/")
    skip_to_main(page)
    tab_to(page, page.get_by_role("link", name="会員専用サイトにログイン"))
    press_enter_and_load(page)

    expect(page).to_have_url(re.compile("/accounts/login/"))
    skip_to_main(page)
    tab_to(page, page.get_by_label("メールアドレス"))
    page.keyboard.type(member.email)
    tab_to(page, page.get_by_label("パスワード"), max_tabs=3)
    page.keyboard.type(PASSWORD)
    tab_to(page, page.get_by_role("button", name="ログイン"))
    press_enter_and_load(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("会員ホーム")
    expect(page.locator("body")).to_have_attribute("data-user", str(member.pk))


def test_member_reads_a_thread_from_the_board_home_by_keyboard(
    page, live_server, member, other_member, make_thread
):
    make_thread(
        author=other_member,
        category="publicity",
        title="防災フェアへの出展者募集",
        body="会場は区民ホールです。",
    )
    sign_in(page, live_server.url, member)
    page.goto(live_server.url + "/boards/")
    skip_to_main(page)
    events = Category.objects.get(slug="publicity").name
    tab_to(page, page.get_by_role("link", name=events, exact=True), max_tabs=40)
    press_enter_and_load(page)

    expect(page.get_by_role("heading", level=1)).to_have_text(events)
    skip_to_main(page)
    tab_to(page, page.get_by_role("link", name="防災フェアへの出展者募集"))
    press_enter_and_load(page)

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "防災フェアへの出展者募集"
    )
    expect(page.locator("#post-0")).to_contain_text("会場は区民ホールです。")


def test_member_replies_with_an_attachment_by_keyboard(
    page, live_server, member, other_member, make_thread, tmp_path
):
    thread = make_thread(author=other_member, title="避難所運営の情報交換")
    # The browser is asked to hand file choosers to the test as soon as
    # anyone listens; listening from the start means that request has long
    # been answered when Space is pressed, instead of racing the key.
    page.on("filechooser", lambda chooser: None)
    sign_in(page, live_server.url, member)
    page.goto(live_server.url + f"/boards/t/{thread.pk}/?page=1")
    skip_to_main(page)
    tab_to(page, page.get_by_role("textbox", name="返信"), max_tabs=40)
    page.keyboard.type("当市の避難所の写真をお送りします。")

    attachments = page.get_by_label("添付ファイル")
    tab_to(page, attachments, max_tabs=1)
    # Space on a focused file input opens the file chooser, which the test
    # answers in place of the operating system's dialog.
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(photo(tmp_path)))
    tab_to(page, page.get_by_role("button", name="返信を投稿する"), max_tabs=1)
    press_enter_and_load(page)

    reply = page.locator("#post-1")
    expect(reply).to_contain_text("当市の避難所の写真をお送りします。")
    expect(reply.get_by_role("img", name="避難所の写真.jpg")).to_be_visible()


def test_ward_marks_interest_in_a_proposal_by_keyboard(
    page, live_server, member, chiyoda_staff
):
    thread = collaboration.thread_start(
        category=Category.objects.get(slug="proposals"),
        author=member,
        title="能登の物産展の共同開催",
        body="区役所での開催をご提案します。",
        details={"field": "tourism"},
        wards=[chiyoda_staff.organisation],
        all_wards=False,
    )
    sign_in(page, live_server.url, chiyoda_staff)
    page.goto(live_server.url + "/boards/")
    skip_to_main(page)
    tab_to(page, page.get_by_role("link", name="自区あての投稿"))
    press_enter_and_load(page)
    skip_to_main(page)
    tab_to(page, page.get_by_role("link", name="能登の物産展の共同開催"))
    press_enter_and_load(page)

    skip_to_main(page)
    answers = (
        page.get_by_role("radiogroup")
        .or_(page.locator("fieldset"))
        .filter(has=page.get_by_role("radio", name="関心あり"))
    )
    tab_to(page, answers.get_by_role("radio"), max_tabs=40)
    # Arrow keys move between the answers of one radio group.
    interested = page.get_by_role("radio", name="関心あり")
    for _ in range(answers.get_by_role("radio").count()):
        if is_focused(interested):
            break
        page.keyboard.press("ArrowDown")
    expect(interested).to_be_focused()
    expect(interested).to_be_checked()
    assert focus_problem(page.evaluate(FOCUSED)) is None
    tab_to(page, page.get_by_role("textbox", name="コメント（任意）"))
    page.keyboard.type("会場を調整します。")
    tab_to(page, page.get_by_role("button", name="回答を保存する"))
    press_enter_and_load(page)

    expect(page.get_by_text("区の回答を保存しました。")).to_be_visible()
    answer = Addressee.objects.get(thread=thread)
    assert (answer.state, answer.comment) == ("interested", "会場を調整します。")


def test_ward_records_a_dispatch_team_by_keyboard(page, live_server, chiyoda_staff):
    disaster = make_disaster()
    help_request = make_request(disaster=disaster)
    offer = make_offer(
        request=help_request, sender=chiyoda_staff.organisation, by=chiyoda_staff
    )
    sign_in(page, live_server.url, chiyoda_staff)
    page.goto(live_server.url + f"/disaster/requests/{help_request.pk}/")
    skip_to_main(page)
    tab_to(page, page.get_by_role("link", name="派遣を登録"))
    press_enter_and_load(page)

    skip_to_main(page)
    order = date_field_order(page)
    for name, date in [
        ("start_on", "2024-01-20"),
        ("end_on", "2024-01-24"),
        ("decided_on", "2024-01-15"),
    ]:
        tab_to(page, page.locator(f"[name={name}]"))
        type_date(page, order, date)
    tab_to(page, page.locator("[name=seats_sanitation]"))
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    tab_to(page, page.get_by_role("button", name="保存する"))
    press_enter_and_load(page)

    expect(page.locator("table.disaster-table")).to_contain_text("千代田区")
    dispatch = Dispatch.objects.get(offer=offer)
    assert dispatch.sender == chiyoda_staff.organisation
    assert str(dispatch.start_on) == "2024-01-20"
    assert (
        list(dispatch.seats.values_list("job_type", flat=True))
        == [Seat.JobType.SANITATION] * 3
    )


def date_field_order(page):
    """The order of the year, month and day fields of a date input, which
    follows the browser's own locale: found by typing into a scratch input
    on a page of its own."""
    scratch = page.context.new_page()
    scratch.set_content("<input type=date>")
    scratch.locator("input").focus()
    scratch.keyboard.type("01022003")
    value = scratch.locator("input").input_value()
    scratch.close()
    return {"2003-01-02": "mdy", "2003-02-01": "dmy"}.get(value, "ymd")


def type_date(page, order, date):
    """Type a date (YYYY-MM-DD) into the focused date input, field by field;
    the month and day fields move on by themselves after two digits."""
    year, month, day = date.split("-")
    fields = {"y": year, "m": month, "d": day}
    for position, field in enumerate(order):
        page.keyboard.type(fields[field])
        if field == "y" and position < 2:
            page.keyboard.press("ArrowRight")


# ----- headings -----

HEADING_LEVELS = """() => [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")]
  .filter(heading => heading.checkVisibility())
  .map(heading => Number(heading.tagName[1]))"""


def heading_problem(levels):
    """What is wrong with a page's outline, or None: one h1 first, and no
    level skipped on the way down."""
    if levels.count(1) != 1 or levels[0] != 1:
        return f"not exactly one h1 first: {levels}"
    for before, after in itertools.pairwise(levels):
        if after > before + 1:
            return f"h{before} is followed by h{after}: {levels}"
    return None


@pytest.fixture
def dispatch_data(chiyoda_staff):
    disaster = make_disaster()
    help_request = make_request(disaster=disaster)
    offer = make_offer(
        request=help_request, sender=chiyoda_staff.organisation, by=chiyoda_staff
    )
    return disaster, help_request, offer


def test_public_pages_have_one_h1_and_no_skipped_heading_level(page, live_server):
    found = {}
    for path in ["/", "/join/", "/accounts/login/", "/accounts/password/reset/"]:
        page.goto(live_server.url + path)
        found[path] = heading_problem(page.evaluate(HEADING_LEVELS))
    assert {path: problem for path, problem in found.items() if problem} == {}


def test_member_pages_have_one_h1_and_no_skipped_heading_level(
    page, live_server, member, other_member, make_thread, make_reply, tmp_path
):
    thread = make_thread(author=other_member, title="防災訓練のご案内")
    make_reply(thread=thread, author=member, body="> 引用\n\n返信です。")
    sign_in(page, live_server.url, member)
    found = {}
    for path in [
        "/",
        "/boards/",
        "/boards/c/proposals/",
        "/boards/c/proposals/new/",
        f"/boards/t/{thread.pk}/?page=1",
        "/boards/search/?q=防災",
        "/boards/notifications/",
        "/members/",
        f"/members/{member.organisation.pk}/",
        f"/members/{member.organisation.pk}/contact/",
        "/disaster/",
    ]:
        page.goto(live_server.url + path)
        found[path] = heading_problem(page.evaluate(HEADING_LEVELS))
    assert {path: problem for path, problem in found.items() if problem} == {}


def test_ward_pages_have_one_h1_and_no_skipped_heading_level(
    page, live_server, chiyoda_staff, dispatch_data
):
    disaster, help_request, offer = dispatch_data
    sign_in(page, live_server.url, chiyoda_staff)
    found = {}
    for path in [
        "/boards/addressed/",
        f"/disaster/{disaster.pk}/",
        f"/disaster/requests/{help_request.pk}/",
        f"/disaster/offers/{offer.pk}/dispatches/new/",
    ]:
        page.goto(live_server.url + path)
        found[path] = heading_problem(page.evaluate(HEADING_LEVELS))
    assert {path: problem for path, problem in found.items() if problem} == {}


# ----- form errors -----

# Every error message shown on the page, and whether it is announced: inside
# a role=alert region, or named by aria-describedby of a field marked
# aria-invalid.
ERRORS = """() => {
  const described = new Set();
  for (const field of document.querySelectorAll("[aria-invalid=true]")) {
    for (const id of (field.getAttribute("aria-describedby") || "").split(/\\s+/)) {
      if (id) described.add(document.getElementById(id));
    }
  }
  return [...document.querySelectorAll("main .errorlist, main [role=alert]")]
    .filter(message => message.innerText.trim())
    .map(message => ({
      text: message.innerText.trim(),
      announced: Boolean(message.closest("[role=alert]"))
        || [...described].some(node => node && node.contains(message)),
    }));
}"""


def submit_by_keyboard(page, button):
    button.focus()
    press_enter_and_load(page)


def test_field_errors_are_tied_to_their_fields(
    page, live_server, member, other_member, make_thread
):
    thread = make_thread(author=other_member, title="防災訓練のご案内")
    sign_in(page, live_server.url, member)
    page.goto(live_server.url + f"/boards/t/{thread.pk}/?page=1")
    submit_by_keyboard(page, page.get_by_role("button", name="返信を投稿する"))

    body = page.get_by_role("textbox", name="返信")
    expect(body).to_have_attribute("aria-invalid", "true")
    described_by = body.get_attribute("aria-describedby").split()
    messages = [page.locator(f"[id='{id}']").inner_text() for id in described_by]
    assert "このフィールドは必須です。" in messages


@pytest.mark.parametrize(
    "path, button",
    [
        ("/accounts/login/", "ログイン"),
        ("/join/", None),
        ("/boards/c/proposals/new/", "スレッドを投稿する"),
        ("dispatch", "保存する"),
    ],
)
def test_every_error_shown_after_an_invalid_submit_is_announced(
    page, live_server, member, dispatch_data, chiyoda_staff, path, button
):
    if path == "dispatch":
        path = f"/disaster/offers/{dispatch_data[2].pk}/dispatches/new/"
        sign_in(page, live_server.url, chiyoda_staff)
    elif path.startswith("/boards/"):
        sign_in(page, live_server.url, member)
    page.goto(live_server.url + path)
    if button is None:
        submit = page.locator("main form[method=post] button[type=submit]").last
    else:
        submit = page.get_by_role("button", name=button, exact=True)
    submit_by_keyboard(page, submit)

    errors = page.evaluate(ERRORS)
    assert errors, "the invalid form showed no error"
    assert [error for error in errors if not error["announced"]] == []


def test_a_form_wide_error_is_an_alert(page, live_server, member):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("メールアドレス").fill(member.email)
    page.get_by_label("パスワード").fill("not-the-password")
    submit_by_keyboard(page, page.get_by_role("button", name="ログイン", exact=True))

    expect(page.get_by_role("alert")).to_contain_text(
        "メールアドレスもしくはパスワードが正しくありません"
    )


def test_a_team_without_people_is_refused_with_an_alert(
    page, live_server, chiyoda_staff, dispatch_data
):
    offer = dispatch_data[2]
    sign_in(page, live_server.url, chiyoda_staff)
    page.goto(live_server.url + f"/disaster/offers/{offer.pk}/dispatches/new/")
    for name, date in [
        ("start_on", "2024-01-20"),
        ("end_on", "2024-01-24"),
        ("decided_on", "2024-01-15"),
    ]:
        page.locator(f"[name={name}]").fill(date)
    submit_by_keyboard(page, page.get_by_role("button", name="保存する"))

    expect(page.get_by_role("alert")).to_have_count(1)
    assert Dispatch.objects.count() == 0


# ----- zoom and narrow screens -----


@pytest.fixture
def zoomed_page(browser, browser_context_args):
    """A page as a 1280 × 800 window shows it at 200% zoom.

    Browser zoom shrinks the CSS viewport and doubles the pixel ratio, so
    a 640 × 400 viewport at device scale factor 2 is what the page's layout
    and media queries then see. CSS `zoom` on the root would keep the wide
    viewport, so the media queries would not react as they do for a reader
    who zooms in."""
    context = browser.new_context(
        **{
            **browser_context_args,
            "viewport": {"width": 640, "height": 400},
            "device_scale_factor": 2,
        }
    )
    yield context.new_page()
    context.close()


def overflowing(page, url, paths, width):
    """The paths whose page is wider than the viewport, with their width."""
    too_wide = {}
    for path in paths:
        page.goto(url + path)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            too_wide[path] = scroll_width
    return too_wide


def test_public_pages_fit_at_200_percent_zoom(zoomed_page, live_server):
    paths = ["/", "/join/", "/accounts/login/"]
    assert overflowing(zoomed_page, live_server.url, paths, 640) == {}


def test_member_pages_fit_at_200_percent_zoom(
    zoomed_page, live_server, member, other_member, make_thread
):
    thread = make_thread(author=other_member, title="防災訓練のご案内")
    sign_in(zoomed_page, live_server.url, member)
    paths = [
        "/",
        "/boards/",
        "/boards/c/proposals/",
        f"/boards/t/{thread.pk}/?page=1",
        "/boards/search/?q=防災",
        "/members/",
        f"/members/{member.organisation.pk}/contact/",
        "/disaster/",
    ]
    assert overflowing(zoomed_page, live_server.url, paths, 640) == {}


def test_ward_pages_fit_at_200_percent_zoom(
    zoomed_page, live_server, chiyoda_staff, dispatch_data
):
    disaster, help_request, offer = dispatch_data
    sign_in(zoomed_page, live_server.url, chiyoda_staff)
    paths = [
        "/boards/addressed/",
        f"/disaster/{disaster.pk}/",
        f"/disaster/requests/{help_request.pk}/",
        f"/disaster/offers/{offer.pk}/dispatches/new/",
    ]
    assert overflowing(zoomed_page, live_server.url, paths, 640) == {}


def test_every_main_menu_item_is_reachable_at_200_percent_zoom(
    zoomed_page, live_server, member
):
    page = zoomed_page
    sign_in(page, live_server.url, member)
    page.goto(live_server.url + "/boards/")
    menu = page.get_by_role("navigation", name="メインメニュー")
    items = menu.locator("a, button")
    assert items.count() >= 7
    for index in range(items.count()):
        # tab_to also checks that each item is inside the viewport.
        tab_to(page, items.nth(index), max_tabs=10)


def test_ward_and_public_pages_fit_a_360_pixel_phone(
    page, live_server, chiyoda_staff, dispatch_data
):
    # Member pages at 360 px are covered in test_accessibility.py.
    disaster, help_request, offer = dispatch_data
    page.set_viewport_size({"width": 360, "height": 800})
    public = ["/join/", "/accounts/login/"]
    assert overflowing(page, live_server.url, public, 360) == {}
    sign_in(page, live_server.url, chiyoda_staff)
    ward = [
        "/boards/addressed/",
        f"/disaster/{disaster.pk}/",
        f"/disaster/requests/{help_request.pk}/",
        f"/disaster/offers/{offer.pk}/dispatches/new/",
    ]
    assert overflowing(page, live_server.url, ward, 360) == {}


# ----- Japanese typography -----


def test_japanese_text_is_set_in_a_cjk_font_with_room_between_lines(page, live_server):
    page.goto(live_server.url + "/")
    body = page.evaluate(
        """() => {
          const style = getComputedStyle(document.querySelector("main p"));
          return {
            families: style.fontFamily.split(",").map(f => f.trim().replace(/"/g, "")),
            lineHeight: parseFloat(style.lineHeight) / parseFloat(style.fontSize),
            lineBreak: style.lineBreak,
            features: style.fontFeatureSettings,
          };
        }"""
    )
    assert {"Hiragino Sans", "Noto Sans JP", "Yu Gothic", "Meiryo"} <= set(
        body["families"]
    )
    assert body["families"][-1] == "sans-serif"
    assert 1.7 <= body["lineHeight"] <= 1.8
    # Strict line breaking keeps small kana and 。、 off the start of a line.
    assert body["lineBreak"] == "strict"
    # Proportional punctuation stays off: 「」、。 keep their full width.
    assert '"palt" 1' not in body["features"]


# The text cells of data tables that run over more than one line.
BROKEN_CELLS = """() => [...document.querySelectorAll(".table-scroll :is(th, td)")]
  .filter(cell => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    const tops = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
    return tops.size > 1;
  })
  .map(cell => cell.innerText.trim())"""


def test_names_in_tables_do_not_break_on_a_phone(page, live_server, chiyoda_staff):
    disaster = make_disaster()
    help_request = make_request(disaster=disaster)
    offer = make_offer(request=help_request, sender=chiyoda_staff.organisation)
    make_dispatch(offer=offer, sender=chiyoda_staff.organisation)
    page.set_viewport_size({"width": 360, "height": 800})
    sign_in(page, live_server.url, chiyoda_staff)

    page.goto(live_server.url + f"/disaster/requests/{help_request.pk}/")
    broken = page.evaluate(BROKEN_CELLS)
    assert [name for name in ["第1班", "千代田区"] if name in broken] == []
    page.goto(live_server.url + f"/disaster/{disaster.pk}/?as_of=2024-01-12")
    broken = page.evaluate(BROKEN_CELLS)
    assert [name for name in ["石川県七尾市", "千代田区"] if name in broken] == []
