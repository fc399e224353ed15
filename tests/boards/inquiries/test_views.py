import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from boards.inquiries import sheets
from boards.inquiries.selectors import inquiry_deadlines_for
from boards.models import Answer, Inquiry
from boards.services import inquiries as services
from tests import factories
from tests.security.conftest import _png_upload

pytestmark = pytest.mark.django_db


def url(name, inquiry, *args):
    return reverse(f"inquiries:{name}", args=[inquiry.pk, *args])


def submit(inquiry, organisation, actor, *, number, choice):
    """The organisation's answer to make_inquiry's first two questions
    (a number and a choice), submitted."""
    first, second, *_rest = inquiry.questions.all()
    return services.answer_save(
        inquiry=inquiry,
        organisation=organisation,
        actor=actor,
        values={first.key: number, second.key: choice},
        submit=True,
    )


def in_a_week():
    return (timezone.localdate() + datetime.timedelta(days=7)).isoformat()


# ----- making an inquiry -----


def inquiry_data(**overrides):
    return {
        "title": "防災訓練の実施状況について(照会)",
        "body": "**ご回答ください。**",
        "deadline_on": in_a_week(),
        "audience": "chosen",
        "reminder_days": "3",
        **overrides,
    }


def test_a_member_makes_a_draft_for_chosen_organisations(client, nanao_staff, kanazawa):
    client.force_login(nanao_staff)
    response = client.post(
        reverse("inquiries:create"), inquiry_data(organisations=[kanazawa.pk])
    )
    inquiry = Inquiry.objects.get()
    assert response.url == url("questions", inquiry)
    assert inquiry.status == Inquiry.Status.DRAFT
    assert inquiry.sender_organisation == nanao_staff.organisation
    assert "<strong>ご回答ください。</strong>" in inquiry.body_html
    assert list(inquiry.audience_organisations.all()) == [kanazawa]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"deadline_on": "2020-01-01"}, "deadline_on"),
        ({"deadline_on": "来週"}, "deadline_on"),
        ({"organisations": []}, "organisations"),
        ({"audience": "all"}, "audience"),
        ({"reminder_days": "-1"}, "reminder_days"),
    ],
)
def test_a_bad_inquiry_form_saves_nothing(
    client, nanao_staff, kanazawa, overrides, field
):
    client.force_login(nanao_staff)
    data = {**inquiry_data(organisations=[kanazawa.pk]), **overrides}
    response = client.post(reverse("inquiries:create"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Inquiry.objects.exists()


def test_the_office_may_address_all_members(client, office):
    client.force_login(office)
    client.post(reverse("inquiries:create"), inquiry_data(audience="all"))
    assert Inquiry.objects.get().audience == "all"


# ----- the question builder -----


def builder_data(forms, action="save"):
    data = {
        "form-TOTAL_FORMS": str(len(forms)),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "1",
        "form-MAX_NUM_FORMS": "60",
        "action": action,
    }
    for index, form in enumerate(forms):
        defaults = {"kind": "short_text", "cell_kind": "number"}
        for name, value in {**defaults, **form}.items():
            data[f"form-{index}-{name}"] = value
    return data


@pytest.fixture
def draft(office, nanao, nanao_staff):
    return factories.make_inquiry(sender=office, organisations=[nanao], send=False)


def test_the_builder_saves_questions_in_order(client, office, draft):
    client.force_login(office)
    response = client.post(
        url("questions", draft),
        builder_data(
            [
                {"text": "件数", "kind": "number", "unit": "件", "required": "on"},
                {"text": "意向", "kind": "single_choice", "choices": "する\nしない"},
                {
                    "text": "内訳",
                    "kind": "table",
                    "table_rows": "講演会\nフェア",
                    "table_columns": "回数\n人数",
                },
            ]
        ),
    )
    assert response.status_code == 302
    saved = list(draft.questions.values_list("text", "kind", "required", "choices"))
    assert saved == [
        ("件数", "number", True, []),
        ("意向", "single_choice", False, ["する", "しない"]),
        ("内訳", "table", False, []),
    ]
    assert draft.questions.get(text="内訳").table_columns == ["回数", "人数"]


def test_adding_a_question_keeps_what_was_typed_and_saves_nothing(
    client, office, draft
):
    client.force_login(office)
    response = client.post(
        url("questions", draft), builder_data([{"text": "書きかけ"}], action="add")
    )
    formset = response.context["formset"]
    assert len(formset.forms) == 2
    assert formset.forms[0]["text"].value() == "書きかけ"
    assert list(draft.questions.values_list("text", flat=True)) == [
        "観光イベントの件数",
        "来年度の出展意向",
        "担当者名",
    ]


def test_moving_and_removing_questions(client, office, draft):
    client.force_login(office)
    forms = [{"text": "一"}, {"text": "二"}, {"text": "三"}]
    response = client.post(url("questions", draft), builder_data(forms, "up-2"))
    moved = [f["text"].value() for f in response.context["formset"].forms]
    assert moved == ["一", "三", "二"]
    response = client.post(url("questions", draft), builder_data(forms, "remove-0"))
    assert [f["text"].value() for f in response.context["formset"].forms] == [
        "二",
        "三",
    ]


@pytest.mark.parametrize(
    "form",
    [
        {"text": ""},
        {"text": "選ぶ", "kind": "single_choice", "choices": "ひとつだけ"},
        {"text": "選ぶ", "kind": "multiple_choice", "choices": "同じ\n同じ"},
        {"text": "表", "kind": "table", "table_rows": "行"},
        {"text": "種類", "kind": "unknown"},
    ],
)
def test_a_bad_question_saves_none_of_them(client, office, draft, form):
    client.force_login(office)
    before = list(draft.questions.values_list("pk", flat=True))
    response = client.post(
        url("questions", draft), builder_data([{"text": "良い質問"}, form])
    )
    assert response.status_code == 200
    assert response.context["formset"].forms[1].errors
    assert list(draft.questions.values_list("pk", flat=True)) == before


def test_questions_of_a_sent_inquiry_are_not_edited(client, office, inquiry):
    client.force_login(office)
    response = client.post(url("questions", inquiry), builder_data([{"text": "x"}]))
    assert response.status_code == 403


def test_sending_a_draft(client, office, draft):
    client.force_login(office)
    response = client.post(url("send", draft))
    draft.refresh_from_db()
    assert response.url == url("progress", draft)
    assert draft.status == Inquiry.Status.OPEN
    assert draft.reference


# ----- answering on the page -----


def answer_data(questions, action="submit", **values):
    data = {
        f"q{questions[0].pk}": "1,234",
        f"q{questions[1].pk}": "検討中",
        f"q{questions[2].pk}": "山田",
        "action": action,
    }
    data.update({f"q{questions[int(k[1:])].pk}": v for k, v in values.items()})
    return data


def test_staff_submit_their_organisations_answer(
    client, inquiry, questions, nanao_staff
):
    client.force_login(nanao_staff)
    response = client.post(url("answer", inquiry), answer_data(questions))
    assert response.url == url("answer", inquiry)
    answer = Answer.objects.get()
    assert answer.submitted_by == nanao_staff
    assert answer.versions.get().values[questions[0].key] == "1234"
    page = client.get(url("answer", inquiry)).content.decode()
    assert "山田 太郎" in page
    assert "提出しました" in page


def test_a_draft_is_saved_with_required_questions_empty(
    client, inquiry, questions, nanao_staff
):
    client.force_login(nanao_staff)
    client.post(
        url("answer", inquiry),
        answer_data(questions, action="save", q0="", q1=""),
    )
    answer = Answer.objects.get()
    assert answer.status == Answer.Status.DRAFT
    assert answer.values[questions[2].key] == "山田"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"q0": "たくさん"}, "数値で入力してください"),
        ({"q1": "未定"}, "選択肢の中から選んでください"),
        ({"q0": ""}, "必須の質問です"),
        ({"q2": "一行目\n二行目"}, "1行で入力してください"),
    ],
)
def test_a_bad_answer_saves_nothing(
    client, inquiry, questions, nanao_staff, values, message
):
    client.force_login(nanao_staff)
    response = client.post(url("answer", inquiry), answer_data(questions, **values))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Answer.objects.exists()


