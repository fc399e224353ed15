import csv
import io

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members import csv_io
from members.forms import CSV_IMPORT_MODES, MemberCsvApplyForm, MemberCsvImportForm
from members.models import (
    ContactChange,
    MembershipChange,
    MembershipStatus,
    Organisation,
)
from members.services import imports, organisations
from tests import factories

pytestmark = pytest.mark.django_db

EXPORT_HEADER = [
    "団体コード",
    "都道府県",
    "団体名",
    "ふりがな",
    "種別",
    "会員状況",
    "登録日",
    "担当部署",
    "担当者",
    "メールアドレス",
    "電話番号",
    "郵便番号",
    "住所",
    "連絡先確認日",
]
IMPORT_HEADER = "団体コード,団体名,会員状況,担当部署,担当者,メールアドレス,電話番号"
MEMBER = str(MembershipStatus.MEMBER.label)


def csv_file(*rows, header=IMPORT_HEADER, bom=True, encoding="utf-8"):
    text = "\r\n".join([header, *rows]) + "\r\n"
    return ("\ufeff" if bom else "").encode(encoding) + text.encode(encoding)


def contact(**values):
    return {
        "department": "観光交流課",
        "contact_person": "山田 太郎",
        "contact_email": "yamada@example.jp",
        "phone": "0767-53-1111",
        **values,
    }


def row(organisation, *, name=None, status=MEMBER, **values):
    details = contact(**values)
    return ",".join(
        [
            organisation.code,
            name if name is not None else organisation.name,
            status,
            details["department"],
            details["contact_person"],
            details["contact_email"],
            details["phone"],
        ]
    )


def export_lines(content):
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.fixture
def joining(db):
    return factories.make_organisation(
        name="七尾市", membership_status=MembershipStatus.NONE
    )


@pytest.fixture
def changing(db):
    return factories.make_organisation(
        name="金沢市",
        **contact(contact_person="前任 花子", contact_email="old@example.jp"),
    )


@pytest.fixture
def steady(db):
    return factories.make_organisation(name="輪島市", **contact())


