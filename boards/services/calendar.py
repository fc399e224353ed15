"""The personal calendar feed's address."""

import secrets

from django.utils import timezone

from members.models import User

from ..models import CalendarFeedKey


def calendar_feed_reissue(*, user: User) -> CalendarFeedKey:
    """Give the person a new feed address; the old one stops working."""
    feed_key, _created = CalendarFeedKey.objects.update_or_create(
        user=user,
        defaults={"key": secrets.token_urlsafe(24), "issued_at": timezone.now()},
    )
    return feed_key
