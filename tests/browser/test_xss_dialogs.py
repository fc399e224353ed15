"""Issue 7: the worst pages, full of the XSS corpus, in a real browser.

The pages are loaded with the Content Security Policy switched off in the
browser, so escaping alone has to hold: no payload may open a dialog
(alert, confirm, prompt), call print or set window.__xss.
"""

import datetime
import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from boards import markdown, search
from boards.models import Category, Post, Thread
from disaster_support.models import (
    Disaster,
    Dispatch,
    HelpRequest,
    Offer,
    Seat,
    SupportGoods,
    SupportMoney,
    WorkType,
)
from members import permissions
from members.models import ContactChange, MembershipStatus, Organisation
from tests import factories
from tests.security.xss_payloads import STORED

pytestmark = pytest.mark.django_db(transaction=True)

# Payloads per post: the thread stays two pages long.
PER_POST = 4
WATCH = """
window.__xss = undefined;
window.__printed = [];
window.print = function () { window.__printed.push(String(arguments[0])); };
"""


@pytest.fixture
def seeded(settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    prefecture = factories.make_prefecture("石川県")
    office = factories.make_user(
        email="office@example.jp",
        organisation=factories.make_organisation(
            name="公益財団法人特別区協議会", kind=Organisation.Kind.BODY
        ),
        role=permissions.OFFICE_STAFF,
    )
    ward = factories.make_organisation(
        name="千代田区", kind=Organisation.Kind.SPECIAL_WARD
    )
    reader = factories.make_user(
        email="reader@example.jp",
        organisation=factories.make_organisation(name="読者市", prefecture=prefecture),
    )
    orgs = Organisation.objects.bulk_create(
        Organisation(
            name=p.text[:100],
            kind=Organisation.Kind.CITY,
            code=factories.next_code(),
            prefecture=prefecture,
            membership_status=MembershipStatus.MEMBER,
            profile=p.text,
            department=p.text[:100],
            contact_person=p.text[:100],
            address=p.text[:200],
        )
        for number, p in enumerate(STORED)
    )
    ContactChange.objects.bulk_create(
        ContactChange(
            organisation=reader.organisation,
            field="address",
            old_value=p.text[:200],
            new_value=p.text[:200],
            changed_by=reader,
        )
        for p in STORED
    )

    # A thread of the whole corpus, and threads titled with it.
    thread = factories.make_thread(author=reader, category="other", title="XSS")
    chunks = [STORED[i : i + PER_POST] for i in range(0, len(STORED), PER_POST)]
    bodies = ["\n\n".join(p.text for p in chunk) for chunk in chunks]
    Post.objects.bulk_create(
        Post(
            thread=thread,
            position=position,
            author=reader,
            organisation=reader.organisation,
            body=body,
            body_html=markdown.render(body),
            search_vector=search.bigram_tsvector(body),
        )
        for position, body in enumerate(bodies, start=1)
    )
    Thread.objects.filter(pk=thread.pk).update(
        last_position=len(bodies), reply_count=len(bodies)
    )
    other = Category.objects.get(slug="other")
    titled = Thread.objects.bulk_create(
        Thread(
            category=other,
            title=p.text[:120],
            author=reader,
            organisation=org,
            last_post_author=reader,
            last_post_organisation=org,
        )
        for p, org in zip(STORED, orgs, strict=True)
    )
    Post.objects.bulk_create(
        Post(
            thread=titled_thread,
            position=0,
            author=reader,
            organisation=reader.organisation,
            body=p.text,
            body_html=markdown.render(p.text),
            search_vector=search.bigram_tsvector(p.text, title=p.text[:120]),
        )
        for p, titled_thread in zip(STORED, titled, strict=True)
    )

    # A disaster whose report lists the corpus as places, teams and aid.
    disaster = Disaster.objects.create(
        name="令和6年能登半島地震",
        kind=Disaster.Kind.EARTHQUAKE,
        occurred_on=datetime.date(2024, 1, 1),
    )
    disaster.prefectures.add(prefecture)
    for number, (p, org) in enumerate(zip(STORED, orgs, strict=True)):
        request = HelpRequest.objects.create(
            disaster=disaster,
            municipality=org,
            channel=HelpRequest.Channel.OTHER,
            work_type=WorkType.objects.create(name=p.text[:100], order=number),
            place_kind=HelpRequest.PlaceKind.REMOTE,
            place_note=p.text[:100],
            people_requested=1,
            start_on=datetime.date(2024, 1, 10),
            end_on=datetime.date(2024, 1, 20),
        )
        offer = Offer.objects.create(
            request=request, sender=ward, basis=Offer.Basis.AGREEMENT, people=1
        )
        dispatch = Dispatch.objects.create(
            offer=offer,
            name=p.text[:50],
            sender=ward,
            start_on=datetime.date(2024, 1, 10),
            end_on=datetime.date(2024, 1, 14),
            decided_on=datetime.date(2024, 1, 5),
        )
        Seat.objects.create(dispatch=dispatch, job_type=Seat.JobType.CLERICAL)
        SupportMoney.objects.create(
            disaster=disaster,
            kind=SupportMoney.Kind.DONATION,
            payer=ward,
            recipient=org,
            amount=1000,
            basis=p.text,
            paid_on=datetime.date(2024, 1, 11),
        )
        SupportGoods.objects.create(
            disaster=disaster,
            item=p.text[:100],
            quantity=1,
            unit=p.text[:20],
            payer=ward,
            recipient=org,
            sent_on=datetime.date(2024, 1, 11),
        )
    return {
        "reader": reader,
        "office": office,
        "thread": thread,
        "disaster": disaster,
        "pages": -(-len(bodies) // 30),
    }


def _signed_in_page(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(bypass_csp=True, locale="ja-JP")
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    context.add_init_script(WATCH)
    page = context.new_page()
    dialogs = []

    def record(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", record)
    return page, dialogs


def _visit(page, dialogs, url):
    response = page.goto(url, wait_until="load")
    assert response.status == 200, url
    # Let handlers queued by the load (autofocus, onerror) run.
    page.evaluate(
        "() => new Promise(done => requestAnimationFrame(() => setTimeout(done)))"
    )
    state = page.evaluate("() => [window.__xss, window.__printed]")
    assert re.search(r"xss\d{3}", page.content()), f"{url} shows no payload"
    assert dialogs == [], f"{url}: {dialogs}"
    assert state == [None, []], f"{url}: {state}"


def test_pages_full_of_the_corpus_open_no_dialog(browser, live_server, seeded):
    base = live_server.url
    page, dialogs = _signed_in_page(browser, live_server, seeded["reader"])
    thread_url = base + reverse("boards:thread", args=[seeded["thread"].pk])
    for number in range(1, seeded["pages"] + 1):
        _visit(page, dialogs, f"{thread_url}?page={number}")
    _visit(page, dialogs, base + reverse("boards:search") + "?q=xss")
    _visit(page, dialogs, base + reverse("boards:category", args=["other"]))
    _visit(page, dialogs, base + reverse("members:directory"))
    _visit(
        page,
        dialogs,
        base
        + reverse(
            "members:organisation_history", args=[seeded["reader"].organisation_id]
        ),
    )
    page.context.close()


def test_disaster_report_and_admin_open_no_dialog(browser, live_server, seeded):
    base = live_server.url
    page, dialogs = _signed_in_page(browser, live_server, seeded["office"])
    report = reverse("disaster_support:disaster_detail", args=[seeded["disaster"].pk])
    _visit(page, dialogs, f"{base}{report}?as_of=2024-01-12")
    _visit(page, dialogs, base + reverse("admin:boards_thread_changelist"))
    _visit(page, dialogs, base + reverse("admin:members_organisation_changelist"))
    page.context.close()


def test_the_watch_would_notice_a_payload_that_ran(browser, live_server, seeded):
    """The same watch on a page that does run script: it is noticed."""
    page, dialogs = _signed_in_page(browser, live_server, seeded["reader"])
    page.goto(live_server.url + reverse("boards:home"))
    page.evaluate("() => { alert('xss001'); window.__xss = 'xss002'; print('x'); }")
    assert dialogs == ["alert: xss001"]
    assert page.evaluate("() => [window.__xss, window.__printed]") == [
        "xss002",
        ["x"],
    ]
    page.context.close()
