import re

import pytest
from playwright.sync_api import expect

from boards.models import Addressee, Category, Proposal
from boards.services import collaboration
from members import permissions
from members.models import AccessChange
from tests.browser.actions import sign_in
from tests.factories import make_organisation, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_colleague_carries_on_a_proposal_after_its_author_leaves(
    page, live_server, member, settings
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    url = live_server.url
    chiyoda = make_organisation(name="千代田区", kind="special_ward")
    chiyoda_staff = make_user(
        organisation=chiyoda, role=permissions.WARD_STAFF, email="c@example.jp"
    )
    colleague = make_user(
        organisation=member.organisation,
        email="kohai@example.jp",
        display_name="後任 花子",
    )
    thread = collaboration.thread_start(
        category=Category.objects.get(slug="proposals"),
        author=member,
        title="能登の物産展の共同開催",
        body="区役所での開催をご提案します。",
        details={"field": "tourism"},
        wards=[chiyoda],
    )
    collaboration.addressee_answer(
        addressee=Addressee.objects.get(thread=thread),
        actor=chiyoda_staff,
        state=Addressee.State.INTERESTED,
        comment="会場を調整します。",
    )

    # The colleague turns off the proposer's account, taking over from them.
    sign_in(page, url, colleague)
    page.goto(url + f"/members/{member.organisation_id}/staff/")
    page.locator(f"#successor-{member.pk}").select_option(
        label="後任 花子（観光交流課）"
    )
    page.get_by_role("button", name=re.compile(f"{member.display_name}")).click()
    expect(page.get_by_text("アカウントを無効にしました")).to_be_visible()
    handed = AccessChange.objects.get(user=member, field=AccessChange.Field.HANDOVER)
    assert (handed.new_value, handed.changed_by) == (colleague.email, colleague)

    # The colleague sees the ward's answer and moves the proposal on.
    page.goto(url + f"/boards/t/{thread.pk}/")
    expect(page.get_by_role("row", name=re.compile("千代田区"))).to_contain_text(
        "関心あり"
    )
    expect(page.get_by_text("会場を調整します。")).to_be_visible()
    expect(page.locator("#post-0")).to_contain_text("（異動・退職済み）")
    page.get_by_role("combobox", name="新しい状況").select_option(label="調整中")
    page.get_by_role("button", name="状況を変更する").click()
    expect(page.locator(".thread-details")).to_contain_text("調整中")
    assert Proposal.objects.get(thread=thread).status == "coordinating"
