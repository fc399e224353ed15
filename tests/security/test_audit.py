"""Issue 7, audit: each audited action, by each path, is recorded who/when/what.

Contact details, membership status, moderation, dispatch edits, sign-ins and
(issue 14) who may do what, through the site, Django admin, the CSV import,
the commands and the services.
"""

import datetime
import io

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from boards.models import ModerationLog, Report
from boards.services import moderation
from disaster_support.models import ChangeLog, Dispatch, Seat
from members import csv_io, permissions, sign_ins
from members.models import (
    AccessChange,
    ContactChange,
    MembershipApplication,
    MembershipChange,
    MembershipStatus,
    Organisation,
    SignInEvent,
    User,
)
from members.services import accounts, applications, imports
from tests import factories

pytestmark = pytest.mark.django_db

Outcome = SignInEvent.Outcome
CSV_HEADER = "団体コード,団体名,会員状況,担当部署,担当者,メールアドレス,電話番号\r\n"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Renkei-Test"


@pytest.fixture
def started():
    """A moment just before the action: its record must not be older."""
    return timezone.now()


@pytest.fixture
def office_client(client, office_staff):
    client.force_login(office_staff)
    return client


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return value


def form_data(form):
    """What a browser would send back for an unchanged form."""
    data = {}
    for bound in form:
        value = bound.value()
        if value is False:
            continue  # an unticked box is not sent
        data[bound.html_name] = _plain(value)
    return data


def formset_data(formset):
    data = {field.html_name: field.value() for field in formset.management_form}
    for form in formset:
        data.update(form_data(form))
    return data


def admin_change_data(response):
    """The admin change form as shown, with its inlines, ready to post."""
    data = form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        data.update(formset_data(inline.formset))
    return data


def assert_recent(moment, started):
    assert started <= moment <= timezone.now()


# ----- contact details -----


def test_member_editing_contact_details_on_the_site_is_recorded(
    client, member, started
):
    organisation = member.organisation
    client.force_login(member)
    url = reverse("members:organisation_contact", args=[organisation.pk])
    data = form_data(client.get(url).context["form"])
    data.update(
        department="観光交流課",
        contact_person="新任 一郎",
        contact_email="new@example.jp",
        phone="0767-53-1111",
    )
    assert client.post(url, data).status_code == 302
    change = ContactChange.objects.get(organisation=organisation, field="contact_email")
    assert change.changed_by == member
    assert (change.old_value, change.new_value) == ("", "new@example.jp")
    assert_recent(change.changed_at, started)


def test_office_editing_contact_details_in_admin_is_recorded(
    office_client, office_staff, make_organisation, started
):
    organisation = make_organisation(contact_person="前任 花子")
    url = reverse("admin:members_organisation_change", args=[organisation.pk])
    data = admin_change_data(office_client.get(url))
    data["contact_person"] = "後任 次郎"
    assert office_client.post(url, data).status_code == 302
    change = ContactChange.objects.get(organisation=organisation)
    assert (change.field, change.old_value, change.new_value) == (
        "contact_person",
        "前任 花子",
        "後任 次郎",
    )
    assert change.changed_by == office_staff
    assert_recent(change.changed_at, started)


def test_organisation_added_in_admin_records_its_first_details(
    office_client, office_staff, started
):
    url = reverse("admin:members_organisation_add")
    data = admin_change_data(office_client.get(url))
    data.update(
        code=factories.make_code(51_321),
        name="監査市",
        kind=Organisation.Kind.CITY,
        membership_status=MembershipStatus.MEMBER,
        contact_person="山田 花子",
    )
    assert office_client.post(url, data).status_code == 302
    organisation = Organisation.objects.get(name="監査市")
    contact = ContactChange.objects.get(organisation=organisation)
    assert (contact.field, contact.old_value, contact.new_value) == (
        "contact_person",
        "",
        "山田 花子",
    )
    status = MembershipChange.objects.get(organisation=organisation)
    assert (status.old_status, status.new_status) == (
        MembershipStatus.NONE,
        MembershipStatus.MEMBER,
    )
    assert contact.changed_by == status.changed_by == office_staff
    assert_recent(status.changed_at, started)


