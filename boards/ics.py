"""The personal calendar feed (ICS) that Outlook and Google Calendar subscribe to.

The feed's address carries a signed token naming the person and their
current feed key (boards.models.CalendarFeedKey). Calendar programs fetch
it without a session, so the token is the only credential: a reissue
changes the key and every earlier address stops working (404). Tokens are
signed with SECRET_KEY; rotating it also ends every address.

Every item is a whole-day item (DATE values, DTEND the day after the last
day), so no time zone is needed. UIDs are stable (event-<pk>@<host>,
deadline-event-<pk>@<host>), DTSTAMP is when the item last changed, and
SEQUENCE grows with each change (boards.calendar). An event whose thread is
hidden drops out of members' feeds, as calendars drop what a subscribed
feed no longer lists; moderators, who still see it, get it as
STATUS:CANCELLED. Changes reach subscribers when their program next polls
(Google: every 8-12 hours; Outlook on the web: about every 3 hours).
"""

import datetime
import hmac
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import User
from members.permissions import can_use_members_area

from .calendar import CalendarItem, calendar_items
from .models import CalendarFeedKey

FEED_SALT = "boards.calendar_feed"
# How far back and ahead the feed reaches.
FEED_PAST = datetime.timedelta(days=365)
FEED_FUTURE = datetime.timedelta(days=2 * 365)


def _signer():
    return signing.Signer(salt=FEED_SALT)


def _current_key(user: User) -> str:
    row = CalendarFeedKey.objects.filter(user=user).values_list("key", flat=True)
    return row.first() or ""


def feed_token(user: User) -> str:
    """The secret token of the person's feed address as it stands now."""
    # No timestamp: the address stays the same until it is reissued.
    return _signer().sign_object({"u": user.pk, "k": _current_key(user)})


def feed_user(token: str) -> User | None:
    """The person a feed token stands for, or None: a forged or reissued
    token, or a person who may no longer use the members' area."""
    try:
        data = _signer().unsign_object(token)
        pk, key = int(data["u"]), str(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    user = User.objects.select_related("organisation").filter(pk=pk).first()
    if user is None or not can_use_members_area(user):
        return None
    if not hmac.compare_digest(key, _current_key(user)):
        return None
    return user


def feed_urls(user: User) -> tuple[str, str]:
    """The feed's https address and the same as a webcal:// link."""
    url = settings.SITE_URL + reverse("calendar:feed", args=[feed_token(user)])
    return url, "webcal://" + url.split("://", 1)[1]


def _host():
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def _vevent(item: CalendarItem, host: str) -> icalendar.Event:
    changed = item.changed_at or timezone.now()
    event = icalendar.Event.new(
        uid=f"{item.uid}@{host}",
        summary=item.title,
        start=item.starts_on,
        # DTEND of a whole-day item is the day after its last day.
        end=item.ends_on + datetime.timedelta(days=1),
        stamp=changed.astimezone(datetime.UTC),
        sequence=item.sequence,
        url=settings.SITE_URL + item.url,
        location=item.place or None,
        categories=[item.category] if item.category else (),
        description=item.organisation or None,
        transparency="TRANSPARENT" if item.is_deadline else None,
        status="CANCELLED" if item.is_cancelled else "CONFIRMED",
    )
    return event


def feed_calendar(user: User, *, today: datetime.date | None = None) -> bytes:
    """The person's feed as iCalendar bytes: what they may see, a year back
    and two years ahead."""
    today = today or timezone.localdate()
    host = _host()
    items = calendar_items(user, start=today - FEED_PAST, end=today + FEED_FUTURE)
    calendar = icalendar.Calendar.new(
        name=_("Renkei: events and deadlines"),
        prodid="-//23 Wards Nationwide Collaboration//Renkei//JA",
        # Pinned: a random calendar UID would make each fetch a new calendar.
        uid=f"calendar-{user.pk}@{host}",
        url=settings.SITE_URL + reverse("calendar:month"),
        subcomponents=[_vevent(item, host) for item in items],
    )
    return calendar.to_ical()