def test_not_applicable_is_submitted_without_answers(client, inquiry, nanao_staff):
    client.force_login(nanao_staff)
    client.post(url("answer", inquiry), {"action": "not_applicable"})
    answer = Answer.objects.get()
    assert answer.not_applicable is True
    assert answer.submitted_at is not None


def test_no_answer_after_the_deadline(client, inquiry, questions, nanao_staff):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Inquiry.objects.filter(pk=inquiry.pk).update(deadline_on=yesterday)
    client.force_login(nanao_staff)
    page = client.get(url("answer", inquiry))
    assert "回答期限を過ぎました" in page.content.decode()
    response = client.post(url("answer", inquiry), answer_data(questions))
    assert response.status_code == 403
    assert not Answer.objects.exists()


def test_a_file_question_takes_a_checked_file(client, office, nanao, nanao_staff):
    inquiry = factories.make_inquiry(
        sender=office,
        organisations=[nanao],
        questions=[{"kind": "file", "text": "資料", "required": True}],
    )
    question = inquiry.questions.get()
    client.force_login(nanao_staff)
    bad = SimpleUploadedFile("a.exe", b"MZ\x90\x00not a document")
    response = client.post(
        url("answer", inquiry), {f"q{question.pk}": bad, "action": "submit"}
    )
    assert response.status_code == 400
    assert not Answer.objects.exists()
    png = _png_upload()
    good = SimpleUploadedFile("写真.png", png.content, content_type="image/png")
    client.post(url("answer", inquiry), {f"q{question.pk}": good, "action": "submit"})
    answer = Answer.objects.get()
    assert answer.values[question.key]["name"] == "写真.png"
    stored = answer.files.get()
    response = client.get(url("answer_file_download", inquiry, stored.pk))
    assert response.status_code == 200


