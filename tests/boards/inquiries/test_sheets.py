"""The Excel round-trip: the answer sheet downloaded, filled with openpyxl
and uploaded again, and every bad sheet refused with nothing saved."""

import io

import pytest
from openpyxl import load_workbook

from boards.inquiries import sheets
from boards.inquiries.sheets import ANSWER_COLUMN, SheetRefused, layout
from boards.models import Answer, Question
from boards.services import inquiries as services
from tests import factories
from tests.security.conftest import _png_upload

pytestmark = pytest.mark.django_db

EVERY_KIND = [
    {"kind": "number", "text": "件数", "unit": "件", "required": True},
    {"kind": "single_choice", "text": "意向", "choices": ["はい", "検討中", "いいえ"]},
    {"kind": "multiple_choice", "text": "分野", "choices": ["観光", "防災", "文化"]},
    {"kind": "yes_no", "text": "実施の有無"},
    {"kind": "date", "text": "実施日"},
    {"kind": "short_text", "text": "担当者"},
    {"kind": "long_text", "text": "意見"},
    {"kind": "file", "text": "資料"},
    {
        "kind": "table",
        "text": "イベント別参加者数",
        "table_rows": ["講演会", "物産展"],
        "table_columns": ["回数", "参加者"],
    },
]


@pytest.fixture
def rich(office, nanao, kanazawa, nanao_staff, kanazawa_staff):
    return factories.make_inquiry(
        sender=office, organisations=[nanao, kanazawa], questions=EVERY_KIND
    )


def download(inquiry, organisation):
    data = sheets.answer_sheet(inquiry=inquiry, organisation=organisation)
    return load_workbook(io.BytesIO(data))


def places(inquiry):
    return {place.question.text: place for place in layout(inquiry.questions.all())}


def cell(place, offset=0, row=None):
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(ANSWER_COLUMN + offset)}{row or place.row}"


