"""Hand-over when staff leave: one by one on the staff page, or a whole
April batch from a CSV file in admin."""

import pytest
from allauth.usersessions.models import UserSession
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from boards import mail as board_mail
from boards import mail_addresses
from boards.inbound.parse import ParsedMail
from boards.models import (
    Category,
    Frequency,
    InboundMail,
    Notification,
    NotificationKind,
    Watch,
)
from boards.services import inbound, watching
from members.common.csv_text import CP932
from members.models import AccessChange, User
from members.services import accounts
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

Field = AccessChange.Field


@pytest.fixture
def leaver(make_user, member):
    return make_user(
        organisation=member.organisation,
        email="leaver@example.jp",
        display_name="異動 一郎",
    )


@pytest.fixture
def successor(make_user, member):
    return make_user(
        organisation=member.organisation,
        email="successor@example.jp",
        display_name="後任 二郎",
    )


@pytest.fixture
def followed(make_thread, other_member, leaver):
    thread = make_thread(author=other_member)
    watching.watch(user=leaver, thread=thread)
    watching.watch(user=leaver, category=Category.objects.get(slug="participation"))
    return thread


@pytest.fixture
def unread(followed, leaver, other_member):
    return Notification.objects.create(
        user=leaver,
        kind=NotificationKind.REPLY,
        thread=followed,
        actor=other_member,
        mail=Frequency.IMMEDIATE,
    )


def nothing_handed_over(leaver):
    leaver.refresh_from_db()
    return (
        leaver.is_active
        and Watch.objects.filter(user=leaver).count() == 2
        and not AccessChange.objects.filter(field=Field.HANDOVER).exists()
    )


# ----- the service -----


def test_the_successor_gets_the_leavers_follows(
    leaver, successor, followed, office_staff
):
    accounts.staff_deactivate(user=leaver, actor=office_staff, successor=successor)
    assert selectors_follow(successor, followed)
    assert not Watch.objects.filter(user=leaver).exists()


def selectors_follow(user, thread):
    return set(
        Watch.objects.filter(user=user).values_list("thread", "category__slug")
    ) == {(thread.pk, None), (None, "participation")}


def test_the_successor_gets_the_unread_notifications_without_a_second_mail(
    leaver, successor, unread, office_staff, mailoutbox
):
    Notification.objects.create(
        user=leaver,
        kind=NotificationKind.ANSWER,
        thread=unread.thread,
        mail=Frequency.OFF,
        read_at=unread.created_at,
    )
    accounts.staff_deactivate(user=leaver, actor=office_staff, successor=successor)
    [passed] = Notification.objects.filter(user=successor)
    assert (passed.kind, passed.thread, passed.actor) == (
        NotificationKind.REPLY,
        unread.thread,
        unread.actor,
    )
    assert passed.read_at is None and passed.mailed_at is not None
    board_mail.send_pending_mail.call()
    assert not [m for m in mailoutbox if successor.email in m.to]


def test_a_follow_the_successor_already_had_stays_one(
    leaver, successor, followed, office_staff
):
    watching.watch(user=successor, thread=followed)
    accounts.staff_deactivate(user=leaver, actor=office_staff, successor=successor)
    assert Watch.objects.filter(user=successor, thread=followed).count() == 1


def test_the_hand_over_is_recorded(leaver, successor, followed, member):
    accounts.staff_deactivate(user=leaver, actor=member, successor=successor)
    change = AccessChange.objects.get(user=leaver, field=Field.HANDOVER)
    assert (change.old_value, change.new_value, change.changed_by) == (
        leaver.email,
        successor.email,
        member,
    )
    assert change.changed_at is not None
    assert AccessChange.objects.get(user=leaver, field=Field.ACTIVE).new_value == "no"


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("other organisation", "other_organisation"),
        ("turned off", "successor_inactive"),
        ("the leaver", "same_person"),
    ],
)
def test_a_wrong_successor_changes_nothing(
    kind, code, leaver, successor, other_member, followed, office_staff
):
    if kind == "other organisation":
        chosen = other_member
    elif kind == "turned off":
        User.objects.filter(pk=successor.pk).update(is_active=False)
        successor.refresh_from_db()
        chosen = successor
    else:
        chosen = leaver
    with pytest.raises(ValidationError) as refused:
        accounts.staff_deactivate(user=leaver, actor=office_staff, successor=chosen)
    assert refused.value.error_list[0].code == code
    assert nothing_handed_over(leaver)