def test_csv_import_of_contact_details_records_the_importer(
    office_client, office_staff, make_organisation, started
):
    organisation = make_organisation(
        name="金沢市", contact_person="前任 花子", contact_email="old@example.jp"
    )
    line = (
        f"{organisation.code},金沢市,会員,観光交流課,後任 次郎,new@example.jp,"
        "076-220-2111"
    )
    text = "\ufeff" + CSV_HEADER
    upload = SimpleUploadedFile(
        "会員名簿.csv", (text + line + "\r\n").encode(), content_type="text/csv"
    )
    url = reverse("admin:members_organisation_import")
    preview = office_client.post(url, {"file": upload, "mode": csv_io.ALL_OR_NOTHING})
    token = preview.context["form"].initial["token"]
    office_client.post(url, {"token": token, "mode": csv_io.ALL_OR_NOTHING})
    change = ContactChange.objects.get(organisation=organisation, field="contact_email")
    assert (change.old_value, change.new_value) == ("old@example.jp", "new@example.jp")
    assert change.changed_by == office_staff
    assert_recent(change.changed_at, started)


# ----- membership status -----


def test_office_changing_membership_status_in_admin_is_recorded(
    office_client, office_staff, make_organisation, started
):
    organisation = make_organisation()
    url = reverse("admin:members_organisation_change", args=[organisation.pk])
    data = admin_change_data(office_client.get(url))
    data["membership_status"] = MembershipStatus.SUSPENDED
    assert office_client.post(url, data).status_code == 302
    change = MembershipChange.objects.get(organisation=organisation)
    assert (change.old_status, change.new_status) == (
        MembershipStatus.MEMBER,
        MembershipStatus.SUSPENDED,
    )
    assert change.changed_by == office_staff
    assert_recent(change.changed_at, started)


def test_csv_import_of_membership_status_records_the_importer(
    office_staff, make_organisation, started
):
    organisation = make_organisation(membership_status=MembershipStatus.NONE)
    line = (
        f"{organisation.code},{organisation.name},会員,観光交流課,山田 太郎,"
        "yamada@example.jp,0767-53-1111"
    )
    text = CSV_HEADER
    plan = csv_io.parse_member_csv((text + line + "\r\n").encode())
    imports.organisation_import_apply(
        plan=plan, actor=office_staff, mode=csv_io.ALL_OR_NOTHING
    )
    change = MembershipChange.objects.get(organisation=organisation)
    assert (change.old_status, change.new_status) == (
        MembershipStatus.NONE,
        MembershipStatus.MEMBER,
    )
    assert change.changed_by == office_staff
    assert_recent(change.changed_at, started)


def test_online_application_records_who_applied(make_organisation, started):
    organisation = make_organisation(membership_status=MembershipStatus.NONE)
    application = applications.application_submit(
        organisation=organisation,
        department="防災課",
        contact_person="申込 太郎",
        email="apply@example.jp",
        phone="0767-53-1111",
    )
    assert not MembershipChange.objects.filter(organisation=organisation).exists()
    applications.application_confirm(application=application)
    change = MembershipChange.objects.get(organisation=organisation)
    assert change.new_status == MembershipStatus.APPLIED
    assert change.changed_by is None  # no account yet: the reason names them
    assert "申込 太郎" in change.reason
    assert "apply@example.jp" in change.reason
    assert_recent(change.changed_at, started)


def test_office_approving_an_application_in_admin_is_recorded(
    office_client, office_staff, make_organisation, started
):
    organisation = make_organisation(membership_status=MembershipStatus.NONE)
    application = applications.application_confirm(
        application=applications.application_submit(
            organisation=organisation,
            department="防災課",
            contact_person="申込 太郎",
            email="apply@example.jp",
            phone="0767-53-1111",
        )
    )
    office_client.post(
        reverse("admin:members_membershipapplication_approve", args=[application.pk])
    )
    application.refresh_from_db()
    assert application.status == MembershipApplication.Status.APPROVED
    change = MembershipChange.objects.get(
        organisation=organisation, new_status=MembershipStatus.MEMBER
    )
    assert change.old_status == MembershipStatus.APPLIED
    assert change.changed_by == office_staff
    assert_recent(change.changed_at, started)