# ----- answering by Excel -----


def filled_sheet(client, inquiry, questions, count="２０"):
    data = client.get(url("answer_sheet", inquiry)).getvalue()
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook[sheets.ANSWER_SHEET]
    places = sheets.layout(questions)
    sheet[f"D{places[0].row}"] = count
    sheet[f"D{places[1].row}"] = "出展しない"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("回答.xlsx", buffer.getvalue())


def test_an_uploaded_sheet_submits_the_answer(
    client, inquiry, questions, kanazawa_staff
):
    client.force_login(kanazawa_staff)
    upload = filled_sheet(client, inquiry, questions)
    response = client.post(url("answer_upload", inquiry), {"sheet": upload})
    assert response.url == url("answer", inquiry)
    version = Answer.objects.get().versions.get()
    assert version.values[questions[0].key] == "20"
    assert version.submitted_by == kanazawa_staff


def test_a_bad_sheet_lists_its_cells_and_saves_nothing(
    client, inquiry, questions, kanazawa_staff
):
    client.force_login(kanazawa_staff)
    upload = filled_sheet(client, inquiry, questions, count="二十")
    response = client.post(url("answer_upload", inquiry), {"sheet": upload})
    assert response.status_code == 400
    assert "D8: 数値で入力してください" in response.content.decode()
    assert not Answer.objects.exists()


def test_a_shift_jis_csv_is_refused_clearly(client, inquiry, kanazawa_staff):
    client.force_login(kanazawa_staff)
    csv = SimpleUploadedFile("回答.csv", "団体,件数\n金沢市,３\n".encode("cp932"))
    response = client.post(url("answer_upload", inquiry), {"sheet": csv})
    assert response.status_code == 400
    page = response.content.decode()
    assert "「回答.csv」は回答様式ではありません" in page
    assert "CSVファイル" in page
    assert "PDF" not in page
    assert not Answer.objects.exists()


def test_a_sheet_uploaded_after_the_deadline_changes_nothing(
    client, inquiry, questions, kanazawa, kanazawa_staff
):
    client.force_login(kanazawa_staff)
    upload = filled_sheet(client, inquiry, questions)
    submit(inquiry, kanazawa, kanazawa_staff, number="3", choice="出展する")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Inquiry.objects.filter(pk=inquiry.pk).update(deadline_on=yesterday)
    response = client.post(url("answer_upload", inquiry), {"sheet": upload})
    assert response.status_code == 403
    answer = Answer.objects.get()
    assert answer.values[questions[0].key] == "3"
    assert answer.versions.count() == 1


