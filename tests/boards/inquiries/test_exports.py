import csv
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from boards.inquiries import sheets
from boards.services import inquiries as services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(inquiry, questions, nanao, nanao_staff, kanazawa_staff):
    """七尾市 submitted; 金沢市 saved a draft only."""
    services.answer_save(
        inquiry=inquiry,
        organisation=nanao,
        actor=nanao_staff,
        values={
            questions[0].key: "12",
            questions[1].key: "出展する",
            questions[2].key: "=cmd",
        },
        submit=True,
    )
    # A later draft does not change what was submitted.
    services.answer_save(
        inquiry=inquiry,
        organisation=nanao,
        actor=nanao_staff,
        values={questions[0].key: "99"},
    )
    services.answer_save(
        inquiry=inquiry,
        organisation=kanazawa_staff.organisation,
        actor=kanazawa_staff,
        values={questions[2].key: "途中"},
    )
    return inquiry


def rows(workbook, title):
    return [list(row) for row in workbook[title].iter_rows(values_only=True)]


def test_the_workbook_has_one_row_per_submitted_answer(answered, nanao):
    workbook = load_workbook(io.BytesIO(sheets.answers_workbook(answered)))
    answer = answered.answers.get(organisation=nanao)
    at = timezone.localtime(answer.submitted_at).strftime("%Y-%m-%d %H:%M")
    expected_values = [12, "出展する", "'=cmd"]
    assert rows(workbook, "回答一覧") == [
        [
            "団体コード",
            "都道府県",
            "団体",
            "提出者",
            "提出日時",
            "該当なし",
            "観光イベントの件数",
            "来年度の出展意向",
            "担当者名",
        ],
        [nanao.code, "石川県", "石川県七尾市", "山田 太郎", at, None, *expected_values],
    ]


def test_the_workbook_lists_who_has_not_answered(answered, kanazawa):
    workbook = load_workbook(io.BytesIO(sheets.answers_workbook(answered)))
    assert rows(workbook, "未回答") == [
        ["団体コード", "都道府県", "団体", "状況"],
        [kanazawa.code, "石川県", "石川県金沢市", "作成中"],
    ]


def test_a_table_question_has_its_own_sheet(office, nanao, nanao_staff):
    inquiry = factories.make_inquiry(
        sender=office,
        organisations=[nanao],
        questions=[
            {
                "kind": "table",
                "text": "参加者数",
                "table_rows": ["講演会", "フェア"],
                "table_columns": ["回数", "人数"],
            }
        ],
    )
    key = inquiry.questions.get().key
    services.answer_save(
        inquiry=inquiry,
        organisation=nanao,
        actor=nanao_staff,
        values={key: [["1", "153"], ["2", None]]},
        submit=True,
    )
    workbook = load_workbook(io.BytesIO(sheets.answers_workbook(inquiry)))
    assert workbook.sheetnames == ["回答一覧", "表（質問1）", "未回答"]
    assert rows(workbook, "表（質問1）") == [
        ["団体コード", "団体", "参加者数", "回数", "人数"],
        [nanao.code, "石川県七尾市", "講演会", 1, 153],
        [nanao.code, "石川県七尾市", "フェア", 2, None],
    ]


def test_the_csv_is_the_main_sheet_with_a_bom(answered, nanao):
    data = sheets.answers_csv(answered)
    assert data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0][:3] == ["団体コード", "都道府県", "団体"]
    assert table[1][0] == nanao.code
    assert table[1][-3:] == ["12", "出展する", "'=cmd"]
    assert len(table) == 2
