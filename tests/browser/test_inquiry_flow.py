"""照会 end to end: the office asks Ishikawa's members three questions,
七尾市 answers on the page, 金沢市 by Excel, 輪島市 not at all; the reminder
goes to 輪島市 alone and the office's workbook holds exactly the two answers."""

import datetime
import os
import re

import pytest
from django.core import mail
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from boards.inquiries import sheets
from boards.models import Inquiry
from members import permissions
from tests.browser.actions import sign_in, sign_out
from tests.factories import make_organisation, make_user

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = os.environ.get("RENKEI_SCREENSHOTS")
QUESTIONS = ("今年度の観光イベントの件数", "物産展への出展意向", "ご意見")


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.fixture
def people():
    ishikawa = make_organisation(
        name="石川県", kind="prefecture", membership_status="none"
    )
    office_org = make_organisation(name="公益財団法人特別区協議会", kind="body")
    return {
        "office": make_user(
            organisation=office_org,
            role=permissions.OFFICE_STAFF,
            email="office@example.jp",
            display_name="事務局 一郎",
            department="事業推進課",
        ),
        "nanao": make_user(
            organisation=make_organisation(name="七尾市", prefecture=ishikawa),
            email="nanao@example.jp",
        ),
        "kanazawa": make_user(
            organisation=make_organisation(name="金沢市", prefecture=ishikawa),
            email="kanazawa@example.jp",
            display_name="金沢 次郎",
            department="企画調整課",
        ),
        "wajima": make_user(
            organisation=make_organisation(name="輪島市", prefecture=ishikawa),
            email="wajima@example.jp",
            display_name="輪島 三郎",
        ),
    }


