import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from members import permissions
from members.models import MembershipApplication, MembershipStatus, Organisation
from members.services import applications

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


def confirmation_link(address):
    """The confirmation link in the last mail sent to address."""
    message = next(m for m in reversed(mail.outbox) if m.to == [address])
    return re.search(r"https?://\S+/join/confirm/\S+/", message.body).group()


@pytest.fixture
def apply(client, django_capture_on_commit_callbacks):
    """Fill in the form (mails sent); returns the response."""

    def apply(target, **overrides):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(JOIN_URL, application_data(target, **overrides))

    return apply


@pytest.fixture
def confirm(client, django_capture_on_commit_callbacks):
    """Open the mailed link and press its button; returns the response."""

    def confirm(address="yamada@city.nanao.example.jp"):
        link = confirmation_link(address)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(link)

    return confirm


@pytest.fixture
def apply_and_confirm(apply, confirm):
    def apply_and_confirm(target, **overrides):
        apply(target, **overrides)
        return confirm(overrides.get("email", "yamada@city.nanao.example.jp"))

    return apply_and_confirm


def test_join_form_is_public_and_lists_the_official_municipalities(client, nanao):
    response = client.get(JOIN_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert "石川県七尾市" in content
    assert 'data-kana="ななおし"' in content
    assert '<optgroup label="石川県">' in content


def test_application_waits_unseen_until_its_address_is_confirmed(
    client, apply, nanao, office_inbox
):
    response = apply(nanao)
    assert response.status_code == 302
    assert response["Location"] == reverse("join_sent")
    application = MembershipApplication.objects.get()
    assert application.status == MembershipApplication.Status.UNCONFIRMED
    nanao.refresh_from_db()
    assert nanao.membership_status == MembershipStatus.NONE
    (message,) = mail.outbox
    assert message.to == ["yamada@city.nanao.example.jp"]
    assert confirmation_link(message.to[0]).startswith("http://testserver/join/")
    page = client.get(response["Location"])
    assert "確認メールを送りました" in page.content.decode()


def test_unconfirmed_applications_are_not_shown_to_the_office(
    client, apply, nanao, office_staff, settings
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    apply(nanao)
    application = MembershipApplication.objects.get()
    client.force_login(office_staff)
    listing = client.get(reverse("admin:members_membershipapplication_changelist"))
    assert listing.status_code == 200
    assert "yamada@city.nanao.example.jp" not in listing.content.decode()
    assert "確認待ち" not in listing.content.decode()  # nor offered as a filter
    approve = reverse(
        "admin:members_membershipapplication_approve", args=[application.pk]
    )
    assert client.post(approve).status_code == 404
    assert not nanao.staff.exists()


def test_confirmation_page_shows_the_application_before_it_is_sent(
    client, apply, nanao
):
    apply(nanao)
    page = client.get(confirmation_link("yamada@city.nanao.example.jp"))
    assert page.status_code == 200
    content = page.content.decode()
    assert "石川県七尾市" in content and "山田 太郎" in content
    assert "事務局に送信する" in content
    # Opening the link (as mail scanners do) sends nothing.
    assert MembershipApplication.objects.get().status == "unconfirmed"


def test_confirmed_application_reaches_the_office_and_is_mailed(
    client, apply, confirm, nanao, office_inbox
):
    apply(nanao)
    sent_before = len(mail.outbox)
    response = confirm()
    assert response.status_code == 302
    assert response["Location"] == reverse("join_done")
    application = MembershipApplication.objects.get()
    assert application.status == MembershipApplication.Status.PENDING
    nanao.refresh_from_db()
    assert nanao.membership_status == MembershipStatus.APPLIED
    sent = mail.outbox[sent_before:]
    recipients = sorted(address for message in sent for address in message.to)
    assert recipients == sorted([office_inbox, "yamada@city.nanao.example.jp"])
    office_mail = next(m for m in sent if m.to == [office_inbox])
    assert "石川県七尾市" in office_mail.subject
    done = client.get(response["Location"]).content.decode()
    assert "お申し込みありがとうございました" in done


def test_a_confirmed_link_used_again_sends_nothing_twice(
    client, apply, confirm, nanao, office_inbox
):
    apply(nanao)
    link = confirmation_link("yamada@city.nanao.example.jp")
    confirm()
    mail.outbox.clear()
    assert "すでに送信されています" in client.get(link).content.decode()
    again = client.post(link)
    assert again.status_code == 200
    assert "すでに事務局に送信されています" in again.content.decode()
    assert mail.outbox == []
    assert MembershipApplication.objects.get().status == "pending"


def test_an_unconfirmed_application_blocks_nobody(apply, nanao):
    apply(nanao, email="squatter@example.com")
    response = apply(nanao)
    assert response.status_code == 302
    assert MembershipApplication.objects.filter(organisation=nanao).count() == 2
    nanao.refresh_from_db()
    assert nanao.membership_status == MembershipStatus.NONE


def test_of_two_applications_the_first_confirmed_wins(client, apply, confirm, nanao):
    apply(nanao, email="first@example.jp")
    apply(nanao, email="second@example.jp")
    second_link = confirmation_link("second@example.jp")
    assert confirm("first@example.jp").status_code == 302
    late = client.post(second_link)
    assert late.status_code == 200
    assert "すでに事務局の審査を待っています" in late.content.decode()
    statuses = dict(MembershipApplication.objects.values_list("email", "status"))
    assert statuses == {
        "first@example.jp": "pending",
        "second@example.jp": "unconfirmed",
    }


def test_an_expired_link_is_refused_with_a_clear_message(
    client, apply, nanao, monkeypatch
):
    apply(nanao)
    link = confirmation_link("yamada@city.nanao.example.jp")
    monkeypatch.setattr(
        applications, "APPLICATION_CONFIRM_MAX_AGE", timedelta(seconds=-1)
    )
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 200
        assert "有効期限が切れています" in response.content.decode()
    assert MembershipApplication.objects.get().status == "unconfirmed"
    nanao.refresh_from_db()
    assert nanao.membership_status == MembershipStatus.NONE


@pytest.mark.parametrize(
    "alter", [lambda link: link[:-3] + "xx/", lambda link: "/join/confirm/1/"]
)
def test_an_altered_link_is_refused_with_a_clear_message(client, apply, nanao, alter):
    apply(nanao)
    link = alter(confirmation_link("yamada@city.nanao.example.jp"))
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 200
        assert "確認用のリンクが正しくありません" in response.content.decode()
    assert MembershipApplication.objects.get().status == "unconfirmed"


def test_expired_unconfirmed_applications_are_cleared_away(apply, nanao):
    apply(nanao, email="old@example.jp")
    MembershipApplication.objects.update(
        submitted_at=MembershipApplication.objects.get().submitted_at
        - applications.APPLICATION_CONFIRM_MAX_AGE
        - timedelta(minutes=1)
    )
    apply(nanao)
    assert list(MembershipApplication.objects.values_list("email", flat=True)) == [
        "yamada@city.nanao.example.jp"
    ]


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


def test_second_application_while_one_is_pending_is_refused(
    client, apply_and_confirm, nanao
):
    apply_and_confirm(nanao)
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


@pytest.mark.parametrize("owner", ["member", "office_staff"])
def test_an_address_with_an_account_gets_the_same_answer_and_its_owner_a_mail(
    client, apply, nanao, owner, request
):
    account = request.getfixturevalue(owner)
    unknown = apply(nanao, email="new.person@example.jp")
    mail.outbox.clear()
    known = apply(nanao, email=account.email.upper())
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("join_sent")
    assert not MembershipApplication.objects.filter(email__iexact=account.email)
    (notice,) = mail.outbox
    assert notice.to == [account.email]
    assert "石川県七尾市" in notice.body
    assert "http://testserver/accounts/login/" in notice.body
    assert "/join/confirm/" not in notice.body


def test_an_address_given_an_account_meanwhile_cannot_be_confirmed(
    client, apply, nanao, make_user
):
    apply(nanao)
    make_user(email="yamada@city.nanao.example.jp")
    response = client.post(confirmation_link("yamada@city.nanao.example.jp"))
    assert "すでにアカウントがあります" in response.content.decode()
    assert MembershipApplication.objects.get().status == "unconfirmed"


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
    apply_and_confirm,
    client,
    nanao,
    office_staff,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    apply_and_confirm(nanao)
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


def test_approval_by_get_is_refused(
    apply_and_confirm, client, nanao, office_staff, settings
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    apply_and_confirm(nanao)
    application = MembershipApplication.objects.get()
    client.force_login(office_staff)
    url = reverse("admin:members_membershipapplication_approve", args=[application.pk])
    assert client.get(url).status_code == 405
    assert not nanao.staff.exists()


def test_office_rejects_with_a_reason_that_is_mailed(
    apply_and_confirm,
    client,
    nanao,
    office_staff,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    apply_and_confirm(nanao)
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
    apply_and_confirm, client, nanao, member, ward_staff, settings
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    apply_and_confirm(nanao)
    application = MembershipApplication.objects.get()
    url = reverse("admin:members_membershipapplication_approve", args=[application.pk])
    for user in (member, ward_staff):
        client.force_login(user)
        response = client.post(url)
        assert response.status_code in (302, 403)
    nanao.refresh_from_db()
    assert nanao.membership_status == MembershipStatus.APPLIED


def test_new_staff_sets_a_password_and_the_address_counts_as_verified(
    apply_and_confirm,
    client,
    nanao,
    office_staff,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    apply_and_confirm(nanao)
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
