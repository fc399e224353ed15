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

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import constant_time_compare

from members.models import User

from .models import Category, Post, ReplyKey, Thread

REPLY = "reply"
BOUNCE = "bounce"
NEW_THREAD = "new"


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def _signature(kind: str, value: str) -> str:
    key = hashlib.sha256(
        f"renkei.mail_addresses.{settings.SECRET_KEY}".encode()
    ).digest()
    digest = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).digest()
    return _b32(digest)[:12]


def enabled() -> bool:
    """Whether mail can be answered: RENKEI_MAIL_DOMAIN is set."""
    return bool(settings.MAIL_DOMAIN)


def _address(kind: str, value: str, *, signed: bool = True) -> str:
    local = f"{kind}+{value}-{_signature(kind, value)}" if signed else f"{kind}+{value}"
    return f"{local}@{settings.MAIL_DOMAIN}"


def reply_address(*, user: User, thread: Thread, post: Post | None = None) -> str:
    """A new reply address for one mail to ``user`` about ``thread``."""
    key = ReplyKey.objects.create(
        key=_b32(secrets.token_bytes(10)), user=user, thread=thread, post=post
    )
    return _address(REPLY, key.key)


def bounce_address(*, user: User) -> str:
    """The envelope sender of mail to ``user`` at their present address."""
    return _address(BOUNCE, f"{user.pk:x}.{_b32(_address_hash(user.email))[:6]}")


def category_address(category: Category) -> str:
    """Where members mail a new thread for a category that takes them."""
    return _address(NEW_THREAD, category.slug, signed=False)


def _address_hash(email: str) -> bytes:
    return hashlib.sha256(email.strip().lower().encode()).digest()


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
    if not value or not constant_time_compare(signature, _signature(kind, value)):
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
    pk, _, address_hash = recipient.value.partition(".")
    try:
        user = User.objects.select_related("organisation").get(pk=int(pk, 16))
    except (ValueError, User.DoesNotExist):
        return None
    if _b32(_address_hash(user.email))[:6] != address_hash:
        return None
    return user
