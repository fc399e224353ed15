import pytest
from django.core.management import call_command
from django.utils import timezone

from boards.models import Answer, Inquiry

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_open_inquiry_to_the_ishikawa_members(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo_inquiries", verbosity=0)
    inquiry = Inquiry.objects.get()
    assert inquiry.status == Inquiry.Status.OPEN
    assert inquiry.deadline_on > timezone.localdate()
    assert inquiry.questions.count() == 3
    assert sorted(inquiry.recipients.values_list("organisation__name", flat=True)) == [
        "七尾市",
        "金沢市",
    ]
    assert not Answer.objects.exists()