def test_a_sheet_of_another_organisation_is_refused_on_upload(
    client, inquiry, questions, nanao_staff, kanazawa_staff
):
    client.force_login(nanao_staff)
    upload = filled_sheet(client, inquiry, questions)
    client.force_login(kanazawa_staff)
    response = client.post(url("answer_upload", inquiry), {"sheet": upload})
    assert response.status_code == 400
    assert "別の団体のもの" in response.content.decode()
    assert not Answer.objects.exists()


# ----- who sees what -----


def test_anonymous_people_are_sent_to_sign_in(client, inquiry, nanao):
    for name, args in [
        ("list", []),
        ("create", []),
        ("detail", [inquiry.pk]),
        ("answer", [inquiry.pk]),
        ("answer_sheet", [inquiry.pk]),
        ("progress", [inquiry.pk]),
        ("answer_detail", [inquiry.pk, nanao.pk]),
        ("export", [inquiry.pk, "xlsx"]),
    ]:
        response = client.get(reverse(f"inquiries:{name}", args=args))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_an_organisation_not_asked_finds_nothing(client, inquiry, nanao):
    outsider = factories.make_user()
    client.force_login(outsider)
    for name, args in [
        ("detail", []),
        ("answer", []),
        ("answer_sheet", []),
        ("progress", []),
        ("answer_detail", [nanao.pk]),
        ("export", ["xlsx"]),
        ("export", ["csv"]),
    ]:
        assert client.get(url(name, inquiry, *args)).status_code == 404, name


def test_a_guessed_url_of_another_organisations_answer_is_404(
    client, inquiry, questions, nanao, nanao_staff, kanazawa_staff
):
    services.answer_save(
        inquiry=inquiry,
        organisation=nanao,
        actor=nanao_staff,
        values={questions[2].key: "七尾の秘密"},
    )
    client.force_login(kanazawa_staff)
    response = client.get(url("answer_detail", inquiry, nanao.pk))
    assert response.status_code == 404
    assert "七尾の秘密" not in client.get(url("answer", inquiry)).content.decode()


def test_those_asked_do_not_see_progress_or_exports(client, inquiry, nanao_staff):
    client.force_login(nanao_staff)
    assert client.get(url("progress", inquiry)).status_code == 404
    assert client.get(url("export", inquiry, "xlsx")).status_code == 404
    assert client.post(url("remind", inquiry)).status_code == 404


def test_ward_staff_of_another_organisation_see_nothing(client, inquiry, ward_staff):
    client.force_login(ward_staff)
    assert client.get(url("detail", inquiry)).status_code == 404
    assert client.get(url("progress", inquiry)).status_code == 404


def test_the_sender_sees_each_answer(
    client, office, inquiry, questions, nanao, nanao_staff
):
    submit(inquiry, nanao, nanao_staff, number="7", choice="検討中")
    client.force_login(office)
    page = client.get(url("answer_detail", inquiry, nanao.pk)).content.decode()
    assert "検討中" in page
    assert "山田 太郎" in page


def test_shared_totals_name_nobody(
    client, office, nanao, kanazawa, nanao_staff, kanazawa_staff
):
    inquiry = factories.make_inquiry(
        sender=office, organisations=[nanao, kanazawa], share_results=True
    )
    submit(inquiry, nanao, nanao_staff, number="1", choice="検討中")
    client.force_login(kanazawa_staff)
    page = client.get(url("detail", inquiry)).content.decode()
    assert "現在の集計" in page
    assert "七尾市" not in page


def test_the_sender_shares_the_totals_after_the_answers_are_in(
    client, office, inquiry, questions, nanao, nanao_staff, kanazawa_staff
):
    submit(inquiry, nanao, nanao_staff, number="1", choice="検討中")
    services.inquiry_close(inquiry=inquiry, actor=office)
    client.force_login(office)
    response = client.post(url("share_results", inquiry), {"share": "1"})
    assert response.url == url("progress", inquiry)
    client.force_login(kanazawa_staff)
    page = client.get(url("detail", inquiry)).content.decode()
    assert "現在の集計" in page
    assert "七尾市" not in page
    client.force_login(office)
    client.post(url("share_results", inquiry), {"share": "0"})
    client.force_login(kanazawa_staff)
    assert "現在の集計" not in client.get(url("detail", inquiry)).content.decode()


