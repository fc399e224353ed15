import pytest
from django.core import mail
from django.urls import reverse

from members import permissions
from members.models import MembershipApplication, MembershipStatus, Organisation

pytestmark = pytest.mark.django_db

JOIN_URL = "/join/"


@pytest.fixture
def nanao(make_organisation):
    ishikawa = make_organisation(name="石川県", kind="prefecture", kana="いしかわけん")
    return make_organisation(
        name="七尾市",
        kana="ななおし",
        prefecture=ishikawa,
        membership_status=MembershipStatus.NONE,
    )


@pytest.fixture
def office_inbox(office_staff):
    return office_staff.email


def application_data(target, **overrides):
    return {
        "organisation": target.pk,
        "department": "観光交流課",
        "contact_person": "山田 太郎",
        "email": "yamada@city.nanao.example.jp",
        "phone": "0767-53-1111",
        "purpose": "観光物産展での連携を希望します。",
        "website": "",
        **overrides,
    }


def test_join_form_is_public_and_lists_the_official_municipalities(client, nanao):
    response = client.get(JOIN_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert "石川県七尾市" in content
    assert 'data-kana="ななおし"' in content
    assert '<optgroup label="石川県">' in content


def test_valid_application_is_recorded_and_mailed(
    client, nanao, office_inbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(JOIN_URL, application_data(nanao))
    assert response.status_code == 302
    assert response["Location"] == reverse("join_done")
    application = MembershipApplication.objects.get()
    assert application.organisation == nanao
    assert application.status == MembershipApplication.Status.PENDING
    nanao.refresh_from_db()
    assert nanao.membership_status == MembershipStatus.APPLIED
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([office_inbox, "yamada@city.nanao.example.jp"])
    office_mail = next(m for m in mail.outbox if m.to == [office_inbox])
    assert "石川県七尾市" in office_mail.subject


def test_full_width_phone_numbers_are_accepted(client, nanao):
    client.post(JOIN_URL, application_data(nanao, phone="０７６７－５３－１１１１"))
    assert MembershipApplication.objects.get().phone == "0767-53-1111"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("organisation", "", "一覧から自治体を選んでください"),
        ("organisation", "999999", "公式の一覧にない自治体です"),
        ("email", "not-an-email", "有効なメールアドレスを入力してください"),
        ("phone", "電話番号", "市外局番から"),
        ("department", "", "このフィールドは必須です"),
        ("contact_person", "", "このフィールドは必須です"),
    ],
)
def test_bad_input_is_refused_in_japanese_and_nothing_is_saved(
    client, nanao, field, value, message
):
    response = client.post(JOIN_URL, application_data(nanao, **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not MembershipApplication.objects.exists()
    nanao.refresh_from_db()
    assert nanao.membership_status == MembershipStatus.NONE


def test_honeypot_filled_in_is_refused(client, nanao):
    response = client.post(JOIN_URL, application_data(nanao, website="http://spam"))
    assert response.status_code == 200
    assert not MembershipApplication.objects.exists()


def test_second_application_while_one_is_pending_is_refused(client, nanao):
    client.post(JOIN_URL, application_data(nanao))
    response = client.post(
        JOIN_URL, application_data(nanao, email="someone.else@example.jp")
    )
    assert "すでに事務局の審査を待っています" in response.content.decode()
    assert MembershipApplication.objects.count() == 1


def test_application_for_a_member_is_refused(client, make_organisation):
    member_city = make_organisation(name="金沢市")
    response = client.post(JOIN_URL, application_data(member_city))
    assert "すでに会員です" in response.content.decode()
    assert not MembershipApplication.objects.exists()


def test_application_with_an_address_that_has_an_account_is_refused(
    client, nanao, member
):
    response = client.post(JOIN_URL, application_data(nanao, email=member.email))
    assert (
        "このメールアドレスにはすでにアカウントがあります" in response.content.decode()
    )
    assert not MembershipApplication.objects.exists()


def test_applications_are_rate_limited_per_address(client, make_organisation):
    for number in range(5):
        city = make_organisation(membership_status=MembershipStatus.NONE)
        client.post(JOIN_URL, application_data(city, email=f"a{number}@example.jp"))
    city = make_organisation(membership_status=MembershipStatus.NONE)
    response = client.post(JOIN_URL, application_data(city, email="late@example.jp"))
    assert response.status_code == 429
    assert "試行回数が多すぎます" in response.content.decode()
    assert MembershipApplication.objects.count() == 5


def test_bodies_cannot_apply_through_the_form(client, make_organisation):
    body = make_organisation(kind=Organisation.Kind.BODY, membership_status="none")
    response = client.post(JOIN_URL, application_data(body))
    assert response.status_code == 200
    assert not MembershipApplication.objects.exists()


def test_office_approves_an_application_in_admin(
    client, nanao, office_staff, settings, django_capture_on_commit_callbacks
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.post(JOIN_URL, application_data(nanao))
    application = MembershipApplication.objects.get()
    client.force_login(office_staff)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(
                "admin:members_membershipapplication_approve", args=[application.pk]
            )
        )
    assert response.status_code == 302
    nanao.refresh_from_db()
    assert nanao.membership_status == MembershipStatus.MEMBER
    assert nanao.joined_on is not None
    assert nanao.contact_person == "山田 太郎"
    user = nanao.staff.get()
    assert user.email == "yamada@city.nanao.example.jp"
    assert permissions.roles_of(user) == {permissions.MEMBER_STAFF}
    assert not user.has_usable_password()
    (message,) = mail.outbox
    assert message.to == [user.email]
    assert "/accounts/password/reset/key/" in message.body


def test_approval_by_get_is_refused(client, nanao, office_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.post(JOIN_URL, application_data(nanao))
    application = MembershipApplication.objects.get()
    client.force_login(office_staff)
    url = reverse("admin:members_membershipapplication_approve", args=[application.pk])
    assert client.get(url).status_code == 405
    assert not nanao.staff.exists()


def test_office_rejects_with_a_reason_that_is_mailed(
    client, nanao, office_staff, settings, django_capture_on_commit_callbacks
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.post(JOIN_URL, application_data(nanao))
    application = MembershipApplication.objects.get()
    client.force_login(office_staff)
    url = reverse("admin:members_membershipapplication_reject", args=[application.pk])
    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 200
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"reason": "同一自治体から別部署の登録があります。"})
    application.refresh_from_db()
    assert application.status == MembershipApplication.Status.REJECTED
    nanao.refresh_from_db()
    assert nanao.membership_status == MembershipStatus.NONE
    assert not nanao.staff.exists()
    (message,) = mail.outbox
    assert "同一自治体から別部署の登録があります。" in message.body


def test_member_and_ward_staff_cannot_decide_applications(
    client, nanao, member, ward_staff, settings
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.post(JOIN_URL, application_data(nanao))
    application = MembershipApplication.objects.get()
    url = reverse("admin:members_membershipapplication_approve", args=[application.pk])
    for user in (member, ward_staff):
        client.force_login(user)
        response = client.post(url)
        assert response.status_code in (302, 403)
    nanao.refresh_from_db()
    assert nanao.membership_status == MembershipStatus.APPLIED


def test_new_staff_sets_a_password_and_the_address_counts_as_verified(
    client, nanao, office_staff, django_capture_on_commit_callbacks, settings
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.post(JOIN_URL, application_data(nanao))
    application = MembershipApplication.objects.get()
    client.force_login(office_staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(
                "admin:members_membershipapplication_approve", args=[application.pk]
            )
        )
    client.logout()
    link = next(
        line
        for line in mail.outbox[-1].body.splitlines()
        if "/password/reset/key/" in line
    )
    page = client.get(link.strip(), follow=True)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link.strip()
    new_password = "nanao-kanko-2026!"
    response = client.post(
        form_url, {"password1": new_password, "password2": new_password}
    )
    assert response.status_code == 302
    login = client.post(
        "/accounts/login/", {"login": application.email, "password": new_password}
    )
    assert login.status_code == 302
    assert login["Location"] == "/"