@pytest.fixture
def office_client(client, office_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.force_login(office_staff)
    return client


def reasons_of(plan):
    return {r.line: " ".join(r.reasons) for r in plan.rows if r.is_rejected}


# ----- export -----


def test_export_is_utf8_with_bom_and_japanese_header(steady):
    content = csv_io.export_members_csv(Organisation.objects.filter(pk=steady.pk))
    assert content.startswith(b"\xef\xbb\xbf")
    assert export_lines(content)[0] == EXPORT_HEADER


def test_export_has_one_row_per_organisation(steady, changing, joining):
    content = csv_io.export_members_csv(Organisation.objects.members())
    lines = export_lines(content)[1:]
    codes = [line[0] for line in lines]
    assert sorted(codes) == sorted(
        Organisation.objects.members().values_list("code", flat=True)
    )
    steady_line = next(line for line in lines if line[0] == steady.code)
    assert steady_line[2] == "輪島市"
    assert steady_line[5] == MEMBER
    assert steady_line[7:11] == [
        "観光交流課",
        "山田 太郎",
        "yamada@example.jp",
        "0767-53-1111",
    ]


def test_export_neutralises_spreadsheet_formulas():
    organisation = factories.make_organisation(
        department='=HYPERLINK("http://evil.example")',
        contact_person="@SUM(A1:A9)",
        phone="+81-3-1234-5678",
        address="-1+1",
    )
    content = csv_io.export_members_csv(Organisation.objects.filter(pk=organisation.pk))
    line = export_lines(content)[1]
    assert line[7] == '\'=HYPERLINK("http://evil.example")'
    assert line[8] == "'@SUM(A1:A9)"
    assert line[10] == "'+81-3-1234-5678"
    assert line[12] == "'-1+1"


def test_export_then_import_changes_nothing(steady):
    factories.make_organisation(name="志賀町", **contact(phone="+81-767-32-1111"))
    content = csv_io.export_members_csv(Organisation.objects.members())
    plan = csv_io.parse_member_csv(content)
    assert {r.action for r in plan.rows} == {csv_io.UNCHANGED}


# ----- import: reading the file -----


def test_preview_lists_what_each_row_would_do_and_writes_nothing(
    joining, changing, steady
):
    data = csv_file(row(joining), row(changing), row(steady))
    plan = csv_io.parse_member_csv(data)
    assert [(r.line, r.action) for r in plan.rows] == [
        (2, csv_io.CREATE),
        (3, csv_io.UPDATE),
        (4, csv_io.UNCHANGED),
    ]
    assert plan.rows[0].organisation == joining
    assert plan.rows[0].changes["membership_status"] == (
        MembershipStatus.NONE,
        MembershipStatus.MEMBER,
    )
    assert plan.rows[1].changes == {
        "contact_person": ("前任 花子", "山田 太郎"),
        "contact_email": ("old@example.jp", "yamada@example.jp"),
    }
    joining.refresh_from_db()
    changing.refresh_from_db()
    assert joining.membership_status == MembershipStatus.NONE
    assert changing.contact_person == "前任 花子"
    assert not ContactChange.objects.exists()
    assert not MembershipChange.objects.exists()


def test_file_without_bom_is_read_too(steady):
    plan = csv_io.parse_member_csv(csv_file(row(steady), bom=False))
    assert plan.rows[0].action == csv_io.UNCHANGED


def test_missing_status_column_means_member(joining):
    header = "団体コード,担当部署,担当者,メールアドレス,電話番号"
    data = csv_file(
        f"{joining.code},観光交流課,山田 太郎,yamada@example.jp,0767-53-1111",
        header=header,
    )
    assert csv_io.parse_member_csv(data).rows[0].action == csv_io.CREATE


def test_full_width_code_and_phone_are_read_as_ascii(steady):
    wide_code = steady.code.translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    line = row(steady).replace(steady.code, wide_code, 1)
    line = line.replace("0767-53-1111", "０７６７－５３－１１１１")
    plan = csv_io.parse_member_csv(csv_file(line))
    assert (plan.rows[0].code, plan.rows[0].action) == (steady.code, csv_io.UNCHANGED)


def test_utf16_file_is_refused_in_japanese(steady):
    data = csv_file(row(steady), bom=False, encoding="utf-16")
    with pytest.raises(ValidationError) as caught:
        csv_io.parse_member_csv(data)
    assert caught.value.code == "encoding"
    assert "UTF-16" in caught.value.message
    assert "CSV UTF-8" in caught.value.message


def test_missing_columns_are_named():
    data = csv_file("131016,千代田区,観光課", header="団体コード,団体名,担当部署")
    with pytest.raises(ValidationError) as caught:
        csv_io.parse_member_csv(data)
    (message,) = caught.value.messages
    assert message.startswith("必須の列がありません")
    for column in ["担当者", "メールアドレス", "電話番号"]:
        assert column in message
    assert "団体コード" not in message.split("。")[0]


def test_a_column_given_twice_is_an_error(steady):
    with pytest.raises(ValidationError) as caught:
        csv_io.parse_member_csv(
            csv_file(row(steady) + ",x", header=IMPORT_HEADER + ",担当者")
        )
    assert "列「担当者」が複数あります。" in caught.value.messages


def test_unclosed_quotes_are_reported_with_the_line(steady):
    data = csv_file(row(steady), f'{steady.code},"輪島市,会員')
    with pytest.raises(ValidationError) as caught:
        csv_io.parse_member_csv(data)
    assert caught.value.code == "malformed"
    assert "3 行目" in caught.value.message


def test_a_file_with_only_the_header_is_an_error():
    with pytest.raises(ValidationError) as caught:
        csv_io.parse_member_csv(csv_file())
    assert caught.value.code == "empty"


def test_empty_lines_are_skipped(steady):
    plan = csv_io.parse_member_csv(csv_file(",,,,,,", row(steady)))
    assert [r.line for r in plan.rows] == [3]


# ----- import: rejected rows -----


def test_wrong_check_digit_is_rejected(steady):
    wrong = steady.code[:5] + str((int(steady.code[5]) + 1) % 10)
    plan = csv_io.parse_member_csv(csv_file(row(steady).replace(steady.code, wrong)))
    assert plan.rows[0].action == csv_io.REJECT
    assert "検査数字が正しくありません" in reasons_of(plan)[2]


def test_five_digit_code_gets_a_hint_with_the_likely_code(steady):
    plan = csv_io.parse_member_csv(
        csv_file(row(steady).replace(steady.code, steady.code[:5]))
    )
    reasons = reasons_of(plan)[2]
    assert "検査数字が抜けている" in reasons
    assert f"{steady.code}（輪島市）" in reasons


def test_five_digit_code_that_lost_its_leading_zero_gets_a_hint():
    sapporo = factories.make_organisation(name="札幌市", code="011002", **contact())
    plan = csv_io.parse_member_csv(csv_file(row(sapporo).replace("011002", "11002")))
    assert "011002（札幌市）" in reasons_of(plan)[2]


def test_code_of_no_local_government_is_rejected():
    unknown = factories.make_code(51_999)
    plan = csv_io.parse_member_csv(csv_file(f"{unknown},架空市,,課,人,a@example.jp,1"))
    assert plan.rows[0].organisation is None
    assert f"団体コード {unknown} の自治体はありません" in reasons_of(plan)[2]


def test_invalid_email_is_rejected(steady):
    plan = csv_io.parse_member_csv(csv_file(row(steady, contact_email="yamada@")))
    assert plan.rows[0].action == csv_io.REJECT
    assert reasons_of(plan)[2].startswith("メールアドレス：")


def test_later_rows_with_the_same_code_are_rejected(steady, changing):
    plan = csv_io.parse_member_csv(
        csv_file(row(steady), row(changing), row(steady, phone="03-0000-0000"))
    )
    assert [r.action for r in plan.rows] == [
        csv_io.UNCHANGED,
        csv_io.UPDATE,
        csv_io.REJECT,
    ]
    assert f"{steady.code} は 2 行目にもあります" in reasons_of(plan)[4]


def test_unknown_status_is_rejected(steady):
    plan = csv_io.parse_member_csv(csv_file(row(steady, status="休会中")))
    assert "「休会中」は会員状況として使えません" in reasons_of(plan)[2]


def test_import_cannot_set_applied(steady):
    applied = str(MembershipStatus.APPLIED.label)
    plan = csv_io.parse_member_csv(csv_file(row(steady, status=applied)))
    assert plan.rows[0].action == csv_io.REJECT


def test_members_need_a_person_in_charge(joining):
    plan = csv_io.parse_member_csv(csv_file(row(joining, contact_person="")))
    assert "「担当者」が空欄です" in reasons_of(plan)[2]


def test_row_with_the_wrong_number_of_cells_is_rejected(steady):
    plan = csv_io.parse_member_csv(csv_file(row(steady) + ",余分"))
    assert "項目数は 8" in reasons_of(plan)[2]


def test_name_of_another_local_government_is_flagged(steady):
    plan = csv_io.parse_member_csv(csv_file(row(steady, name="珠洲市")))
    assert plan.rows[0].action == csv_io.UNCHANGED
    assert "珠洲市" in plan.rows[0].warnings[0]


def test_preview_reads_the_registry_in_one_query(joining, changing, steady):
    few = csv_file(row(joining))
    many = csv_file(
        row(joining),
        row(changing),
        row(steady),
        row(steady),
        f"{factories.make_code(51_998)},x,,a,b,c@example.jp,1",
        "12345,x,,a,b,c@example.jp,1",
    )
    with CaptureQueriesContext(connection) as few_queries:
        csv_io.parse_member_csv(few)
    with CaptureQueriesContext(connection) as many_queries:
        plan = csv_io.parse_member_csv(many)
        [r.organisation and r.organisation.full_name for r in plan.rows]
    assert len(few_queries) == len(many_queries) == 1


# ----- import: applying -----


def test_all_or_nothing_writes_nothing_when_a_row_is_rejected(
    joining, changing, office_staff
):
    plan = csv_io.parse_member_csv(
        csv_file(row(joining), row(changing), row(changing, status="休会中"))
    )
    with pytest.raises(ValidationError) as caught:
        imports.organisation_import_apply(
            plan=plan, actor=office_staff, mode=csv_io.ALL_OR_NOTHING
        )
    assert caught.value.code == "rejected_rows"
    joining.refresh_from_db()
    changing.refresh_from_db()
    assert joining.membership_status == MembershipStatus.NONE
    assert (changing.contact_person, changing.contact_email) == (
        "前任 花子",
        "old@example.jp",
    )
    assert ContactChange.objects.count() == 0
    assert MembershipChange.objects.count() == 0


def test_valid_rows_mode_applies_the_good_rows_and_records_who(
    joining, changing, steady, office_staff
):
    plan = csv_io.parse_member_csv(
        csv_file(
            row(joining),
            row(changing),
            row(steady),
            row(steady, contact_email="broken@"),
        )
    )
    result = imports.organisation_import_apply(
        plan=plan, actor=office_staff, mode=csv_io.VALID_ROWS
    )
    assert (result.created, result.updated, result.unchanged, result.rejected) == (
        1,
        1,
        1,
        1,
    )
    joining.refresh_from_db()
    changing.refresh_from_db()
    assert joining.membership_status == MembershipStatus.MEMBER
    assert joining.joined_on is not None
    assert joining.contact_email == "yamada@example.jp"
    assert changing.contact_person == "山田 太郎"
    status_change = MembershipChange.objects.get(organisation=joining)
    assert (status_change.changed_by, status_change.reason) == (
        office_staff,
        "CSV 取込",
    )
    changes = ContactChange.objects.filter(organisation=changing)
    assert {c.field for c in changes} == {"contact_person", "contact_email"}
    assert {c.changed_by for c in changes} == {office_staff}
    assert ContactChange.objects.filter(organisation=joining).count() == 4
    assert not ContactChange.objects.filter(organisation=steady).exists()


def test_import_sends_no_mail(joining, office_staff, mailoutbox):
    plan = csv_io.parse_member_csv(csv_file(row(joining)))
    imports.organisation_import_apply(
        plan=plan, actor=office_staff, mode=csv_io.ALL_OR_NOTHING
    )
    assert mailoutbox == []


def test_a_row_the_database_refuses_is_undone_entirely(joining, changing, office_staff):
    plan = csv_io.parse_member_csv(csv_file(row(joining), row(changing)))
    # Someone edits the joining organisation between preview and import.
    Organisation.objects.filter(pk=joining.pk).update(
        contact_version=F("contact_version") + 1
    )
    result = imports.organisation_import_apply(
        plan=plan, actor=office_staff, mode=csv_io.VALID_ROWS
    )
    assert [line for line, _message in result.failed] == [2]
    assert result.updated == 1
    joining.refresh_from_db()
    # The status change of that row was rolled back with its contact change.
    assert joining.membership_status == MembershipStatus.NONE
    assert not MembershipChange.objects.filter(organisation=joining).exists()


def test_all_or_nothing_undoes_every_row_when_one_cannot_be_saved(
    joining, changing, office_staff
):
    plan = csv_io.parse_member_csv(csv_file(row(changing), row(joining)))
    Organisation.objects.filter(pk=joining.pk).update(
        contact_version=F("contact_version") + 1
    )
    with pytest.raises(ValidationError) as caught:
        imports.organisation_import_apply(
            plan=plan, actor=office_staff, mode=csv_io.ALL_OR_NOTHING
        )
    assert caught.value.code == "row_failed"
    changing.refresh_from_db()
    assert changing.contact_person == "前任 花子"
    assert not ContactChange.objects.exists()


# ----- forms -----


def test_import_form_modes_are_the_import_modes():
    assert [value for value, _label in CSV_IMPORT_MODES] == [
        csv_io.ALL_OR_NOTHING,
        csv_io.VALID_ROWS,
    ]


@pytest.mark.parametrize(
    ("name", "size", "code"),
    [
        ("members.xlsx", 10, "extension"),
        ("members.csv", 2 * 1024 * 1024 + 1, "too_large"),
    ],
)
def test_import_form_takes_small_csv_files_only(name, size, code):
    upload = SimpleUploadedFile(name, b"x" * size, content_type="text/csv")
    form = MemberCsvImportForm(data={"mode": csv_io.VALID_ROWS}, files={"file": upload})
    assert not form.is_valid()
    assert form.has_error("file", code)


def test_import_form_plans_the_uploaded_file(joining, changing):
    upload = SimpleUploadedFile(
        "members.csv", csv_file(row(joining), row(changing)), content_type="text/csv"
    )
    form = MemberCsvImportForm(data={"mode": csv_io.VALID_ROWS}, files={"file": upload})
    assert form.is_valid(), form.errors
    assert [r.action for r in form.cleaned_data["plan"].rows] == [
        csv_io.CREATE,
        csv_io.UPDATE,
    ]
    assert form.cleaned_data["text"].startswith(IMPORT_HEADER)


def test_import_form_puts_file_errors_on_the_file(steady):
    upload = SimpleUploadedFile("members.csv", csv_file(header="氏名,住所"))
    form = MemberCsvImportForm(data={"mode": csv_io.VALID_ROWS}, files={"file": upload})
    assert not form.is_valid()
    assert form.has_error("file", "missing_columns")
    assert "plan" not in form.cleaned_data


def pending_import(*rows):
    text = csv_file(*rows).decode("utf-8-sig")
    plan = csv_io.parse_member_csv(text.encode())
    return {
        "token": "previewed",
        "text": text,
        "filename": "members.csv",
        "fingerprint": plan.fingerprint(),
    }


def test_apply_form_plans_the_previewed_text_again(joining):
    form = MemberCsvApplyForm(
        data={"token": "previewed", "mode": csv_io.VALID_ROWS},
        pending=pending_import(row(joining)),
    )
    assert form.is_valid(), form.errors
    assert [r.action for r in form.cleaned_data["plan"].rows] == [csv_io.CREATE]
    assert form.cleaned_data["plan_changed"] is False


def test_apply_form_notices_a_plan_that_changed(changing, office_staff):
    pending = pending_import(row(changing))
    organisations.organisation_update_contact(
        organisation=changing, actor=office_staff, changes=contact()
    )
    form = MemberCsvApplyForm(
        data={"token": "previewed", "mode": csv_io.VALID_ROWS}, pending=pending
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["plan_changed"] is True
    assert form.cleaned_data["plan"].rows[0].action == csv_io.UNCHANGED


@pytest.mark.parametrize(
    ("data", "has_pending"),
    [
        ({"token": "forged", "mode": "valid_rows"}, True),
        ({"token": "previewed", "mode": "everything"}, True),
        ({"mode": "valid_rows"}, True),
        ({"token": "previewed", "mode": "valid_rows"}, False),
    ],
)
def test_apply_form_refuses_without_the_previewed_token(joining, data, has_pending):
    pending = pending_import(row(joining)) if has_pending else None
    form = MemberCsvApplyForm(data=data, pending=pending)
    assert not form.is_valid()
    assert form.has_error(NON_FIELD_ERRORS, "expired")
    assert "plan" not in form.cleaned_data


# ----- admin -----


def test_changelist_offers_export_and_import_to_the_office(office_client):
    response = office_client.get(reverse("admin:members_organisation_changelist"))
    content = response.content.decode()
    assert reverse("admin:members_organisation_export") in content
    assert reverse("admin:members_organisation_import") in content


def test_admin_export_follows_the_changelist_filters(office_client, joining, steady):
    response = office_client.get(
        reverse("admin:members_organisation_export"),
        {"membership_status__exact": MembershipStatus.NONE},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    codes = [line[0] for line in export_lines(response.content)[1:]]
    assert codes == [joining.code]


def test_admin_action_exports_the_selected_organisations(
    office_client, joining, steady, changing
):
    response = office_client.post(
        reverse("admin:members_organisation_changelist"),
        {
            "action": "export_selected_csv",
            "_selected_action": [steady.pk, changing.pk],
        },
    )
    assert response.status_code == 200
    codes = {line[0] for line in export_lines(response.content)[1:]}
    assert codes == {steady.code, changing.code}


def test_admin_import_previews_then_applies(office_client, joining, changing):
    url = reverse("admin:members_organisation_import")
    assert office_client.get(url).status_code == 200
    upload = SimpleUploadedFile(
        "会員名簿.csv", csv_file(row(joining), row(changing)), content_type="text/csv"
    )
    response = office_client.post(url, {"file": upload, "mode": csv_io.ALL_OR_NOTHING})
    assert response.status_code == 200
    assert "admin/members/organisation/import_preview.html" in [
        t.name for t in response.templates
    ]
    assert [r.action for r in response.context["plan"].rows] == [
        csv_io.CREATE,
        csv_io.UPDATE,
    ]
    assert "新規会員" in response.content.decode()
    joining.refresh_from_db()
    assert joining.membership_status == MembershipStatus.NONE

    token = response.context["form"].initial["token"]
    response = office_client.post(url, {"token": token, "mode": csv_io.ALL_OR_NOTHING})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:members_organisation_changelist")
    joining.refresh_from_db()
    changing.refresh_from_db()
    assert joining.membership_status == MembershipStatus.MEMBER
    assert changing.contact_person == "山田 太郎"
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("新規会員 1 件" in message for message in messages)


def test_admin_import_shows_file_errors_on_the_form(office_client, steady):
    upload = SimpleUploadedFile(
        "members.csv", csv_file(row(steady), encoding="utf-16", bom=False)
    )
    response = office_client.post(
        reverse("admin:members_organisation_import"),
        {"file": upload, "mode": csv_io.ALL_OR_NOTHING},
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("file", "encoding")


def test_admin_import_all_or_nothing_refuses_a_file_with_rejected_rows(
    office_client, joining
):
    url = reverse("admin:members_organisation_import")
    upload = SimpleUploadedFile(
        "members.csv", csv_file(row(joining), "12345,x,,a,b,c@example.jp,1")
    )
    response = office_client.post(url, {"file": upload, "mode": "all_or_nothing"})
    assert 'class="errornote"' in response.content.decode()
    token = response.context["form"].initial["token"]
    response = office_client.post(url, {"token": token, "mode": "all_or_nothing"})
    assert response.status_code == 200
    assert not MembershipChange.objects.exists()
    token = response.context["form"].initial["token"]
    response = office_client.post(url, {"token": token, "mode": "valid_rows"})
    assert response["Location"] == reverse("admin:members_organisation_changelist")
    joining.refresh_from_db()
    assert joining.is_member


def test_admin_import_shows_a_new_preview_when_the_data_changed(
    office_client, changing, office_staff
):
    url = reverse("admin:members_organisation_import")
    upload = SimpleUploadedFile("members.csv", csv_file(row(changing)))
    response = office_client.post(url, {"file": upload, "mode": "all_or_nothing"})
    token = response.context["form"].initial["token"]
    organisations.organisation_update_contact(
        organisation=changing, actor=office_staff, changes=contact()
    )
    response = office_client.post(url, {"token": token, "mode": "all_or_nothing"})
    assert response.status_code == 200
    assert response.context["plan"].rows[0].action == csv_io.UNCHANGED


def test_admin_import_with_an_unknown_token_starts_again(office_client):
    url = reverse("admin:members_organisation_import")
    response = office_client.post(url, {"token": "forged", "mode": "valid_rows"})
    assert response.status_code == 302
    assert response["Location"] == url


@pytest.mark.parametrize("url_name", ["export", "import"])
def test_members_and_ward_staff_may_not_use_csv_tools(
    client, member, ward_staff, settings, url_name
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    url = reverse(f"admin:members_organisation_{url_name}")
    for user in [member, ward_staff]:
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url).status_code == 403


def test_ward_staff_see_no_csv_buttons(client, ward_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.force_login(ward_staff)
    response = client.get(reverse("admin:members_organisation_changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "export_selected_csv" not in content
    assert reverse("admin:members_organisation_export") not in content