# ----- who may do what -----

Field = AccessChange.Field


def test_office_turning_off_an_account_in_admin_is_recorded(
    office_client, office_staff, member, make_user, started
):
    make_user(organisation=member.organisation)  # a colleague stays active
    office_client.post(
        reverse("admin:members_user_changelist"),
        {"action": "deactivate", "_selected_action": [member.pk]},
    )
    change = AccessChange.objects.get(user=member, field=Field.ACTIVE)
    assert (change.field, change.old_value, change.new_value) == (
        Field.ACTIVE,
        "yes",
        "no",
    )
    assert change.changed_by == office_staff
    assert_recent(change.changed_at, started)


def test_member_turning_off_a_colleague_on_the_site_is_recorded(
    client, member, make_user, started
):
    colleague = make_user(organisation=member.organisation)
    client.force_login(member)
    client.post(
        reverse("members:staff_deactivate", args=[member.organisation.pk, colleague.pk])
    )
    change = AccessChange.objects.get(user=colleague, field=Field.ACTIVE)
    assert (change.old_value, change.new_value, change.changed_by) == (
        "yes",
        "no",
        member,
    )
    assert_recent(change.changed_at, started)


def test_office_turning_an_account_back_on_in_admin_is_recorded(
    office_client, office_staff, member, started
):
    User.objects.filter(pk=member.pk).update(is_active=False)
    office_client.post(
        reverse("admin:members_user_changelist"),
        {"action": "reactivate", "_selected_action": [member.pk]},
    )
    change = AccessChange.objects.get(user=member, field=Field.ACTIVE)
    assert (change.field, change.old_value, change.new_value) == (
        Field.ACTIVE,
        "no",
        "yes",
    )
    assert change.changed_by == office_staff
    assert_recent(change.changed_at, started)


def test_office_changing_a_role_in_admin_is_recorded(
    office_client, office_staff, make_user, started
):
    ward_person = make_user(organisation=factories.make_ward(name="港区"))
    url = reverse("admin:members_user_change", args=[ward_person.pk])
    data = admin_change_data(office_client.get(url))
    data["role"] = permissions.WARD_STAFF
    assert office_client.post(url, data).status_code == 302
    change = AccessChange.objects.get(user=ward_person, changed_by=office_staff)
    assert (change.field, change.old_value, change.new_value) == (
        Field.ROLE,
        permissions.MEMBER_STAFF,
        permissions.WARD_STAFF,
    )
    assert_recent(change.changed_at, started)


def test_saving_an_account_in_admin_records_only_what_changed(
    office_client, office_staff, member
):
    url = reverse("admin:members_user_change", args=[member.pk])
    data = admin_change_data(office_client.get(url))
    data["department"] = "企画課"
    assert office_client.post(url, data).status_code == 302
    change = AccessChange.objects.get(changed_by=office_staff)
    assert (change.field, change.new_value) == (Field.DEPARTMENT, "企画課")
    member.refresh_from_db()
    assert member.department == "企画課"


def test_office_adding_an_account_in_admin_records_the_role_given(
    office_client, office_staff, started
):
    ward = factories.make_ward(name="中央区")
    url = reverse("admin:members_user_add")
    data = admin_change_data(office_client.get(url))
    data.update(
        email="new-ward@example.jp",
        display_name="中央 花子",
        organisation=ward.pk,
        role=permissions.WARD_STAFF,
    )
    assert office_client.post(url, data).status_code == 302
    user = User.objects.get(email="new-ward@example.jp")
    change = AccessChange.objects.get(user=user)
    assert (change.field, change.old_value, change.new_value) == (
        Field.ROLE,
        "",
        permissions.WARD_STAFF,
    )
    assert change.changed_by == office_staff
    assert_recent(change.changed_at, started)


