import pytest

from boards.inquiries import permissions
from boards.models import Inquiry
from boards.services import inquiries as services
from members.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db

ALL = set(Inquiry.Audience.values)


@pytest.fixture
def people(office, nanao_staff, kanazawa_staff, ward_staff):
    outsider = factories.make_user(email="outsider@example.jp")
    ward_member = factories.make_user(
        organisation=ward_staff.organisation, email="ward-member@example.jp"
    )
    return {
        "office": office,
        "nanao": nanao_staff,
        "kanazawa": kanazawa_staff,
        "ward": ward_staff,
        "ward_member": ward_member,
        "outsider": outsider,
    }


@pytest.mark.parametrize(
    ("who", "audiences"),
    [
        ("office", ALL),
        ("ward", ALL),
        ("ward_member", ALL),
        ("nanao", {"chosen"}),
        ("outsider", {"chosen"}),
    ],
)
def test_who_may_address_whom(people, who, audiences):
    assert set(permissions.audiences_for(people[who])) == audiences


def test_a_suspended_member_sends_nothing(people):
    user = people["outsider"]
    Organisation.objects.filter(pk=user.organisation_id).update(
        membership_status="suspended"
    )
    user.organisation.refresh_from_db()
    assert permissions.audiences_for(user) == []
    assert permissions.can_send_inquiry(user) is False


@pytest.mark.parametrize(
    ("who", "view", "answer", "manage", "see_answers"),
    [
        ("office", True, False, True, True),
        ("nanao", True, True, False, False),
        ("kanazawa", True, True, False, False),
        ("ward", False, False, False, False),
        ("outsider", False, False, False, False),
    ],
)
def test_what_each_person_may_do_with_a_sent_inquiry(
    people, inquiry, who, view, answer, manage, see_answers
):
    user = people[who]
    assert permissions.can_view_inquiry(user, inquiry) is view
    assert permissions.can_answer(user, inquiry) is answer
    assert permissions.can_manage_inquiry(user, inquiry) is manage
    assert permissions.can_see_answers(user, inquiry) is see_answers


def test_the_sender_organisations_staff_manage_it(people, nanao, kanazawa):
    inquiry = factories.make_inquiry(sender=people["nanao"], organisations=[kanazawa])
    colleague = factories.make_user(organisation=nanao)
    assert permissions.can_manage_inquiry(colleague, inquiry) is True
    assert permissions.can_manage_inquiry(people["kanazawa"], inquiry) is False


def test_a_draft_is_invisible_to_those_it_will_ask(people, nanao):
    draft = factories.make_inquiry(
        sender=people["office"], organisations=[nanao], send=False
    )
    assert permissions.can_view_inquiry(people["nanao"], draft) is False
    assert permissions.can_edit_inquiry(people["office"], draft) is True


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("office", True),
        ("nanao", True),
        ("kanazawa", False),
        ("outsider", False),
    ],
)
def test_who_reads_an_organisations_answer(people, inquiry, nanao, who, allowed):
    answer = services.answer_save(
        inquiry=inquiry, organisation=nanao, actor=people["nanao"], values={}
    )
    assert permissions.can_read_answer(people[who], answer) is allowed


@pytest.mark.parametrize(("shared", "allowed"), [(True, True), (False, False)])
def test_totals_for_those_asked_only_when_shared(people, inquiry, shared, allowed):
    inquiry.share_results = shared
    assert permissions.can_see_shared_results(people["kanazawa"], inquiry) is allowed
    assert permissions.can_see_shared_results(people["outsider"], inquiry) is False
    assert permissions.can_see_shared_results(people["office"], inquiry) is True


def test_visible_inquiries(people, inquiry, nanao):
    draft = factories.make_inquiry(
        sender=people["office"], organisations=[nanao], send=False
    )
    everything = Inquiry.objects.all()
    assert set(permissions.visible_inquiries(people["office"], everything)) == {
        inquiry,
        draft,
    }
    assert set(permissions.visible_inquiries(people["nanao"], everything)) == {inquiry}
    assert set(permissions.visible_inquiries(people["outsider"], everything)) == set()
