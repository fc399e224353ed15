"""The addresses Renkei's mail is answered to, made and read in one place.

- ``reply+<key>-<signature>@RENKEI_MAIL_DOMAIN``: the Reply-To of one mail
  to one person about one thread. The key is a ReplyKey row (it posts
  once, and expires); the signature lets the receiver refuse a made-up
  address during SMTP, before looking anything up.
- ``bounce+<user>-<signature>@…``: the envelope sender (VERP). A bounce
  comes back to it and names the person and the address it was sent to;
  after the person changes their address, old bounces no longer match.
- ``new+<category slug>@…``: a category that takes new threads by mail.

Local parts are lower case (some MTAs fold case) and short (64 at most).
"""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import constant_time_compare

from members.models import User
from members.services.mail import (
    BOUNCE,
    address_signature,
    b32,
    bounce_address,
    signed_address,
)
from members.services.mail import bounce_user_find as _bounce_user_find
from members.services.mail import mail_domain_enabled as enabled

from .models import Category, Post, ReplyKey, Thread

REPLY = "reply"
NEW_THREAD = "new"

__all__ = [
    "BOUNCE",
    "NEW_THREAD",
    "REPLY",
    "Recipient",
    "bounce_address",
    "bounce_user_find",
    "category_address",
    "enabled",
    "recipient_parse",
    "reply_address",
    "reply_key_find",
]


def reply_address(*, user: User, thread: Thread, post: Post | None = None) -> str:
    """A new reply address for one mail to ``user`` about ``thread``."""
    key = ReplyKey.objects.create(
        key=b32(secrets.token_bytes(10)), user=user, thread=thread, post=post
    )
    return signed_address(REPLY, key.key)


def category_address(category: Category) -> str:
    """Where members mail a new thread for a category that takes them."""
    return signed_address(NEW_THREAD, category.slug, signed=False)


@dataclass(frozen=True)
class Recipient:
    """What one of Renkei's addresses stands for."""

    kind: str  # REPLY, BOUNCE or NEW_THREAD
    value: str  # the ReplyKey's key, "<user pk hex>.<hash>", or a slug
    signed_ok: bool = True


def recipient_parse(address: str) -> Recipient | None:
    """What an address mailed to Renkei stands for, or None if it is not one.

    An address at another domain, of an unknown kind, or whose signature
    does not match is None: the receiver refuses it during SMTP, so no
    bounce ever goes to a forged sender.
    """
    if not enabled():
        return None
    local, _, domain = address.strip().strip("<>").rpartition("@")
    if domain.lower() != settings.MAIL_DOMAIN or "+" not in local:
        return None
    kind, _, rest = local.lower().partition("+")
    if kind == NEW_THREAD:
        return Recipient(NEW_THREAD, rest) if rest else None
    if kind not in (REPLY, BOUNCE):
        return None
    value, _, signature = rest.rpartition("-")
    if not value or not constant_time_compare(
        signature, address_signature(kind, value)
    ):
        return None
    return Recipient(kind, value)


def reply_key_find(recipient: Recipient) -> ReplyKey | None:
    """The ReplyKey of a reply address, with its person and thread."""
    return (
        ReplyKey.objects.select_related("user__organisation", "thread__category")
        .filter(key=recipient.value)
        .first()
    )


def bounce_user_find(recipient: Recipient) -> User | None:
    """The person a bounce address was made for, if it is still their address."""
    return _bounce_user_find(recipient.value)
