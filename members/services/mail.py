"""Mail from members: what it says, where it links, whom it is built for.

mail_build makes every outgoing message (members.tasks and boards.mail
send them); the signed addresses mail is answered to are made here too
(address_signature; the bounce address here, the board's reply addresses
in boards.mail_addresses). Nothing here queues work, so members.tasks can
use it without a loop.
"""

import base64
import hashlib
import hmac
import logging
from collections.abc import Mapping, Sequence

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse

from .. import permissions
from ..common.mail_messages import (
    UTF8,
    OutgoingMail,
    fold_long_lines,
    mail_message,
    wrap_text,
)
from ..models import User

logger = logging.getLogger(__name__)

BOUNCE = "bounce"


def mail_render(*, template: str, context: dict) -> tuple[str, str]:
    """The subject (with the site's prefix) and body of a mail template."""
    context = {"site_url": settings.SITE_URL, **context}
    # One line: a name with a line break must not break the mail header.
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}_message.txt", context)
    return settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body


def office_addresses() -> list[str]:
    """E-mail addresses of the active office staff."""
    return list(
        permissions.office_staff_users(User.objects.all()).values_list(
            "email", flat=True
        )
    )


def site_link(path: str) -> str:
    """An absolute link for a mail: RENKEI_SITE_URL, never the request's Host."""
    return settings.SITE_URL + path


def password_setup_url(*, user: User) -> str:
    """A one-time link with which a new account sets its password."""
    return site_link(
        reverse(
            "account_reset_password_from_key",
            kwargs={
                "uidb36": user_pk_to_url_str(user),
                "key": default_token_generator.make_token(user),
            },
        )
    )


# ----- addresses mail is answered to -----


def b32(data: bytes) -> str:
    """Lower-case base32 without padding: safe in an address's local part."""
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def address_signature(kind: str, value: str) -> str:
    """A short keyed signature of ``kind:value`` for a local part."""
    key = hashlib.sha256(
        f"renkei.mail_addresses.{settings.SECRET_KEY}".encode()
    ).digest()
    digest = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).digest()
    return b32(digest)[:12]


def mail_domain_enabled() -> bool:
    """Whether mail can be answered: RENKEI_MAIL_DOMAIN is set."""
    return bool(settings.MAIL_DOMAIN)


def signed_address(kind: str, value: str, *, signed: bool = True) -> str:
    """``kind+value-signature@RENKEI_MAIL_DOMAIN``."""
    local = f"{kind}+{value}"
    if signed:
        local += f"-{address_signature(kind, value)}"
    return f"{local}@{settings.MAIL_DOMAIN}"


def _address_hash(email: str) -> str:
    return b32(hashlib.sha256(email.strip().lower().encode()).digest())[:6]


def bounce_address(*, user: User) -> str:
    """The envelope sender (VERP) of mail to ``user`` at their present address."""
    return signed_address(BOUNCE, f"{user.pk:x}.{_address_hash(user.email)}")


def bounce_user_find(value: str) -> User | None:
    """The person a bounce address's value names, if it is still their address."""
    pk, _, address_hash = value.partition(".")
    try:
        user = User.objects.select_related("organisation").get(pk=int(pk, 16))
    except (ValueError, User.DoesNotExist):
        return None
    if _address_hash(user.email) != address_hash:
        return None
    return user


# ----- building messages -----


def _members_by_address(addresses):
    wanted = {address.lower() for address in addresses}
    if not wanted:
        return {}
    users = (
        User.objects.select_related("organisation")
        .annotate(address=Lower("email"))
        .filter(address__in=wanted)
    )
    return {user.address: user for user in users}


def mail_build(
    *,
    to: Sequence,
    subject: str,
    body: str,
    html: str | None = None,
    reply_to: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
    auto_generated: bool = False,
    wrap: bool = False,
) -> list[OutgoingMail]:
    """One message per address in ``to`` (members.User objects or addresses).

    An address that belongs to a member takes that member's encoding and
    bounce address; an address that bounces gets nothing (logged). With
    ``wrap`` the whole body is wrapped for fixed-width clients (wrap_text);
    without, only text the caller wrapped is, and members' words stay as
    they typed them. Either way no line is longer than 998 octets.
    ``auto_generated`` marks notifications (Auto-Submitted: auto-generated),
    so that auto-replies stay quiet.
    """
    addresses = [item for item in to if not isinstance(item, User)]
    members = _members_by_address(addresses)
    recipients = [
        (item, item.email)
        if isinstance(item, User)
        else (members.get(item.lower()), item)
        for item in to
    ]
    text = wrap_text(body) if wrap else fold_long_lines(body)
    subject = " ".join(str(subject).split())
    messages = []
    for user, address in recipients:
        if user is not None and user.mail_bouncing_since is not None:
            logger.warning(
                "Mail to %s not sent: the address bounces since %s.",
                address,
                user.mail_bouncing_since.isoformat(),
            )
            continue
        envelope = settings.DEFAULT_FROM_EMAIL
        if user is not None and mail_domain_enabled():
            envelope = bounce_address(user=user)
        messages.append(
            mail_message(
                address=address,
                name=user.display_name if user else "",
                charset=user.effective_mail_encoding if user else UTF8,
                envelope=envelope,
                subject=subject,
                text=text,
                html=html,
                reply_to=reply_to,
                headers=headers,
                auto_generated=auto_generated,
            )
        )
    return messages
