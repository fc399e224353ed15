"""The member CSV import reads UTF-8 and Shift_JIS (CP932) as Excel saves them."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from members import csv_io
from members.common.csv_text import CP932, UTF8, UTF8_BOM, decode_spreadsheet_csv
from members.models import ContactChange, MembershipStatus
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "団体コード,団体名,会員状況,担当部署,担当者,メールアドレス,電話番号"
# Characters CP932 has and plain Shift_JIS (JIS X 0208) does not.
CP932_ONLY = "①㈱髙～"


def member_csv(organisation, *, person="髙橋 ①郎", department="観光課～㈱"):
    line = ",".join(
        [
            organisation.code,
            organisation.name,
            str(MembershipStatus.MEMBER.label),
            department,
            person,
            "takahashi@example.jp",
            "0767-53-1111",
        ]
    )
    return f"{HEADER}\r\n{line}\r\n"


@pytest.fixture
def office_client(client, office_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.force_login(office_staff)
    return client


@pytest.fixture
def organisation(db):
    return factories.make_organisation(
        name="七尾市", membership_status=MembershipStatus.NONE
    )


# ----- decoding -----


def test_utf8_without_bom_is_read_as_utf8():
    assert decode_spreadsheet_csv("a,七尾\r\n".encode()) == ("a,七尾\r\n", UTF8)


def test_utf8_with_bom_is_read_without_the_bom():
    data = "\ufeffa,七尾\r\n".encode()
    assert decode_spreadsheet_csv(data) == ("a,七尾\r\n", UTF8_BOM)


def test_cp932_only_characters_round_trip():
    text = f"団体名,{CP932_ONLY}\r\n"
    assert decode_spreadsheet_csv(text.encode("cp932")) == (text, CP932)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_refused(encoding):
    with pytest.raises(ValidationError) as caught:
        decode_spreadsheet_csv("団体名,七尾市\r\n".encode(encoding))
    assert caught.value.code == "encoding"
    assert "UTF-16" in caught.value.message


@pytest.mark.parametrize(
    "data",
    [
        b"a,b\r\n\x82\xff",  # neither UTF-8 nor CP932
        b"PK\x03\x04\x14\x06xl/workbook.xml",  # an .xlsx workbook
        b"\xa0abc",  # a byte CP932 leaves undefined
    ],
)
def test_other_bytes_are_refused_in_japanese(data):
    with pytest.raises(ValidationError) as caught:
        decode_spreadsheet_csv(data)
    assert caught.value.code == "encoding"
    assert "Shift_JIS" in caught.value.message
    assert "CSV UTF-8" in caught.value.message


def test_the_plan_carries_the_encoding_found(organisation):
    plan = csv_io.parse_member_csv(member_csv(organisation).encode("cp932"))
    assert plan.encoding == CP932
    assert plan.rows[0].changes["contact_person"][1] == "髙橋 ①郎"


# ----- the office's import in admin -----


def test_admin_preview_names_shift_jis(office_client, organisation):
    upload = SimpleUploadedFile("members.csv", member_csv(organisation).encode("cp932"))
    response = office_client.post(
        reverse("admin:members_organisation_import"),
        {"file": upload, "mode": csv_io.ALL_OR_NOTHING},
    )
    assert response.status_code == 200
    assert "文字コード: Shift_JIS (CP932)" in response.content.decode()


def test_admin_preview_names_utf8(office_client, organisation):
    upload = SimpleUploadedFile(
        "members.csv", ("\ufeff" + member_csv(organisation)).encode()
    )
    response = office_client.post(
        reverse("admin:members_organisation_import"),
        {"file": upload, "mode": csv_io.ALL_OR_NOTHING},
    )
    assert "文字コード: UTF-8 (BOM)" in response.content.decode()


def test_admin_import_of_shift_jis_keeps_cp932_characters(office_client, organisation):
    url = reverse("admin:members_organisation_import")
    upload = SimpleUploadedFile("members.csv", member_csv(organisation).encode("cp932"))
    response = office_client.post(url, {"file": upload, "mode": "all_or_nothing"})
    token = response.context["form"].initial["token"]
    response = office_client.post(url, {"token": token, "mode": "all_or_nothing"})
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.contact_person == "髙橋 ①郎"
    assert organisation.department == "観光課～㈱"
    assert organisation.is_member


def test_admin_refuses_utf16_and_saves_nothing(office_client, organisation):
    upload = SimpleUploadedFile(
        "members.csv", member_csv(organisation).encode("utf-16")
    )
    response = office_client.post(
        reverse("admin:members_organisation_import"),
        {"file": upload, "mode": csv_io.ALL_OR_NOTHING},
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("file", "encoding")
    assert "UTF-16" in response.content.decode()
    organisation.refresh_from_db()
    assert not organisation.is_member
    assert not ContactChange.objects.exists()