def save(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def fill(inquiry, workbook, **overrides):
    """Fill every answer cell the way a person would in Excel."""
    sheet = workbook[sheets.ANSWER_SHEET]
    p = places(inquiry)
    answers = {
        cell(p["件数"]): "１，２３４",
        cell(p["意向"]): "検討中",
        cell(p["分野"], row=p["分野"].rows[0]): "○",
        cell(p["分野"], row=p["分野"].rows[2]): "○",
        cell(p["実施の有無"]): "はい",
        cell(p["実施日"]): "2026/10/1",
        cell(p["担当者"]): "金沢 次郎",
        cell(p["意見"]): "特になし",
        cell(p["イベント別参加者数"], 0, p["イベント別参加者数"].rows[0]): 2,
        cell(p["イベント別参加者数"], 1, p["イベント別参加者数"].rows[0]): "１５３",
        cell(p["イベント別参加者数"], 0, p["イベント別参加者数"].rows[1]): 1,
        cell(p["イベント別参加者数"], 1, p["イベント別参加者数"].rows[1]): 80,
    }
    answers.update(overrides)
    for ref, value in answers.items():
        sheet[ref] = value
    return save(workbook)


def read(inquiry, organisation, data):
    return sheets.read_answer_sheet(
        data=data, inquiry=inquiry, organisation=organisation
    )


def test_a_filled_sheet_round_trips_every_kind(rich, kanazawa):
    result = read(rich, kanazawa, fill(rich, download(rich, kanazawa)))
    by_text = {q.text: result.values.get(q.key) for q in rich.questions.all()}
    assert by_text == {
        "件数": "1234",
        "意向": "検討中",
        "分野": ["観光", "文化"],
        "実施の有無": True,
        "実施日": "2026-10-01",
        "担当者": "金沢 次郎",
        "意見": "特になし",
        "資料": None,
        "イベント別参加者数": [["2", "153"], ["1", "80"]],
    }
    assert result.not_applicable is False


def test_the_sheet_carries_validation_lists_and_protection(rich, kanazawa):
    workbook = download(rich, kanazawa)
    sheet = workbook[sheets.ANSWER_SHEET]
    assert sheet.protection.sheet is True
    p = places(rich)
    assert sheet[cell(p["件数"])].protection.locked is False
    assert sheet["B" + str(p["件数"].row)].protection.locked is True
    formulas = {dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert '"はい,検討中,いいえ"' in formulas
    assert '"はい,いいえ"' in formulas
    assert workbook[sheets.META_SHEET].sheet_state == "hidden"


def test_each_question_row_shows_whether_required_its_unit_and_help(
    office, nanao, nanao_staff
):
    inquiry = factories.make_inquiry(
        sender=office,
        organisations=[nanao],
        questions=[
            {
                "kind": "number",
                "text": "件数",
                "unit": "件",
                "required": True,
                "help_text": "令和7年度の実績を記入してください。",
            },
            {"kind": "short_text", "text": "担当者"},
        ],
    )
    sheet = download(inquiry, nanao)[sheets.ANSWER_SHEET]
    count, person = layout(inquiry.questions.all())
    assert [c.value for c in sheet[count.row]][:6] == [
        "1",
        "件数",
        "※",
        None,
        "件",
        "令和7年度の実績を記入してください。",
    ]
    assert [c.value for c in sheet[person.row]][:3] == ["2", "担当者", None]


def test_a_long_choice_list_comes_from_a_hidden_sheet(office, nanao, nanao_staff):
    choices = [f"選択肢その{n:03d}　とても長い説明つき" for n in range(30)]
    inquiry = factories.make_inquiry(
        sender=office,
        organisations=[nanao],
        questions=[{"kind": "single_choice", "text": "選ぶ", "choices": choices}],
    )
    workbook = download(inquiry, nanao)
    sheet = workbook[sheets.ANSWER_SHEET]
    (check,) = sheet.data_validations.dataValidation[1:]
    assert check.formula1 == "'lists'!$A$1:$A$30"
    assert workbook[sheets.LISTS_SHEET].sheet_state == "hidden"
    assert workbook[sheets.LISTS_SHEET]["A30"].value == choices[-1]


def test_text_that_looks_like_a_formula_is_made_safe_on_export(
    inquiry, questions, nanao, nanao_staff
):
    services.answer_save(
        inquiry=inquiry,
        organisation=nanao,
        actor=nanao_staff,
        values={questions[2].key: '=HYPERLINK("http://x")'},
    )
    answer = Answer.objects.get()
    data = sheets.answer_sheet(inquiry=inquiry, organisation=nanao, answer=answer)
    sheet = load_workbook(io.BytesIO(data))[sheets.ANSWER_SHEET]
    written = sheet[cell(places(inquiry)["担当者名"])]
    assert written.data_type == "s"
    assert written.value == '\'=HYPERLINK("http://x")'


def test_the_escaped_text_reads_back_as_typed(inquiry, questions, nanao):
    workbook = download(inquiry, nanao)
    sheet = workbook[sheets.ANSWER_SHEET]
    p = places(inquiry)
    sheet[cell(p["観光イベントの件数"])] = 3
    sheet[cell(p["来年度の出展意向"])] = "検討中"
    sheet[cell(p["担当者名"])] = "'+81 76"
    result = read(inquiry, nanao, save(workbook))
    assert result.values[questions[2].key] == "+81 76"


def test_not_applicable_needs_no_answers(rich, kanazawa):
    workbook = download(rich, kanazawa)
    workbook[sheets.ANSWER_SHEET][f"D{sheets.NOT_APPLICABLE_ROW}"] = "○"
    result = read(rich, kanazawa, save(workbook))
    assert result.not_applicable is True


def refusal(inquiry, organisation, data):
    with pytest.raises(SheetRefused) as caught:
        read(inquiry, organisation, data)
    return caught.value


def refused_cells(inquiry, organisation, overrides):
    """The refusal of a filled sheet with some cells overridden."""
    workbook = download(inquiry, organisation)
    return refusal(inquiry, organisation, fill(inquiry, workbook, **overrides))


def test_a_sheet_of_another_organisation_is_refused(rich, nanao, kanazawa):
    error = refusal(rich, nanao, fill(rich, download(rich, kanazawa)))
    assert error.code == "other_organisation"


def test_a_sheet_of_another_inquiry_is_refused(rich, office, kanazawa):
    other = factories.make_inquiry(
        sender=office, organisations=[kanazawa], questions=EVERY_KIND
    )
    error = refusal(rich, kanazawa, fill(other, download(other, kanazawa)))
    assert error.code == "other_inquiry"


def test_a_sheet_with_a_changed_question_list_is_refused(rich, kanazawa):
    data = fill(rich, download(rich, kanazawa))
    Question.objects.filter(inquiry=rich, text="意見").update(text="ご意見")
    error = refusal(rich, kanazawa, data)
    assert error.code == "questions_changed"
    assert "ダウンロードし直して" in error.messages[0]


def test_a_formula_is_refused_in_its_cell(rich, kanazawa):
    p = places(rich)
    ref = cell(p["件数"])
    error = refused_cells(rich, kanazawa, {ref: "=1+1"})
    assert error.messages == [f"{ref}: 数式は使えません。値を直接入力してください"]


def test_a_number_cell_with_text_is_refused_with_its_cell(rich, kanazawa):
    ref = cell(places(rich)["件数"])
    error = refused_cells(rich, kanazawa, {ref: "多数"})
    assert error.messages == [f"{ref}: 数値で入力してください"]


def test_a_choice_not_in_the_list_is_refused(rich, kanazawa):
    ref = cell(places(rich)["意向"])
    error = refused_cells(rich, kanazawa, {ref: "未定"})
    assert error.messages == [f"{ref}: 選択肢の中から選んでください"]


def test_a_required_question_left_empty_is_refused(rich, kanazawa):
    ref = cell(places(rich)["件数"])
    error = refused_cells(rich, kanazawa, {ref: None})
    assert error.messages == [f"{ref}: 必須の質問です。回答を入力してください"]


def test_every_bad_cell_is_listed_at_once(rich, kanazawa):
    p = places(rich)
    table = p["イベント別参加者数"]
    bad = {
        cell(p["件数"]): "たくさん",
        cell(p["実施日"]): "来月",
        cell(table, 1, table.rows[1]): "八十",
    }
    error = refused_cells(rich, kanazawa, bad)
    assert [message.split(":")[0] for message in error.messages] == list(bad)


def test_a_required_file_not_yet_attached_is_named_with_its_cell(
    office, nanao, nanao_staff
):
    inquiry = factories.make_inquiry(
        sender=office,
        organisations=[nanao],
        questions=[
            {"kind": "number", "text": "件数"},
            {"kind": "file", "text": "実施報告書", "required": True},
        ],
    )
    count, document = layout(inquiry.questions.all())
    workbook = download(inquiry, nanao)
    workbook[sheets.ANSWER_SHEET][cell(count)] = "3"
    data = save(workbook)
    error = refusal(inquiry, nanao, data)
    assert error.messages == [
        f"{cell(document)}: 「実施報告書」はファイルで回答する質問です。"
        "回答のページでファイルを添付して下書き保存してから、"
        "この回答様式をもう一度アップロードしてください。"
    ]
    services.answer_save(
        inquiry=inquiry,
        organisation=nanao,
        actor=nanao_staff,
        values={},
        uploads={document.question.key: _png_upload()},
    )
    answer = services.answer_import(
        inquiry=inquiry, organisation=nanao, actor=nanao_staff, data=data
    )
    assert answer.status == Answer.Status.SUBMITTED
    assert answer.values[document.question.key]["name"] == "写真.png"


def test_a_ten_thousand_row_sheet_is_refused_clearly(rich, kanazawa):
    workbook = download(rich, kanazawa)
    sheet = workbook[sheets.ANSWER_SHEET]
    for row in range(100, 10_100):
        sheet.cell(row, 2).value = row
    error = refusal(rich, kanazawa, fill(rich, workbook))
    assert error.code == "too_many_rows"
    assert "5,000" in error.messages[0]


def test_a_file_that_is_not_a_workbook_is_refused(rich, kanazawa):
    error = refusal(rich, kanazawa, b"PK\x03\x04 not really a zip")
    assert error.code == "unreadable"


def test_a_plain_workbook_is_not_an_answer_sheet(rich, kanazawa):
    from openpyxl import Workbook

    error = refusal(rich, kanazawa, save(Workbook()))
    assert error.code == "not_an_answer_sheet"


def test_a_refused_upload_saves_nothing(rich, kanazawa, kanazawa_staff):
    ref = cell(places(rich)["件数"])
    data = fill(rich, download(rich, kanazawa), **{ref: "多数"})
    with pytest.raises(SheetRefused):
        services.answer_import(
            inquiry=rich, organisation=kanazawa, actor=kanazawa_staff, data=data
        )
    assert not Answer.objects.exists()


def test_an_upload_submits_the_answer(rich, kanazawa, kanazawa_staff):
    data = fill(rich, download(rich, kanazawa))
    answer = services.answer_import(
        inquiry=rich, organisation=kanazawa, actor=kanazawa_staff, data=data
    )
    assert answer.submitted_by == kanazawa_staff
    assert answer.versions.get().values[rich.questions.get(text="件数").key] == "1234"


def test_the_saved_draft_is_in_the_downloaded_sheet(
    inquiry, questions, nanao, nanao_staff
):
    answer = services.answer_save(
        inquiry=inquiry,
        organisation=nanao,
        actor=nanao_staff,
        values={questions[0].key: "42", questions[1].key: "検討中"},
    )
    data = sheets.answer_sheet(inquiry=inquiry, organisation=nanao, answer=answer)
    sheet = load_workbook(io.BytesIO(data))[sheets.ANSWER_SHEET]
    p = places(inquiry)
    assert sheet[cell(p["観光イベントの件数"])].value == 42
    assert sheet[cell(p["来年度の出展意向"])].value == "検討中"