# ----- after leaving -----


def test_the_leavers_sessions_end(client, leaver, successor, member):
    client.post("/accounts/login/", {"login": leaver.email, "password": PASSWORD})
    assert UserSession.objects.filter(user=leaver).exists()
    accounts.staff_deactivate(user=leaver, actor=member, successor=successor)
    assert not UserSession.objects.filter(user=leaver).exists()
    response = client.get(reverse("boards:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_leavers_unsubscribe_link_stops_working(client, leaver, successor, member):
    token = board_mail.unsubscribe_token(user=leaver, kinds=["reply"])
    url = reverse("boards:notification_unsubscribe", args=[token])
    assert client.get(url).status_code == 200
    accounts.staff_deactivate(user=leaver, actor=member, successor=successor)
    assert client.post(url).status_code == 400


def test_a_mail_reply_of_the_leaver_is_refused(
    settings, monkeypatch, leaver, successor, followed, member
):
    settings.MAIL_DOMAIN = "mail.renkei.test"
    address = mail_addresses.reply_address(user=leaver, thread=followed)
    accounts.staff_deactivate(user=leaver, actor=member, successor=successor)
    parsed = ParsedMail(
        message_id="m1@example.jp",
        from_address=leaver.email,
        from_name="",
        subject="Re: 観光物産展への出展について",
        text="参加します。",
        elided="",
    )
    monkeypatch.setattr(inbound, "parse_mail", lambda _raw: parsed)
    row = inbound.mail_ingest(
        raw=b"raw", channel="smtp", recipients=[address], envelope_from="x@y"
    )
    assert (row.result, row.reason) == (
        InboundMail.Result.REFUSED,
        InboundMail.Reason.INACTIVE,
    )
    assert followed.posts.count() == 1


# ----- the staff page -----


def staff_deactivate_url(user):
    return reverse("members:staff_deactivate", args=[user.organisation_id, user.pk])


def test_the_staff_page_hands_over_to_the_colleague_chosen(
    member_client, leaver, successor, followed
):
    response = member_client.post(
        staff_deactivate_url(leaver), {"successor": successor.pk}
    )
    assert response.status_code == 302
    leaver.refresh_from_db()
    assert not leaver.is_active
    assert selectors_follow(successor, followed)


def test_the_staff_page_offers_active_colleagues(member_client, member, leaver):
    gone = User.objects.create(
        email="gone@example.jp",
        display_name="退職 三郎",
        organisation=member.organisation,
        is_active=False,
    )
    page = member_client.get(
        reverse("members:organisation_staff", args=[member.organisation_id])
    ).content.decode()
    assert f'<option value="{leaver.pk}">' in page
    assert f'<option value="{gone.pk}">' not in page


@pytest.mark.parametrize("kind", ["other organisation", "turned off", "unknown"])
def test_the_staff_page_refuses_a_wrong_successor(
    kind, member_client, leaver, successor, other_member, followed
):
    if kind == "other organisation":
        chosen = other_member.pk
    elif kind == "turned off":
        User.objects.filter(pk=successor.pk).update(is_active=False)
        chosen = successor.pk
    else:
        chosen = 999_999_999
    response = member_client.post(
        staff_deactivate_url(leaver), {"successor": chosen}, follow=True
    )
    assert response.status_code == 200
    assert list(response.context["messages"])
    assert nothing_handed_over(leaver)


def test_another_organisation_cannot_hand_over(client, other_member, leaver, successor):
    client.force_login(other_member)
    response = client.post(staff_deactivate_url(leaver), {"successor": successor.pk})
    assert response.status_code == 404
    leaver.refresh_from_db()
    assert leaver.is_active


def test_anonymous_cannot_hand_over(client, leaver, successor):
    response = client.post(staff_deactivate_url(leaver), {"successor": successor.pk})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    leaver.refresh_from_db()
    assert leaver.is_active


def test_staff_page_query_count_stays_flat_with_many_colleagues(
    member_client, member, make_user, django_assert_max_num_queries
):
    url = reverse("members:organisation_staff", args=[member.organisation_id])
    with django_assert_max_num_queries(30) as few:
        member_client.get(url)
    for number in range(15):
        make_user(organisation=member.organisation, email=f"many{number}@example.jp")
    with django_assert_max_num_queries(len(few)):
        member_client.get(url)


# ----- the April batch -----

HEADER = "メールアドレス,引継ぎ先メールアドレス"


def csv_text(*lines):
    return "\r\n".join([HEADER, *lines]) + "\r\n"


@pytest.fixture
def office_client(client, office_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.force_login(office_staff)
    return client


@pytest.fixture
def second(make_user, member):
    return make_user(organisation=member.organisation, email="second@example.jp")


def upload(client, text, *, encoding="utf-8", name="異動者.csv"):
    return client.post(
        reverse("admin:members_user_handover"),
        {"file": SimpleUploadedFile(name, text.encode(encoding), "text/csv")},
    )


def apply(client, preview):
    token = preview.context["form"].initial["token"]
    return client.post(reverse("admin:members_user_handover"), {"token": token})


def test_a_batch_is_previewed_then_applied(
    office_client, office_staff, leaver, second, successor, followed
):
    preview = upload(
        office_client,
        csv_text(
            f"{leaver.email},{successor.email}", f"{second.email},{successor.email}"
        ),
    )
    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert plan.is_valid
    assert [(line.leaver, line.successor) for line in plan.lines] == [
        (leaver, successor),
        (second, successor),
    ]
    # The preview changes nothing.
    assert User.objects.get(pk=leaver.pk).is_active
    response = apply(office_client, preview)
    assert response.status_code == 302
    assert not User.objects.filter(pk__in=[leaver.pk, second.pk], is_active=True)
    assert selectors_follow(successor, followed)
    changes = AccessChange.objects.filter(field=Field.HANDOVER)
    assert {(c.user, c.new_value, c.changed_by) for c in changes} == {
        (leaver, successor.email, office_staff),
        (second, successor.email, office_staff),
    }


def test_a_shift_jis_file_as_excel_saves_it_is_read(office_client, leaver, successor):
    preview = upload(
        office_client, csv_text(f"{leaver.email},{successor.email}"), encoding="cp932"
    )
    assert preview.context["encoding"] == CP932
    assert preview.context["plan"].is_valid
    apply(office_client, preview)
    assert not User.objects.get(pk=leaver.pk).is_active


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("nobody@example.jp,{successor}", "nobody@example.jp のアカウントはありません"),
        ("{leaver},{other}", "別の団体の職員です"),
        ("{leaver},{inactive}", "無効になっています"),
        ("{leaver},{leaver}", "自身には引き継げません"),
        ("{leaver},", "引継ぎ先のメールアドレスがありません"),
    ],
)
def test_each_wrong_line_is_explained_and_nothing_is_applied(
    line,
    error,
    office_client,
    leaver,
    second,
    successor,
    other_member,
    make_user,
    member,
    followed,
):
    inactive = make_user(organisation=member.organisation, email="off@example.jp")
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    wrong = line.format(
        leaver=leaver.email,
        successor=successor.email,
        other=other_member.email,
        inactive=inactive.email,
    )
    preview = upload(
        office_client, csv_text(f"{second.email},{successor.email}", wrong)
    )
    plan = preview.context["plan"]
    assert not plan.is_valid
    assert plan.lines[0].errors == []
    assert error in " ".join(plan.lines[1].errors)
    assert error in preview.content.decode()
    assert 'name="token"' not in preview.content.decode()
    assert User.objects.get(pk=second.pk).is_active
    assert nothing_handed_over(leaver)


def test_a_duplicate_line_is_refused(office_client, leaver, successor, followed):
    line = f"{leaver.email},{successor.email}"
    preview = upload(office_client, csv_text(line, line))
    plan = preview.context["plan"]
    assert "前の行にもあります" in " ".join(plan.lines[1].errors)
    assert nothing_handed_over(leaver)


def test_a_successor_who_also_leaves_is_refused(office_client, leaver, second):
    preview = upload(
        office_client,
        csv_text(f"{leaver.email},{second.email}", f"{second.email},{leaver.email}"),
    )
    plan = preview.context["plan"]
    assert all("異動・退職する人です" in " ".join(line.errors) for line in plan.lines)


def test_a_file_without_the_columns_is_refused(office_client, leaver, successor):
    preview = upload(
        office_client, f"email,successor\r\n{leaver.email},{successor.email}"
    )
    assert not preview.context["plan"].is_valid
    assert "引継ぎ先メールアドレス" in preview.context["plan"].errors[0]


def test_an_account_changed_after_the_preview_stops_the_whole_batch(
    office_client, leaver, second, successor, make_user, member, followed
):
    other_successor = make_user(organisation=member.organisation, email="o@example.jp")
    preview = upload(
        office_client,
        csv_text(
            f"{second.email},{successor.email}",
            f"{leaver.email},{other_successor.email}",
        ),
    )
    assert preview.context["plan"].is_valid
    User.objects.filter(pk=other_successor.pk).update(is_active=False)
    response = apply(office_client, preview)
    assert response.status_code == 200
    assert "何も変更していません" in response.content.decode()
    # The first line, valid on its own, was not applied either.
    assert User.objects.get(pk=second.pk).is_active
    assert nothing_handed_over(leaver)


def test_applying_without_a_preview_is_refused(office_client, leaver):
    response = office_client.post(
        reverse("admin:members_user_handover"), {"token": "forged"}
    )
    assert response.status_code == 302
    assert User.objects.get(pk=leaver.pk).is_active


def test_the_batch_is_for_the_office_only(
    client, settings, member, ward_staff, leaver, successor
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    url = reverse("admin:members_user_handover")
    for user in [member, ward_staff]:
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert (
            upload(client, csv_text(f"{leaver.email},{successor.email}")).status_code
            == 403
        )
    assert User.objects.get(pk=leaver.pk).is_active


def test_anonymous_is_sent_to_the_admin_sign_in(client):
    response = client.get(reverse("admin:members_user_handover"))
    assert response.status_code == 302


def test_the_user_list_links_the_batch_for_the_office(office_client):
    page = office_client.get(reverse("admin:members_user_changelist"))
    assert reverse("admin:members_user_handover") in page.content.decode()


# ----- one by one in admin -----


def admin_action(client, users, **choices):
    data = {
        "action": "deactivate_with_handover",
        "_selected_action": [user.pk for user in users],
    }
    if choices:
        data["apply"] = "1"
        data.update(choices)
    return client.post(reverse("admin:members_user_changelist"), data)


def test_the_office_chooses_the_successor_in_admin(
    office_client, office_staff, leaver, successor, followed
):
    page = admin_action(office_client, [leaver])
    assert page.status_code == 200
    assert f'value="{successor.pk}"' in page.content.decode()
    assert User.objects.get(pk=leaver.pk).is_active
    response = admin_action(
        office_client, [leaver], **{f"u{leaver.pk}-successor": successor.pk}
    )
    assert response.status_code == 302
    assert not User.objects.get(pk=leaver.pk).is_active
    assert selectors_follow(successor, followed)
    change = AccessChange.objects.get(user=leaver, field=Field.HANDOVER)
    assert change.changed_by == office_staff


def test_a_successor_of_another_organisation_in_admin_changes_nothing(
    office_client, leaver, second, successor, other_member, followed
):
    response = admin_action(
        office_client,
        [leaver, second],
        **{
            f"u{second.pk}-successor": successor.pk,
            f"u{leaver.pk}-successor": other_member.pk,
        },
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert User.objects.get(pk=second.pk).is_active
    assert nothing_handed_over(leaver)
