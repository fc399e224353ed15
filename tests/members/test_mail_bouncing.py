"""A bouncing address stops mail until the address changes."""

import pytest
from django.utils import timezone

from members.models import User
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _bouncing_user():
    user = make_user()
    User.objects.filter(pk=user.pk).update(mail_bouncing_since=timezone.now())
    return User.objects.get(pk=user.pk)


def test_changing_the_address_clears_the_bounce_mark():
    user = _bouncing_user()
    user.email = "new.address@city.example.jp"
    user.save()
    user.refresh_from_db()
    assert user.mail_bouncing_since is None


def test_saving_with_the_same_address_keeps_the_bounce_mark():
    user = _bouncing_user()
    user.display_name = "別の名前"
    user.save()
    user.refresh_from_db()
    assert user.mail_bouncing_since is not None


def test_an_address_changed_with_update_fields_clears_the_mark_too():
    user = _bouncing_user()
    user.email = "other@city.example.jp"
    user.save(update_fields=["email"])
    user.refresh_from_db()
    assert user.mail_bouncing_since is None