def test_those_asked_cannot_share_the_totals(client, inquiry, kanazawa_staff):
    client.force_login(kanazawa_staff)
    response = client.post(url("share_results", inquiry), {"share": "1"})
    assert response.status_code == 404
    inquiry.refresh_from_db()
    assert inquiry.share_results is False


def test_totals_are_not_shown_unless_shared(client, inquiry, kanazawa_staff):
    client.force_login(kanazawa_staff)
    assert "現在の集計" not in client.get(url("detail", inquiry)).content.decode()


# ----- list pages stay flat -----


def test_the_list_page_query_count_stays_flat(
    client, django_assert_max_num_queries, office, nanao, nanao_staff, uncached
):
    client.force_login(nanao_staff)
    factories.make_inquiry(sender=office, organisations=[nanao])
    factories.make_inquiry(sender=nanao_staff, organisations=[office.organisation])
    client.get(reverse("inquiries:list"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("inquiries:list"))
    for _ in range(8):
        factories.make_inquiry(sender=office, organisations=[nanao])
        factories.make_inquiry(sender=nanao_staff, organisations=[office.organisation])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("inquiries:list"))
    assert len(response.context["received"]) == 9
    assert len(response.context["sent"]) == 9


def test_the_progress_page_query_count_stays_flat(
    client, django_assert_max_num_queries, office, ishikawa, uncached
):
    first = [factories.make_organisation(prefecture=ishikawa) for _ in range(2)]
    inquiry = factories.make_inquiry(sender=office, organisations=first)
    client.force_login(office)
    client.get(url("progress", inquiry))
    with django_assert_max_num_queries(12) as few:
        client.get(url("progress", inquiry))
    more = [factories.make_organisation() for _ in range(15)]
    bigger = factories.make_inquiry(sender=office, organisations=first + more)
    for organisation in more[:5]:
        staff = factories.make_user(organisation=organisation)
        services.answer_save(
            inquiry=bigger, organisation=organisation, actor=staff, values={}
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("progress", bigger))
    assert len(response.context["progress"].rows) == 17


def test_the_progress_page_counts_by_prefecture_and_by_kind(
    client, office, ishikawa, nanao, kanazawa, nanao_staff, kanazawa_staff
):
    village = factories.make_organisation(
        name="白川村", kind="village", prefecture=factories.make_prefecture("岐阜県")
    )
    inquiry = factories.make_inquiry(
        sender=office, organisations=[nanao, kanazawa, village]
    )
    submit(inquiry, nanao, nanao_staff, number="1", choice="検討中")
    services.answer_save(
        inquiry=inquiry, organisation=kanazawa, actor=kanazawa_staff, values={}
    )
    client.force_login(office)
    progress = client.get(url("progress", inquiry)).context["progress"]
    # (name, answered, drafting, not started, total)
    assert progress.by_area == [("岐阜県", 0, 0, 1, 1), ("石川県", 1, 1, 0, 2)]
    assert progress.by_kind == [("市", 1, 1, 0, 2), ("村", 0, 0, 1, 1)]
    assert progress.counts == [("answered", 1), ("drafting", 1), ("not_started", 1)]


def test_the_deadline_is_shown_in_the_japanese_era(client, office, nanao, nanao_staff):
    inquiry = factories.make_inquiry(
        sender=office,
        organisations=[nanao],
        deadline_on=datetime.date(2027, 1, 15),
        deadline_time=datetime.time(17, 0),
    )
    client.force_login(nanao_staff)
    for page in (url("detail", inquiry), reverse("inquiries:list")):
        assert "令和9年1月15日" in client.get(page).content.decode()


