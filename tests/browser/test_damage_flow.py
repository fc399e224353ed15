"""The office enters damage figures and a total, reads the per-municipality
amounts with the calculation, freezes them with the payment decision and
publishes a snapshot that a later edit of the figures leaves unchanged.

Fields are found by name, so the test does not depend on label wording.
"""

import pytest
from playwright.sync_api import expect

from members.models import Organisation
from tests.factories import make_disaster, make_organisation

from .test_disaster_flow import sign_in, submit

pytestmark = pytest.mark.django_db(transaction=True)

COUNTS = (
    "destroyed",
    "major_half",
    "medium_half",
    "half",
    "quasi_half",
    "partial",
    "flooded_above",
    "flooded_below",
)


def record_figures(page, municipality, **counts):
    page.get_by_role("link", name="被害状況を登録する").click()
    page.locator("[name=municipality]").select_option(str(municipality.pk))
    page.locator("[name=as_of]").fill("2024-01-15")
    page.locator("[name=source]").fill("第10報")
    for name in COUNTS:
        page.locator(f"[name={name}]").fill(str(counts.get(name, 0)))
    submit(page)


def test_damage_points_frozen_in_a_snapshot(page, live_server, office_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    url = live_server.url
    ishikawa = make_organisation(name="石川県", kind=Organisation.Kind.PREFECTURE)
    wajima = make_organisation(name="輪島市", prefecture=ishikawa)
    suzu = make_organisation(name="珠洲市", prefecture=ishikawa)
    disaster = make_disaster(prefecture=ishikawa)
    disaster_url = f"{url}/disaster/{disaster.pk}/"

    sign_in(page, url, office_staff)
    page.goto(disaster_url + "?as_of=2024-02-01")
    page.get_by_role("link", name="被害状況と配分の計算").click()
    damage_url = page.url
    record_figures(page, wajima, destroyed=10, half=4, partial=20)
    record_figures(page, suzu, destroyed=5, major_half=2)
    expect(page.locator("[data-table=figures] tbody tr")).to_have_count(2)

    # The calculation, shown in full.
    page.locator("[name=total]").fill("10000000")
    page.locator("[name=as_of]").fill("2024-01-15")
    page.get_by_role("button", name="計算する").click()
    rows = page.locator("[data-table=allocation] tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("輪島市")
    expect(rows.first).to_contain_text("10 × 100 = 1,000")
    expect(rows.first).to_contain_text("1,160")
    # 10,000,000 × 1,160 / 1,810 = 6,408,839.7… → 6,408,000
    expect(rows.first).to_contain_text("6,408,000")
    expect(rows.nth(1)).to_contain_text("3,591,000")
    expect(page.locator("[data-rounding]")).to_contain_text("千円未満切り捨て")

    # Frozen with the payment decision.
    page.locator("[name=decided_on]").fill("2024-02-01")
    page.locator("[name=reference]").fill("区長会決定第1号")
    page.get_by_role("button", name="確定する").click()
    expect(page.locator(".snapshot-badge")).to_have_text("支払決定により確定")
    expect(page.locator("[data-table=allocation] tfoot")).to_contain_text("1,000")

    # Published as of the decision day.
    page.goto(disaster_url + "?as_of=2024-02-01")
    page.get_by_role("button", name="この集計を公表版として確定").click()
    snapshot_url = page.url
    frozen = page.locator("[data-table=allocations] tbody tr").first
    expect(frozen).to_contain_text("6408000")

    # A later correction of the figures leaves the snapshot as it was.
    page.goto(damage_url)
    page.locator("[data-table=figures] a").first.click()
    page.locator("[name=destroyed]").fill("50")
    submit(page)
    page.goto(snapshot_url)
    expect(page.locator("[data-table=allocations] tbody tr").first).to_contain_text(
        "6408000"
    )
    expect(page.locator("[data-table=allocations] tbody tr").first).to_contain_text(
        "10×100"
    )