def test_approving_an_application_records_the_first_accounts_role(
    office_staff, make_organisation
):
    organisation = make_organisation(membership_status=MembershipStatus.NONE)
    application = applications.application_confirm(
        application=applications.application_submit(
            organisation=organisation,
            department="防災課",
            contact_person="申込 太郎",
            email="apply@example.jp",
            phone="0767-53-1111",
        )
    )
    user = applications.application_approve(application=application, actor=office_staff)
    change = AccessChange.objects.get(user=user)
    assert (change.field, change.new_value, change.changed_by) == (
        Field.ROLE,
        permissions.MEMBER_STAFF,
        office_staff,
    )


def test_making_a_superuser_from_the_command_line_is_recorded(monkeypatch, db, started):
    monkeypatch.setattr(
        "members.management.commands.create_office_account.getpass",
        lambda prompt: "a-long-office-password-2026",
    )
    call_command(
        "create_office_account",
        email="admin@example.jp",
        name="事務局 一郎",
        superuser=True,
        stdout=io.StringIO(),
    )
    user = User.objects.get(email="admin@example.jp")
    changes = {c.field: c for c in AccessChange.objects.filter(user=user)}
    assert set(changes) == {Field.ROLE, Field.SUPERUSER}
    assert changes[Field.ROLE].new_value == permissions.OFFICE_STAFF
    assert (changes[Field.SUPERUSER].old_value, changes[Field.SUPERUSER].new_value) == (
        "no",
        "yes",
    )
    assert changes[Field.SUPERUSER].changed_by is None  # the command line
    assert_recent(changes[Field.SUPERUSER].changed_at, started)


def test_making_a_superuser_with_createsuperuser_is_recorded(make_organisation):
    organisation = make_organisation()
    call_command(
        "createsuperuser",
        interactive=False,
        email="root@example.jp",
        display_name="管理 太郎",
        organisation=organisation.pk,
        stdout=io.StringIO(),
    )
    change = AccessChange.objects.get(user__email="root@example.jp")
    assert (change.field, change.old_value, change.new_value) == (
        Field.SUPERUSER,
        "no",
        "yes",
    )


def test_office_sees_who_changed_an_accounts_access_in_admin(
    office_client, office_staff, member, make_user
):
    make_user(organisation=member.organisation)
    accounts.staff_deactivate(user=member, actor=office_staff)
    response = office_client.get(reverse("admin:members_user_change", args=[member.pk]))
    assert response.status_code == 200
    inline = next(
        formset
        for formset in response.context["inline_admin_formsets"]
        if formset.formset.model is AccessChange
    )
    shown = [(form.instance.field, form.instance.changed_by) for form in inline.formset]
    # Newest first: turned off by the office, after the role made with the account.
    assert shown == [(Field.ACTIVE, office_staff), (Field.ROLE, None)]
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission


# ----- moderation -----


@pytest.fixture
def thread(member, make_thread):
    return make_thread(author=member)


def test_moderator_hiding_a_post_on_the_site_is_recorded(
    client, ward_staff, member, thread, make_reply, started
):
    reply = make_reply(thread=thread, author=member)
    client.force_login(ward_staff)
    client.post(reverse("boards:post_hide", args=[reply.pk]), {"reason": "個人情報"})
    entry = ModerationLog.objects.get()
    assert entry.action == ModerationLog.Action.HIDE_POST
    assert (entry.actor, entry.post, entry.thread) == (ward_staff, reply, thread)
    assert entry.reason == "個人情報"
    assert_recent(entry.created_at, started)


def test_moderator_locking_a_thread_on_the_site_is_recorded(
    client, ward_staff, thread, started
):
    client.force_login(ward_staff)
    client.post(reverse("boards:thread_lock", args=[thread.pk]), {"reason": "終了"})
    entry = ModerationLog.objects.get()
    assert (entry.action, entry.actor, entry.thread) == (
        ModerationLog.Action.LOCK,
        ward_staff,
        thread,
    )
    assert_recent(entry.created_at, started)


def test_office_hiding_threads_in_admin_is_recorded(
    office_client, office_staff, thread, started
):
    office_client.post(
        reverse("admin:boards_thread_changelist"),
        {
            "action": "step_hide",
            "_selected_action": [thread.pk],
            "apply": "1",
            "reason": "広告",
        },
    )
    entry = ModerationLog.objects.get()
    assert entry.reason == "広告"
    assert (entry.action, entry.actor, entry.thread) == (
        ModerationLog.Action.HIDE_THREAD,
        office_staff,
        thread,
    )
    assert_recent(entry.created_at, started)


