"""A 首都直下 drill: 世田谷区 files a request, a member city finds it among the
open requests, offers and sends a team, the drill's report shows 受援 for
世田谷区, and a real disaster's report knows nothing of it.

Fields are found by name, so the test does not depend on label wording.
"""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from members.models import Organisation
from tests.browser.actions import sign_in, sign_out, submit
from tests.factories import (
    make_agreement,
    make_disaster,
    make_organisation,
    make_prefecture,
    make_user,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_drill_request_offer_team_and_juen(page, live_server, office_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    url = live_server.url
    tokyo = make_prefecture(name="東京都")
    setagaya = make_organisation(
        name="世田谷区",
        kind=Organisation.Kind.SPECIAL_WARD,
        prefecture=tokyo,
        latitude=Decimal("35.646111"),
        longitude=Decimal("139.653056"),
    )
    setagaya_staff = make_user(organisation=setagaya, email="setagaya@example.jp")
    gunma = make_prefecture(name="群馬県")
    kawaba = make_organisation(
        name="川場村",
        kind=Organisation.Kind.VILLAGE,
        prefecture=gunma,
        latitude=Decimal("36.694722"),
        longitude=Decimal("139.106667"),
    )
    kawaba_staff = make_user(organisation=kawaba, email="kawaba@example.jp")
    # 世田谷区 and 川場村 have been partners since 1981 (縁組協定).
    agreement = make_agreement(
        parties=[setagaya, kawaba],
        title="区民健康村相互協力に関する協定",
        kind="friendship",
        signed_on=datetime.date(1981, 3, 19),
        scopes=("disaster", "culture"),
    )
    # A partner of the prefecture only: suggested after the ward's own.
    make_agreement(
        parties=[tokyo, make_organisation(name="長野県", kind="prefecture")],
        title="災害時の相互応援に関する協定",
    )
    real = make_disaster(occurred_on=datetime.date(2025, 8, 1))

    # The office opens the drill.
    sign_in(page, url, office_staff)
    page.goto(url + "/disaster/new/")
    page.locator("[name=name]").fill("首都直下地震")
    page.locator("[name=kind]").select_option("earthquake")
    page.locator("[name=occurred_on]").fill("2025-09-01")
    page.locator("[name=prefectures]").select_option(str(tokyo.pk))
    page.locator("[name=is_drill]").check()
    submit(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("【訓練】首都直下地震")
    drill_url = page.url
    sign_out(page)

    # 世田谷区, hit, asks for help like any affected municipality.
    sign_in(page, url, setagaya_staff)
    page.goto(drill_url)
    page.locator("a[href$='/requests/new/']").click()
    page.locator("[name=channel]").select_option("agreement")
    page.locator("[name=work_type]").select_option(label="ごみの収集・運搬等")
    page.locator("[name=people_requested]").fill("4")
    page.locator("[name=start_on]").fill("2025-09-03")
    page.locator("[name=end_on]").fill("2025-09-30")
    submit(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("世田谷区")
    sign_out(page)

    # 川場村 finds the request within 300 km, offers and sends a team.
    sign_in(page, url, kawaba_staff)
    page.goto(url + "/disaster/requests/open/?within_km=300")
    rows = page.locator("[data-table=open-requests] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("【訓練】首都直下地震")
    rows.first.get_by_role("link").click()
    # The partner by agreement is suggested first.
    partners = page.locator(".suggested-partners li")
    expect(partners.first).to_contain_text("川場村")
    expect(partners.first).to_contain_text(agreement.title)
    page.locator("a[href$='/offers/new/']").click()
    page.locator("[name=basis]").select_option("agreement")
    page.locator("[name=people]").fill("2")
    submit(page)
    page.locator("a[href$='/dispatches/new/']").click()
    page.locator("[name=start_on]").fill("2025-09-03")
    page.locator("[name=end_on]").fill("2025-09-07")
    page.locator("[name=decided_on]").fill("2025-09-02")
    page.locator("[name=seats_sanitation]").fill("2")
    submit(page)
    expect(page.locator("table.disaster-table")).to_contain_text("川場村")
    # The team was sent under the agreement, and the page says so.
    expect(page.locator("main")).to_contain_text(
        "区民健康村相互協力に関する協定", timeout=5000
    )
    sign_out(page)

    # The drill's report shows 受援 for 世田谷区, to 世田谷区 itself.
    sign_in(page, url, setagaya_staff)
    page.goto(drill_url + "?as_of=2025-09-05")
    expect(page.locator("[data-own-direction]")).to_contain_text("受援 2人")
    directions = page.locator("[data-table=directions] tbody")
    expect(directions).to_contain_text("世田谷区")
    expect(directions).to_contain_text("川場村")

    # The real disaster's report knows nothing of the drill.
    page.goto(f"{url}/disaster/{real.pk}/?as_of=2025-09-05")
    expect(page.locator("[data-table=directions] tbody")).not_to_contain_text(
        "世田谷区"
    )
    expect(page.locator("main")).not_to_contain_text("訓練")
