import pytest

from boards import permissions
from boards.services import moderation
from members import permissions as roles
from tests.factories import (
    make_event,
    make_organisation,
    make_user,
    open_registration,
    sign_up,
)

pytestmark = pytest.mark.django_db

PEOPLE = [
    "organiser",
    "colleague",
    "attendee_org",
    "stranger",
    "ward",
    "office",
    "suspended",
    "inactive",
]


@pytest.fixture
def world():
    organiser = make_user()
    attendee_org = make_user()
    suspended = make_user(organisation=make_organisation(membership_status="suspended"))
    inactive = make_user(organisation=organiser.organisation)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    office_org = make_organisation(name="特別区協議会", kind="body")
    people = {
        "organiser": organiser,
        "colleague": make_user(organisation=organiser.organisation),
        "attendee_org": attendee_org,
        "stranger": make_user(),
        "ward": make_user(role=roles.WARD_STAFF),
        "office": make_user(organisation=office_org, role=roles.OFFICE_STAFF),
        "suspended": suspended,
        "inactive": inactive,
    }
    event = make_event(author=organiser)
    open_registration(event=event)
    attendee = sign_up(event=event, actor=attendee_org, name="一")
    return people, event, attendee


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("organiser", True),
        ("colleague", True),
        ("attendee_org", False),
        ("stranger", False),
        ("ward", False),
        ("office", True),
        ("suspended", False),
        ("inactive", False),
    ],
)
def test_can_manage_registration(world, who, allowed):
    people, event, _attendee = world
    assert permissions.can_manage_registration(people[who], event.thread) is allowed


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("organiser", True),
        ("colleague", True),
        ("attendee_org", True),
        ("stranger", True),
        ("ward", True),
        ("office", True),
        ("suspended", False),
        ("inactive", False),
    ],
)
def test_can_register_for(world, who, allowed):
    people, event, _attendee = world
    assert permissions.can_register_for(people[who], event.thread) is allowed


@pytest.mark.parametrize("who", PEOPLE)
def test_nobody_registers_for_a_hidden_event(world, who):
    people, event, _attendee = world
    moderation.thread_hide(thread=event.thread, actor=people["office"])
    assert permissions.can_register_for(people[who], event.thread) is False


@pytest.mark.parametrize("who", PEOPLE)
def test_nobody_registers_for_a_locked_event(world, who):
    people, event, _attendee = world
    moderation.thread_lock(thread=event.thread, actor=people["office"])
    assert permissions.can_register_for(people[who], event.thread) is False


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("organiser", True),
        ("colleague", True),
        ("attendee_org", True),
        ("stranger", False),
        ("ward", False),
        ("office", True),
        ("suspended", False),
        ("inactive", False),
    ],
)
def test_can_cancel_attendee(world, who, allowed):
    people, _event, attendee = world
    assert permissions.can_cancel_attendee(people[who], attendee) is allowed