def test_office_resolving_a_report_in_admin_is_recorded(
    office_client, office_staff, other_member, thread, started
):
    post = thread.posts.get(position=0)
    report = moderation.report_create(
        post=post, reporter=other_member, reason="不適切です"
    )
    office_client.post(
        reverse("admin:boards_report_changelist"),
        {
            "action": "step_resolve",
            "_selected_action": [report.pk],
            "apply": "1",
            "reason": "確認しました",
        },
    )
    entry = ModerationLog.objects.get()
    assert (entry.action, entry.actor, entry.post) == (
        ModerationLog.Action.RESOLVE_REPORT,
        office_staff,
        post,
    )
    assert entry.details == {"report": report.pk}
    report.refresh_from_db()
    assert (report.status, report.handled_by) == (Report.Status.RESOLVED, office_staff)
    assert_recent(entry.created_at, started)


# ----- dispatch edits -----


@pytest.fixture
def ward_team(ward_staff):
    prefecture = factories.make_prefecture()
    disaster = factories.make_disaster(prefecture=prefecture)
    request = factories.make_request(disaster=disaster)
    ward = ward_staff.organisation
    offer = factories.make_offer(request=request, sender=ward)
    return factories.make_dispatch(offer=offer, sender=ward, seats=2)


def _logged(obj, **filters):
    """What was logged about obj after it was made."""
    return ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        **filters,
    ).exclude(action=ChangeLog.Action.CREATE)


def test_ward_editing_its_teams_seats_records_old_and_new(
    client, ward_staff, ward_team, started
):
    first = ward_team.seats.order_by("pk").first()
    url = reverse("disaster_support:dispatch_update", args=[ward_team.pk])
    client.force_login(ward_staff)
    shown = client.get(url).context
    data = {**form_data(shown["form"]), **formset_data(shown["seat_formset"])}
    data["seats-0-person_name"] = "特別 太郎"
    data["seats-0-job_type"] = Seat.JobType.PUBLIC_HEALTH_NURSE
    assert client.post(url, data).status_code == 302
    changes = {c.field: c for c in _logged(first, action=ChangeLog.Action.UPDATE)}
    assert set(changes) == {"person_name", "job_type"}
    assert (changes["person_name"].old_value, changes["person_name"].new_value) == (
        "職員0",
        "特別 太郎",
    )
    assert (changes["job_type"].old_value, changes["job_type"].new_value) == (
        Seat.JobType.CLERICAL,
        Seat.JobType.PUBLIC_HEALTH_NURSE,
    )
    assert {c.changed_by for c in changes.values()} == {ward_staff}
    assert_recent(changes["person_name"].changed_at, started)


def test_office_editing_a_team_in_admin_records_old_and_new(
    office_client, office_staff, ward_team, started
):
    url = reverse("admin:disaster_support_dispatch_change", args=[ward_team.pk])
    data = admin_change_data(office_client.get(url))
    data["status"] = Dispatch.Status.CANCELLED
    assert office_client.post(url, data).status_code == 302
    change = _logged(ward_team).get()
    assert (change.field, change.old_value, change.new_value) == (
        "status",
        Dispatch.Status.PLANNED,
        Dispatch.Status.CANCELLED,
    )
    assert change.changed_by == office_staff
    assert_recent(change.changed_at, started)


def test_deleting_a_team_in_admin_records_its_seats_too(
    office_client, office_staff, ward_team
):
    seats = list(ward_team.seats.all())
    office_client.post(
        reverse("admin:disaster_support_dispatch_delete", args=[ward_team.pk]),
        {"post": "yes"},
    )
    assert not Dispatch.objects.filter(pk=ward_team.pk).exists()
    for seat in seats:
        deleted = _logged(seat, action=ChangeLog.Action.DELETE, field="person_name")
        assert deleted.get().old_value == seat.person_name
        assert deleted.get().changed_by == office_staff
    assert _logged(ward_team, action=ChangeLog.Action.DELETE).exists()


