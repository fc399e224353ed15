"""A ward enters its 受援計画 on the site, and its sheet prints on one A4 page
even when the plan is long."""

import re

import pytest
from playwright.sync_api import expect

from disaster_support.models import (
    ReceptionNeed,
    ReceptionPartner,
    ReceptionPlan,
    ReceptionSite,
    WorkType,
)
from members import permissions
from members.models import Organisation
from tests.browser.actions import sign_in
from tests.factories import make_organisation, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_ward_enters_its_plan_and_prints_it_on_one_page(page, live_server, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    url = live_server.url
    shinjuku = make_organisation(name="新宿区", kind=Organisation.Kind.SPECIAL_WARD)
    staff = make_user(
        organisation=shinjuku, role=permissions.WARD_STAFF, email="shinjuku@example.jp"
    )
    kumamoto = make_organisation(name="熊本市")
    work_type = WorkType.objects.order_by("order").first()

    sign_in(page, url, staff)
    page.goto(url + "/disaster/")
    page.get_by_role("link", name="各区の受援計画").click()
    page.get_by_role("row", name=re.compile("新宿区")).get_by_role(
        "link", name="編集"
    ).click()
    page.locator("[name=department]").fill("危機管理課")
    page.locator("[name=phone]").fill("03-5273-0000")
    page.locator("[name=email]").fill("juen@example.jp")
    page.locator("[name=after_hours]").fill("防災センター 03-5273-1111 (24時間)")
    page.locator("[name='needs-0-work_type']").select_option(str(work_type.pk))
    page.locator("[name='needs-0-people']").fill("20")
    page.locator("[name='needs-0-days']").fill("30")
    page.locator("[name='sites-0-kind']").select_option("lodging")
    page.locator("[name='sites-0-name']").fill("新宿スポーツセンター")
    page.locator("[name='sites-0-address']").fill("新宿区大久保3-5-1")
    page.locator("[name='sites-0-capacity']").fill("80")
    page.locator("[name='partners-0-rank']").fill("1")
    page.locator("[name='partners-0-organisation']").select_option(str(kumamoto.pk))
    page.locator("main form[method=post] button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新宿区の受援計画")
    expect(page.locator("[data-table=reception-partners]")).to_contain_text("熊本市")

    # A long plan: every work type, a dozen sites and ten partners.
    plan = ReceptionPlan.objects.get(ward=shinjuku)
    for work in WorkType.objects.exclude(pk=work_type.pk)[:11]:
        ReceptionNeed.objects.create(
            plan=plan, work_type=work, people=10, days=14, note="交代制で受入れ"
        )
    for number in range(12):
        ReceptionSite.objects.create(
            plan=plan,
            kind="base" if number % 2 else "lodging",
            name=f"区立施設{number}",
            address=f"新宿区西新宿2-8-{number}",
            capacity=50,
        )
    for number in range(9):
        ReceptionPartner.objects.create(
            plan=plan,
            rank=number + 2,
            organisation=make_organisation(name=f"協定市{number}"),
            note="災害時相互応援協定",
        )
    page.reload()
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert pdf_pages(pdf) == 1
