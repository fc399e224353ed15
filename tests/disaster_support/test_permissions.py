import pytest

from disaster_support import permissions, services
from disaster_support.models import HelpRequest
from members.models import MembershipStatus
from tests import factories


@pytest.fixture
def people(office_staff, nanao_staff, chiyoda_staff, minato_staff, member):
    # member: staff of a member city outside the affected prefecture.
    return {
        "office": office_staff,
        "nanao": nanao_staff,
        "chiyoda": chiyoda_staff,
        "minato": minato_staff,
        "outsider": member,
    }


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("office", True),
        ("nanao", True),
        ("chiyoda", False),
        ("outsider", False),
    ],
)
def test_can_enter_request(people, disaster, who, allowed):
    assert permissions.can_enter_request(people[who], disaster) is allowed


@pytest.mark.parametrize(
    ("who", "acts_for"),
    [("office", None), ("nanao", "nanao"), ("chiyoda", "chiyoda")],
)
def test_office_acts_for_anyone_others_in_their_own_name(people, who, acts_for):
    expected = people[acts_for].organisation if acts_for else None
    assert permissions.acting_organisation(people[who]) == expected


def test_member_enters_only_its_own_request(people, disaster, ishikawa):
    wajima = factories.make_organisation(name="輪島市", prefecture=ishikawa)
    assert not permissions.can_enter_request(people["nanao"], disaster, wajima)
    assert permissions.can_enter_request(people["office"], disaster, wajima)


@pytest.mark.parametrize(
    ("who", "edit", "see"),
    [
        ("office", True, True),
        ("nanao", True, True),
        ("chiyoda", False, True),
        # Any member reads requests, so that any member can answer them.
        ("outsider", False, True),
    ],
)
def test_request_rights(people, help_request, who, edit, see):
    assert permissions.can_edit_request(people[who], help_request) is edit
    assert permissions.can_see_request(people[who], help_request) is see


@pytest.mark.parametrize(
    ("who", "own", "joint", "names"),
    [
        ("office", True, True, True),
        ("chiyoda", True, False, True),
        ("minato", False, False, False),
        ("nanao", False, False, False),
    ],
)
def test_dispatch_rights(people, help_request, chiyoda, who, own, joint, names):
    own_offer = factories.make_offer(request=help_request, sender=chiyoda)
    own_dispatch = factories.make_dispatch(offer=own_offer, sender=chiyoda)
    joint_dispatch = factories.make_dispatch(
        offer=factories.make_offer(request=help_request), sender=chiyoda
    )
    user = people[who]
    assert permissions.can_edit_dispatch(user, own_dispatch) is own
    assert permissions.can_edit_offer(user, own_offer) is own
    assert permissions.can_edit_dispatch(user, joint_dispatch) is joint
    assert permissions.can_see_names(user, own_dispatch) is names


@pytest.mark.parametrize(
    ("who", "allowed"),
    # Any member helps, but not itself.
    [("office", True), ("chiyoda", True), ("nanao", False), ("outsider", True)],
)
def test_can_offer(people, help_request, who, allowed):
    assert permissions.can_offer(people[who], help_request) is allowed


def test_everyone_in_the_members_area_reads_reports(people):
    assert all(permissions.can_view_reports(user) for user in people.values())


@pytest.mark.parametrize(
    ("who", "manage", "read"),
    [
        ("office", True, True),
        ("nanao", False, True),
        ("chiyoda", False, True),
        ("outsider", False, True),
    ],
)
def test_damage_points_rights(people, who, manage, read):
    """The office works the 復興支援金 calculation; every member reads it."""
    assert permissions.can_manage_damage(people[who]) is manage
    assert permissions.can_view_reports(people[who]) is read


@pytest.mark.parametrize(
    ("who", "edit", "edit_offer", "edit_team"),
    [
        ("office", True, True, True),
        ("nanao", False, False, False),
        ("chiyoda", False, False, False),
    ],
)
def test_closed_requests_are_the_offices_to_correct(
    people, help_request, chiyoda, who, edit, edit_offer, edit_team
):
    offer = factories.make_offer(request=help_request, sender=chiyoda)
    dispatch = factories.make_dispatch(offer=offer, sender=chiyoda)
    help_request = services.request_update(
        help_request=help_request, actor=None, status=HelpRequest.Status.COMPLETED
    )
    offer.request = help_request
    dispatch.offer = offer
    user = people[who]
    assert permissions.can_edit_request(user, help_request) is edit
    assert permissions.can_edit_offer(user, offer) is edit_offer
    assert permissions.can_edit_dispatch(user, dispatch) is edit_team
    assert permissions.can_offer(user, help_request) is False


@pytest.mark.parametrize("who", ["office", "nanao", "chiyoda", "outsider"])
def test_every_member_sees_open_requests(people, who):
    assert permissions.can_see_open_requests(people[who])


def test_a_non_member_does_not_see_open_requests(db):
    outsider = factories.make_user(
        organisation=factories.make_organisation(
            membership_status=MembershipStatus.NONE
        )
    )
    assert not permissions.can_see_open_requests(outsider)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("office", True),
        ("nanao", True),
        ("chiyoda", True),
        ("outsider", True),
        ("applicant", False),
    ],
)
def test_can_view_organisation_aid(people, who, allowed):
    people["applicant"] = factories.make_user(
        organisation=factories.make_organisation(
            membership_status=MembershipStatus.APPLIED
        )
    )
    assert permissions.can_view_organisation_aid(people[who]) is allowed