def test_changing_a_disasters_prefectures_in_admin_is_recorded(
    office_client, office_staff, ward_team
):
    disaster = ward_team.offer.request.disaster
    toyama = factories.make_prefecture("富山県")
    url = reverse("admin:disaster_support_disaster_change", args=[disaster.pk])
    data = admin_change_data(office_client.get(url))
    data["prefectures"] = [*data["prefectures"], str(toyama.pk)]
    assert office_client.post(url, data).status_code == 302
    change = _logged(disaster, field="prefectures", changed_by=office_staff).get()
    assert (change.old_value, change.new_value) == ("石川県", "石川県, 富山県")
    assert change.changed_by == office_staff


# ----- sign-ins -----


def sign_in(client, email, password=factories.PASSWORD, **headers):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        headers={"user-agent": BROWSER, **headers},
        REMOTE_ADDR="198.51.100.7",
    )


def test_sign_in_records_the_user_address_browser_and_time(client, member, started):
    sign_in(client, member.email)
    event = SignInEvent.objects.get()
    assert event.outcome == Outcome.SUCCEEDED
    assert (event.user, event.email) == (member, member.email)
    assert (event.ip_address, event.user_agent) == ("198.51.100.7", BROWSER)
    assert_recent(event.at, started)


def test_sign_in_behind_the_proxy_records_the_forwarded_address(
    client, member, settings
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    sign_in(client, member.email, x_forwarded_for="203.0.113.9")
    assert SignInEvent.objects.get().ip_address == "203.0.113.9"


def test_a_forged_forwarded_address_is_ignored_without_a_proxy(client, member):
    sign_in(client, member.email, x_forwarded_for="203.0.113.9")
    assert SignInEvent.objects.get().ip_address == "198.51.100.7"


def test_wrong_password_records_the_address_typed_and_no_user(client, member, started):
    sign_in(client, member.email, password="wrong-password")
    event = SignInEvent.objects.get()
    assert event.outcome == Outcome.FAILED
    assert (event.user, event.email) == (None, member.email)
    assert event.ip_address == "198.51.100.7"
    assert_recent(event.at, started)


def test_unknown_address_is_recorded_as_failed(client, db):
    sign_in(client, "nobody@example.jp", password="guess")
    event = SignInEvent.objects.get()
    assert (event.outcome, event.email, event.user) == (
        Outcome.FAILED,
        "nobody@example.jp",
        None,
    )


def test_attempt_refused_by_the_rate_limit_is_recorded_as_locked_out(client, member):
    for _attempt in range(5):
        sign_in(client, member.email, password="wrong-password")
    sign_in(client, member.email)
    assert "_auth_user_id" not in client.session
    outcomes = list(
        SignInEvent.objects.order_by("pk").values_list("outcome", flat=True)
    )
    assert outcomes == [Outcome.FAILED] * 5 + [Outcome.LOCKED_OUT]
    locked = SignInEvent.objects.get(outcome=Outcome.LOCKED_OUT)
    assert (locked.email, locked.user) == (member.email, None)


def test_wrong_two_factor_code_is_recorded_with_the_user(client, member, started):
    TOTP.activate(member, generate_totp_secret())
    sign_in(client, member.email)
    client.post(reverse("mfa_authenticate"), {"code": "wrong!"})
    event = SignInEvent.objects.get()
    assert (event.outcome, event.user) == (Outcome.MFA_FAILED, member)
    assert_recent(event.at, started)


def test_sign_out_is_recorded(client, member):
    sign_in(client, member.email)
    client.post(reverse("account_logout"))
    event = SignInEvent.objects.order_by("pk").last()
    assert (event.outcome, event.user) == (Outcome.SIGNED_OUT, member)


def test_a_long_browser_name_is_cut_to_fit(client, member):
    sign_in(client, member.email, user_agent="x" * 1000)
    assert len(SignInEvent.objects.get().user_agent) == 200


def test_records_older_than_the_retention_go_at_the_next_sign_in(client, member):
    old = SignInEvent.objects.create(
        outcome=Outcome.FAILED,
        email="old@example.jp",
        at=timezone.now() - sign_ins.KEEP_FOR - datetime.timedelta(days=1),
    )
    kept = SignInEvent.objects.create(
        outcome=Outcome.FAILED,
        email="recent@example.jp",
        at=timezone.now() - sign_ins.KEEP_FOR + datetime.timedelta(days=1),
    )
    sign_in(client, member.email)
    remaining = set(SignInEvent.objects.values_list("pk", flat=True))
    assert old.pk not in remaining
    assert kept.pk in remaining


def test_office_sees_the_sign_in_record_filtered_by_outcome(
    office_client, member, other_member
):
    sign_ins.sign_in_record(
        request=None, outcome=Outcome.FAILED, email="attacker@example.jp"
    )
    sign_ins.sign_in_record(
        request=None, outcome=Outcome.SUCCEEDED, user=member, email=member.email
    )
    response = office_client.get(
        reverse("admin:members_signinevent_changelist"),
        {"outcome__exact": Outcome.FAILED},
    )
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert [event.email for event in shown] == ["attacker@example.jp"]


def test_office_searches_the_sign_in_record_by_email(office_client, member):
    sign_ins.sign_in_record(
        request=None, outcome=Outcome.FAILED, email="attacker@example.jp"
    )
    sign_ins.sign_in_record(request=None, outcome=Outcome.FAILED, email="x@example.jp")
    response = office_client.get(
        reverse("admin:members_signinevent_changelist"), {"q": "attacker"}
    )
    assert [e.email for e in response.context["cl"].result_list] == [
        "attacker@example.jp"
    ]


def test_nobody_adds_changes_or_deletes_sign_in_records(office_client, member):
    event = sign_ins.sign_in_record(
        request=None, outcome=Outcome.FAILED, email="attacker@example.jp"
    )
    change_url = reverse("admin:members_signinevent_change", args=[event.pk])
    assert office_client.get(change_url).status_code == 200
    responses = [
        office_client.get(reverse("admin:members_signinevent_add")),
        office_client.post(change_url, {"email": "someone-else@example.jp"}),
        office_client.post(
            reverse("admin:members_signinevent_delete", args=[event.pk]),
            {"post": "yes"},
        ),
    ]
    assert [r.status_code for r in responses] == [403, 403, 403]
    event.refresh_from_db()
    assert event.email == "attacker@example.jp"


def test_ward_staff_cannot_open_the_sign_in_record(client, ward_staff):
    client.force_login(ward_staff)
    response = client.get(reverse("admin:members_signinevent_changelist"))
    assert response.status_code == 403
    assert not ward_staff.has_perm("members.view_signinevent")


def test_member_sees_their_own_recent_sign_ins_only(client, member, other_member):
    sign_in(client, other_member.email, user_agent="Other-Browser/1.0")
    client.post(reverse("account_logout"))
    sign_in(client, member.email)
    response = client.get(reverse("usersessions_list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert '<table class="history-table">' in content
    assert BROWSER in content
    assert "Other-Browser/1.0" not in content


def _sign_ins_of(users, each):
    for user in users:
        for _ in range(each):
            sign_ins.sign_in_record(
                request=None, outcome=Outcome.SUCCEEDED, user=user, email=user.email
            )


def test_sign_in_record_list_costs_the_same_for_more_rows(
    office_client, make_user, uncached
):
    url = reverse("admin:members_signinevent_changelist")
    _sign_ins_of([make_user() for _ in range(2)], 1)
    with CaptureQueriesContext(connection) as few:
        assert office_client.get(url).status_code == 200
    _sign_ins_of([make_user() for _ in range(20)], 3)
    with CaptureQueriesContext(connection) as many:
        response = office_client.get(url)
    assert response.context["cl"].result_count == SignInEvent.objects.count() > 60
    assert len(many) == len(few)


def test_recent_sign_ins_page_costs_the_same_for_more_rows(client, member, uncached):
    client.force_login(member)
    url = reverse("usersessions_list")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _sign_ins_of([member], 30)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.content.decode().count('<td class="nowrap">') == 10  # the latest
    assert len(many) == len(few)
