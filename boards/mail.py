"""Notification mail: building the messages and delivering them.

send_pending_mail (queued by boards.services.notifications.fan_out, and run
by the mail scheduler) mails what people want at once; send_daily_digests
once a day. A notification is marked as mailed only after its mail was
accepted, so a failing mail server delays mail but loses none. Mail asks
the board's reading rule again when it goes out, so it never carries what
its reader may no longer see.
"""

import smtplib
from contextlib import ExitStack
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from members.models import User

from . import permissions
from .models import Frequency, Notification, NotificationKind
from .selectors import describe

UNSUBSCRIBE_SALT = "boards.unsubscribe"
# Long enough for a mail read weeks later; an old leaked mail goes stale.
UNSUBSCRIBE_MAX_AGE = timedelta(days=90)


def unsubscribe_token(*, user: User, kinds: list[str]) -> str:
    """A signed token that turns mail of some kinds off for one person."""
    return signing.dumps({"u": user.pk, "k": sorted(kinds)}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_check(token: str) -> tuple[User, list[NotificationKind]] | None:
    """The person and kinds a token stands for, or None if it is not valid."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
        kinds = [NotificationKind(kind) for kind in data["k"]]
        return User.objects.get(pk=data["u"]), kinds
    except (signing.BadSignature, KeyError, TypeError, ValueError, User.DoesNotExist):
        return None


def _site_url(name, *args):
    return settings.SITE_URL + reverse(name, args=args)


class ListUnsubscribe(str):
    """The List-Unsubscribe header value, kept on one line.

    Python's mail package would fold a long URL into RFC 2047 encoded
    words, which mail clients ignore here; RFC 5322 allows 998 characters.
    """

    name = "List-Unsubscribe"

    def fold(self, *, policy):
        return f"{self.name}: {self}{policy.linesep}"


def _message(user, notifications, template):
    kinds = sorted({notification.kind for notification in notifications})
    unsubscribe_url = _site_url(
        "boards:notification_unsubscribe", unsubscribe_token(user=user, kinds=kinds)
    )
    for notification in notifications:
        notification.text = describe(notification)
        notification.url = _site_url("boards:notification_open", notification.pk)
    context = {
        "user": user,
        "notifications": notifications,
        "unsubscribe_url": unsubscribe_url,
        "settings_url": _site_url("boards:notification_settings"),
    }
    subject = render_to_string(f"{template}_subject.txt", context)
    message = EmailMultiAlternatives(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split()),
        body=render_to_string(f"{template}_message.txt", context),
        to=[user.email],
        headers={
            # RFC 8058: mail clients offer a one-click unsubscribe button.
            "List-Unsubscribe": ListUnsubscribe(f"<{unsubscribe_url}>"),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(
        render_to_string(f"{template}_message.html", context), "text/html"
    )
    return message


def _deliver(frequency: str, template: str) -> int:
    """Mail each person their unmailed notifications in one message.

    Only what the person may still read on the site goes out: a
    notification of a thread or post hidden or deleted since, or of a
    person whose membership was suspended, waits unmailed, and goes out if
    it becomes readable again.

    Each person's rows are locked while their mail is sent and marked as
    mailed in the same short transaction, so two workers never mail the same
    notification, and a worker killed in the middle of a run leaves at most
    the one mail it was sending to go out again. An address the server
    refuses is skipped; any other error stops the run. Either way the rest
    wait for the next run and the error fails the task.
    """
    pending = permissions.readable_notifications(
        Notification.objects.filter(mail=frequency, mailed_at__isnull=True)
    )
    sent = 0
    refused = set()
    refusal = None
    with ExitStack() as opened:
        connection = None
        while True:
            with transaction.atomic():
                first = (
                    pending.exclude(user_id__in=refused)
                    .select_for_update(skip_locked=True, of=("self",))
                    .order_by("user_id", "created_at", "pk")
                    .first()
                )
                if first is None:
                    break
                rows = list(
                    pending.filter(user_id=first.user_id)
                    .select_for_update(of=("self",))
                    .select_related("user", "thread__category")
                    .select_related("actor__organisation__prefecture")
                    .order_by("created_at", "pk")
                )
                message = _message(rows[0].user, rows, template)
                if connection is None:
                    connection = opened.enter_context(mailers.default)
                try:
                    connection.send_messages([message])
                except smtplib.SMTPRecipientsRefused as error:
                    # One bad address must not hold up everyone's mail.
                    refused.add(first.user_id)
                    refusal = error
                    continue
                Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
                    mailed_at=timezone.now()
                )
                sent += 1
    if refusal is not None:
        raise refusal
    return sent


@task
def send_pending_mail() -> int:
    """Mail the notifications people want at once; returns the mails sent."""
    return _deliver(Frequency.IMMEDIATE, "boards/email/notification")


@task
def send_daily_digests() -> int:
    """Mail each person one digest of their daily notifications; returns how many."""
    return _deliver(Frequency.DAILY, "boards/email/digest")