def test_an_attachment_goes_with_the_inquiry_to_those_asked(
    client, office, nanao_staff, kanazawa_staff
):
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    client.force_login(office)
    client.post(
        reverse("inquiries:create"),
        inquiry_data(
            audience="chosen",
            organisations=[nanao_staff.organisation_id],
            attachments=[SimpleUploadedFile("回答様式.pdf", pdf)],
        ),
    )
    inquiry = Inquiry.objects.get()
    services.inquiry_set_questions(
        inquiry=inquiry, actor=office, questions=factories.THREE_QUESTIONS
    )
    services.inquiry_send(inquiry=inquiry, actor=office)
    attachment = inquiry.attachments.get()
    assert attachment.original_name == "回答様式.pdf"
    download = url("attachment_download", inquiry, attachment.pk)
    client.force_login(nanao_staff)
    assert download in client.get(url("detail", inquiry)).content.decode()
    response = client.get(download)
    assert b"".join(response.streaming_content) == pdf
    client.force_login(kanazawa_staff)
    assert client.get(download).status_code == 404


# ----- for the calendar -----


def test_deadlines_for_the_calendar(inquiry, office, nanao_staff):
    other = factories.make_user()
    start = inquiry.deadline_on - datetime.timedelta(days=1)
    end = inquiry.deadline_on + datetime.timedelta(days=1)
    assert list(inquiry_deadlines_for(nanao_staff, start, end)) == [inquiry]
    assert list(inquiry_deadlines_for(office, start, end)) == [inquiry]
    assert list(inquiry_deadlines_for(other, start, end)) == []
    assert list(inquiry_deadlines_for(nanao_staff, end, end)) == []


# ----- the sender's actions -----


def test_a_bad_extension_changes_nothing(client, office, inquiry):
    client.force_login(office)
    before = inquiry.deadline_on
    client.post(url("extend", inquiry), {"deadline_on": "いつか"})
    earlier = (before - datetime.timedelta(days=1)).isoformat()
    response = client.post(url("extend", inquiry), {"deadline_on": earlier})
    inquiry.refresh_from_db()
    assert inquiry.deadline_on == before
    assert response.url == url("progress", inquiry)


def test_the_sender_extends_the_deadline(client, office, inquiry):
    client.force_login(office)
    later = inquiry.deadline_on + datetime.timedelta(days=5)
    client.post(url("extend", inquiry), {"deadline_on": later.isoformat()})
    inquiry.refresh_from_db()
    assert inquiry.deadline_on == later


def test_the_sender_closes_the_inquiry_on_the_page(client, office, inquiry):
    client.force_login(office)
    client.post(url("close", inquiry))
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.CLOSED


def test_the_office_reads_inquiries_in_admin(client, office, inquiry):
    client.force_login(office)
    assert client.get(reverse("admin:boards_inquiry_changelist")).status_code == 200
    page = client.get(reverse("admin:boards_inquiry_change", args=[inquiry.pk]))
    assert page.status_code == 200
    assert inquiry.reference in page.content.decode()


def test_members_do_not_reach_inquiries_in_admin(client, nanao_staff):
    client.force_login(nanao_staff)
    response = client.get(reverse("admin:boards_inquiry_changelist"))
    assert response.status_code == 302


def test_a_table_question_is_answered_cell_by_cell(client, office, nanao, nanao_staff):
    inquiry = factories.make_inquiry(
        sender=office,
        organisations=[nanao],
        questions=[
            {
                "kind": "table",
                "text": "参加者数",
                "required": True,
                "table_rows": ["講演会", "フェア"],
                "table_columns": ["回数", "人数"],
            }
        ],
    )
    question = inquiry.questions.get()
    client.force_login(nanao_staff)
    cells = {
        f"q{question.pk}_r0_c0": "1",
        f"q{question.pk}_r0_c1": "１５３",
        f"q{question.pk}_r1_c0": "2",
        f"q{question.pk}_r1_c1": "多い",
    }
    response = client.post(url("answer", inquiry), {**cells, "action": "submit"})
    assert response.status_code == 400
    assert "数値で入力してください" in response.content.decode()
    assert not Answer.objects.exists()
    cells[f"q{question.pk}_r1_c1"] = "80"
    client.post(url("answer", inquiry), {**cells, "action": "submit"})
    version = Answer.objects.get().versions.get()
    assert version.values[question.key] == [["1", "153"], ["2", "80"]]
