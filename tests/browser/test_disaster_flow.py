"""Office opens a disaster → an affected member asks for help → a ward offers
and records a team → the report as of a day shows it.

Fields are found by name, so the test does not depend on label wording.
"""

import re

import pytest
from playwright.sync_api import expect

from members import permissions
from members.models import Organisation
from tests.browser.actions import sign_in, sign_out, submit
from tests.factories import make_organisation, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_request_offer_dispatch_and_report(page, live_server, office_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    url = live_server.url
    ishikawa = make_organisation(name="石川県", kind=Organisation.Kind.PREFECTURE)
    nanao = make_organisation(name="七尾市", prefecture=ishikawa)
    nanao_staff = make_user(organisation=nanao, email="nanao@example.jp")
    chiyoda = make_organisation(name="千代田区", kind=Organisation.Kind.SPECIAL_WARD)
    chiyoda_staff = make_user(
        organisation=chiyoda, role=permissions.WARD_STAFF, email="chiyoda@example.jp"
    )

    # The office opens the disaster.
    sign_in(page, url, office_staff)
    page.goto(url + "/disaster/new/")
    page.locator("[name=name]").fill("令和6年能登半島地震")
    page.locator("[name=kind]").select_option("earthquake")
    page.locator("[name=occurred_on]").fill("2024-01-01")
    page.locator("[name=prefectures]").select_option(str(ishikawa.pk))
    submit(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("令和6年能登半島地震")
    disaster_url = page.url
    sign_out(page)

    # 七尾市 asks for help with waste collection.
    sign_in(page, url, nanao_staff)
    page.goto(disaster_url)
    page.locator("a[href$='/requests/new/']").click()
    page.locator("[name=channel]").select_option("moe")
    page.locator("[name=work_type]").select_option(label="ごみの収集・運搬等")
    page.locator("[name=people_requested]").fill("6")
    page.locator("[name=start_on]").fill("2024-01-10")
    page.locator("[name=end_on]").fill("2024-02-10")
    submit(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("石川県七尾市")
    request_url = page.url
    sign_out(page)

    # 千代田区 offers three people and records its first team.
    sign_in(page, url, chiyoda_staff)
    page.goto(request_url)
    page.locator("a[href$='/offers/new/']").click()
    page.locator("[name=basis]").select_option("agreement")
    page.locator("[name=people]").fill("3")
    submit(page)
    page.locator("a[href$='/dispatches/new/']").click()
    page.locator("[name=start_on]").fill("2024-01-20")
    page.locator("[name=end_on]").fill("2024-01-24")
    page.locator("[name=decided_on]").fill("2024-01-15")
    page.locator("[name=seats_sanitation]").fill("3")
    submit(page)
    expect(page.locator("table.disaster-table")).to_contain_text("千代田区")

    # The report as of the team's first day counts it, on duty.
    page.goto(disaster_url + "?as_of=2024-01-20")
    newsletter = page.locator("[data-table=newsletter] tbody tr")
    expect(newsletter).to_have_count(1)
    expect(newsletter.first).to_contain_text(re.compile(r"石川県 七尾市\s*3"))
    status_total = page.locator("[data-table=status] tbody tr").last
    expect(status_total.locator("td").first).to_have_text("3")
