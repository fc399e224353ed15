import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.functional import SimpleLazyObject, empty

from members.models import MembershipChange, MembershipStatus, Organisation, User
from members.services import organisations

pytestmark = pytest.mark.django_db


def test_staff_of_a_suspended_organisation_cannot_use_the_members_pages(client, member):
    organisations.organisation_set_status(
        organisation=member.organisation,
        status=MembershipStatus.SUSPENDED,
        actor=None,
    )
    client.force_login(member)
    response = client.get("/")
    assert response.status_code == 200  # the public landing page stays open
    page = client.get("/accounts/2fa/")
    assert page.status_code == 403
    assert "会員資格が有効ではありません" in page.content.decode()


def test_status_changes_record_who_when_and_why(member, office_staff):
    organisation = member.organisation
    organisations.organisation_set_status(
        organisation=organisation,
        status=MembershipStatus.WITHDRAWN,
        actor=office_staff,
        reason="退会届の受理",
    )
    change = MembershipChange.objects.get(organisation=organisation)
    assert (change.old_status, change.new_status) == ("member", "withdrawn")
    assert change.changed_by == office_staff
    assert change.reason == "退会届の受理"


def test_becoming_a_member_sets_the_registration_date(make_organisation):
    organisation = make_organisation(membership_status=MembershipStatus.APPLIED)
    organisations.organisation_set_status(
        organisation=organisation, status=MembershipStatus.MEMBER, actor=None
    )
    organisation.refresh_from_db()
    assert organisation.joined_on is not None


def test_admin_status_change_goes_through_the_service(
    client, member, office_staff, settings
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.force_login(office_staff)
    organisation = member.organisation
    url = f"/admin/members/organisation/{organisation.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "code": organisation.code,
        "name": organisation.name,
        "kana": "",
        "kind": organisation.kind,
        "profile": "",
        "membership_status": "suspended",
        "department": "総務課",
        "contact_person": "",
        "contact_email": "",
        "phone": "",
        "postal_code": "",
        "address": "",
        "latitude": "",
        "longitude": "",
        "mail_encoding": "utf-8",
        "membershipchange_set-TOTAL_FORMS": "0",
        "membershipchange_set-INITIAL_FORMS": "0",
        "membership_changes-TOTAL_FORMS": "0",
        "membership_changes-INITIAL_FORMS": "0",
        "contact_changes-TOTAL_FORMS": "0",
        "contact_changes-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    organisation.refresh_from_db()
    assert organisation.membership_status == "suspended"
    assert (
        MembershipChange.objects.get(organisation=organisation).changed_by
        == office_staff
    )
    assert organisation.contact_changes.get(field="department").new_value == "総務課"


def test_load_local_governments_is_complete_and_idempotent():
    call_command("load_local_governments", verbosity=0)
    call_command("load_local_governments", verbosity=0)
    counts = {
        kind: Organisation.objects.filter(kind=kind).count()
        for kind in ["prefecture", "city", "town", "village", "special_ward"]
    }
    assert counts == {
        "prefecture": 47,
        "city": 792,
        "town": 743,
        "village": 183,
        "special_ward": 23,
    }
    nanao = Organisation.objects.get(code="172022")
    assert nanao.full_name == "石川県七尾市"
    assert nanao.kana == "ななおし"


def test_loading_again_keeps_membership_and_contact_details():
    call_command("load_local_governments", verbosity=0)
    nanao = Organisation.objects.get(code="172022")
    organisations.organisation_set_status(
        organisation=nanao, status=MembershipStatus.MEMBER, actor=None
    )
    organisations.organisation_update_contact(
        organisation=nanao, actor=None, changes={"department": "観光交流課"}
    )
    call_command("load_local_governments", verbosity=0)
    nanao.refresh_from_db()
    assert nanao.membership_status == MembershipStatus.MEMBER
    assert nanao.department == "観光交流課"


def test_seed_demo_refuses_without_debug(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")


def test_seed_demo_creates_the_documented_accounts(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    from members.models import User

    emails = set(User.objects.values_list("email", flat=True))
    assert {
        "office@example.jp",
        "chiyoda@example.jp",
        "nanao@example.jp",
        "kanazawa@example.jp",
    } <= emails
    assert Organisation.objects.get(code="131016").is_member
    assert Organisation.objects.members().filter(kind="special_ward").count() == 23


def test_a_members_only_view_is_given_the_account_itself(member_client, member):
    """Not the lazy stand-in AuthenticationMiddleware sets, once read
    (members.middleware.ConcreteUserMiddleware)."""
    response = member_client.get(reverse("boards:home"))

    assert type(response.wsgi_request.user) is User
    assert response.wsgi_request.user.pk == member.pk


def test_a_page_that_never_reads_the_account_leaves_it_unread(client, member):
    client.force_login(member)
    response = client.get("/healthz")

    user = response.wsgi_request.user
    assert isinstance(user, SimpleLazyObject)
    assert user._wrapped is empty