def test_an_inquiry_asked_answered_reminded_and_collected(
    page, live_server, people, settings, tmp_path
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    url = live_server.url
    deadline = timezone.localdate() + datetime.timedelta(days=10)

    # The office drafts the inquiry to the members in Ishikawa.
    sign_in(page, url, people["office"])
    page.goto(url + "/inquiries/")
    shot(page, "list-office-empty")
    page.get_by_role("link", name="照会を作成").click()
    page.get_by_role("textbox", name="件名").fill(
        "観光イベントの実施状況について(照会)"
    )
    page.get_by_role("textbox", name="本文").fill("期限までにご回答ください。")
    page.locator("#id_deadline_on").fill(deadline.isoformat())
    page.get_by_role("radio", name="選んだ都道府県の会員団体").check()
    page.locator("summary", has_text="都道府県").click()
    page.get_by_role("checkbox", name="石川県").check()
    shot(page, "create")
    page.get_by_role("button", name="保存して質問を追加").click()

    # Three questions from the builder.
    first = page.locator("fieldset.fieldset").nth(0)
    first.get_by_role("textbox", name="質問").fill("今年度の観光イベントの件数")
    first.get_by_role("combobox", name="回答の形式").select_option(label="数値")
    first.get_by_role("checkbox", name="必須").check()
    page.get_by_role("button", name="質問を追加").click()
    second = page.locator("fieldset.fieldset").nth(1)
    second.get_by_role("textbox", name="質問").fill("物産展への出展意向")
    second.get_by_role("combobox", name="回答の形式").select_option(label="選択（1つ）")
    second.get_by_role("textbox", name="選択肢").fill("出展する\n検討中\n出展しない")
    page.get_by_role("button", name="質問を追加").click()
    third = page.locator("fieldset.fieldset").nth(2)
    third.get_by_role("textbox", name="質問").fill("ご意見")
    shot(page, "builder")
    page.get_by_role("button", name="質問を保存", exact=True).last.click()
    expect(page.get_by_text("質問を保存しました。")).to_be_visible()
    shot(page, "detail-draft")
    page.get_by_role("button", name="照会を送信する").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("回答状況")
    inquiry = Inquiry.objects.get()
    assert inquiry.status == Inquiry.Status.OPEN
    asked = set(inquiry.recipients.values_list("organisation__name", flat=True))
    assert asked == {"七尾市", "金沢市", "輪島市"}
    sign_out(page)

    # 七尾市 drafts, saves, then submits on the page.
    sign_in(page, url, people["nanao"])
    page.goto(url + "/inquiries/")
    expect(page.get_by_role("heading", name="回答が必要な照会")).to_be_visible()
    shot(page, "list-nanao")
    page.get_by_role("link", name="観光イベントの実施状況について(照会)").click()
    page.get_by_role("textbox", name="今年度の観光イベントの件数").fill("１，２００")
    page.get_by_role("button", name="下書き保存").click()
    expect(
        page.get_by_text("下書きを保存しました。まだ提出されていません。")
    ).to_be_visible()
    page.get_by_role("radio", name="検討中").check()
    shot(page, "answer-nanao")
    page.get_by_role("button", name="回答を提出する").click()
    expect(page.get_by_text("貴団体の回答を提出しました。")).to_be_visible()
    expect(page.locator("dl").first).to_contain_text("山田 太郎")
    sign_out(page)

    # 金沢市 downloads its sheet, fills it in, uploads it.
    sign_in(page, url, people["kanazawa"])
    page.goto(url + f"/inquiries/{inquiry.pk}/answer/")
    with page.expect_download() as download:
        page.get_by_role("link", name="回答様式をダウンロード（.xlsx）").click()
    path = tmp_path / "sheet.xlsx"
    download.value.save_as(path)
    workbook = load_workbook(path)
    sheet = workbook[sheets.ANSWER_SHEET]
    places = sheets.layout(inquiry.questions.all())
    sheet[f"D{places[0].row}"] = 5
    sheet[f"D{places[1].row}"] = "出展する"
    sheet[f"D{places[2].row}"] = '=HYPERLINK("http://example.com")'
    workbook.save(path)
    page.get_by_label("記入済みの回答様式（.xlsx）").set_input_files(path)
    page.get_by_role("button", name="アップロードして提出する").click()
    expect(page.get_by_role("alert")).to_contain_text("D10: 数式は使えません")
    sheet[f"D{places[2].row}"] = "特になし"
    workbook.save(path)
    page.get_by_label("記入済みの回答様式（.xlsx）").set_input_files(path)
    page.get_by_role("button", name="アップロードして提出する").click()
    expect(
        page.get_by_text("回答様式の内容を貴団体の回答として提出しました。")
    ).to_be_visible()
    sign_out(page)

    # The office reminds: only 輪島市 has not answered.
    mail.outbox.clear()
    sign_in(page, url, people["office"])
    page.goto(url + f"/inquiries/{inquiry.pk}/progress/")
    page.get_by_role("button", name="未回答の団体に督促する").click()
    expect(page.get_by_text("1団体に督促メールを送信しています。")).to_be_visible()
    assert [message.to for message in mail.outbox] == [["wajima@example.jp"]]
    assert f"/inquiries/{inquiry.pk}/answer/" in mail.outbox[0].body
    shot(page, "progress")
    expect(page.get_by_role("row", name=re.compile("輪島市"))).to_contain_text("未着手")

    # The office's workbook holds exactly the two answers.
    with page.expect_download() as download:
        page.get_by_role("link", name="全回答をダウンロード（Excel）").click()
    download.value.save_as(tmp_path / "answers.xlsx")
    result = load_workbook(tmp_path / "answers.xlsx")
    answers = [row[2:] for row in result["回答一覧"].iter_rows(values_only=True)]
    assert [(row[0], row[1], row[3], row[4], row[5], row[6]) for row in answers] == [
        (
            "団体",
            "提出者",
            "該当なし",
            "今年度の観光イベントの件数",
            "物産展への出展意向",
            "ご意見",
        ),
        ("石川県七尾市", "山田 太郎", None, 1200, "検討中", None),
        ("石川県金沢市", "金沢 次郎", None, 5, "出展する", "特になし"),
    ]
    missing = [
        row[2] for row in result["未回答"].iter_rows(min_row=2, values_only=True)
    ]
    assert missing == ["石川県輪島市"]


def test_inquiry_pages_fit_a_360_pixel_phone(page, live_server, people, settings):
    from tests.factories import make_inquiry

    settings.RENKEI_REQUIRE_STAFF_MFA = False
    nanao = people["nanao"]
    inquiry = make_inquiry(
        sender=people["office"],
        organisations=[nanao.organisation],
        questions=[
            {"kind": "number", "text": "件数", "unit": "件", "required": True},
            {
                "kind": "table",
                "text": "イベント別の回数と参加者数",
                "table_rows": ["講演会", "意見交換会", "フェア"],
                "table_columns": ["回数", "参加者数", "うちオンライン"],
            },
        ],
    )
    page.set_viewport_size({"width": 360, "height": 800})
    sign_in(page, live_server.url, nanao)
    too_wide = {}
    for path in [
        "/inquiries/",
        f"/inquiries/{inquiry.pk}/",
        f"/inquiries/{inquiry.pk}/answer/",
    ]:
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            too_wide[path] = width
    shot(page, "answer-phone")
    assert too_wide == {}
