import pytest
from django.core.management import call_command

from boards.models import Attendee

pytestmark = pytest.mark.django_db


def test_seed_demo_has_an_event_with_sign_ups_and_a_waiting_list(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    attendees = Attendee.objects.select_related("organisation")
    assert {a.organisation.code for a in attendees} == {"172022", "172014", "022021"}
    waiting = attendees.filter(status="waiting")
    assert [a.name for a in waiting] == ["弘前 桜子"]
    assert attendees.filter(status="confirmed").count() == 4
