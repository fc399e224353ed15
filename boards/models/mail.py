"""Mail in both directions: reply addresses handed out, and mail received.

A ReplyKey is the key in one mail's reply address (boards.mail_addresses):
it names the person and thread a reply by mail is posted as and to, and it
posts once. An InboundMail is every message the receivers were handed,
with what became of it; its Message-ID is unique, so a message handed over
twice (a receiver killed before it answered the MTA, an IMAP message read
again) is processed once.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .threads import Category, Post, Thread


class ReplyKey(models.Model):
    """The key of one reply address: one person, one thread, one post."""

    key = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    # The post the mail carried (a reply by mail quotes nothing else).
    post = models.ForeignKey(
        Post, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="boards_replykey_age")]

    def __str__(self):
        return self.key


class InboundMail(models.Model):
    """One message handed to Renkei by the MTA or read from the mailbox."""

    class Channel(models.TextChoices):
        SMTP = "smtp", _("SMTP/LMTP receiver")
        IMAP = "imap", _("IMAP mailbox")

    class Result(models.TextChoices):
        RECEIVED = "received", _("Being processed")
        POSTED = "posted", _("Posted")
        AWAITING_CONFIRMATION = "awaiting", _("Waiting for the sender to confirm")
        REFUSED = "refused", _("Refused")
        AUTO_REPLY = "auto_reply", _("Ignored as an automatic reply")
        BOUNCE = "bounce", _("Bounce")

    class Reason(models.TextChoices):
        NONE = "", _("—")
        UNKNOWN_ADDRESS = "unknown_address", _("Not one of Renkei's addresses")
        BAD_TOKEN = "bad_token", _("The reply address is not valid")
        EXPIRED = "expired", _("The reply address has expired")
        REUSED = "reused", _("The reply address was used already")
        WRONG_SENDER = "wrong_sender", _("Not sent by the address's owner")
        UNAUTHENTICATED = "unauthenticated", _("The sender's domain disowns the mail")
        UNKNOWN_SENDER = "unknown_sender", _("The sender is not a member")
        INACTIVE = "inactive", _("The sender's account is not active")
        THREAD_CLOSED = "thread_closed", _("The thread is closed")
        THREAD_HIDDEN = "thread_hidden", _("The thread is hidden or gone")
        NOT_ALLOWED = "not_allowed", _("The sender may not post there")
        TOO_LARGE = "too_large", _("The mail is too large")
        EMPTY = "empty", _("No text was found")
        TOO_LONG = "too_long", _("The text is too long")
        ATTACHMENT = "attachment", _("An attachment was refused")
        UNREADABLE = "unreadable", _("The mail could not be read")
        NO_MAIL_THREADS = "no_mail_threads", _("The category takes no threads by mail")

    message_id = models.CharField(_("Message-ID"), max_length=998, unique=True)
    channel = models.CharField(_("received by"), max_length=10, choices=Channel.choices)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    envelope_from = models.CharField(_("envelope sender"), max_length=254, blank=True)
    recipient = models.CharField(_("recipient"), max_length=254, blank=True)
    from_address = models.CharField(_("From"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    size = models.PositiveIntegerField(_("size in bytes"), default=0)
    result = models.CharField(
        _("result"), max_length=20, choices=Result.choices, default=Result.RECEIVED
    )
    reason = models.CharField(
        _("reason"), max_length=30, choices=Reason.choices, blank=True, default=""
    )
    detail = models.TextField(_("detail"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sender's account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    thread = models.ForeignKey(
        Thread,
        verbose_name=_("thread"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    post = models.ForeignKey(
        Post,
        verbose_name=_("post"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # When the sender was told why a mail was refused; at most one such
    # mail per address, reason and day.
    answered_at = models.DateTimeField(_("sender told at"), null=True, blank=True)
    # The message as received, for the office to look into a refusal;
    # emptied after RENKEI_MAIL_KEEP_DAYS.
    raw = models.BinaryField(editable=False, default=bytes)

    class Meta:
        verbose_name = _("received mail")
        verbose_name_plural = _("received mail")
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(
                fields=["-received_at", "-id"], name="boards_inboundmail_recent"
            ),
            models.Index(
                fields=["from_address", "reason", "received_at"],
                name="boards_inboundmail_refusals",
            ),
        ]

    def __str__(self):
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.from_address} {self.result}"


class MailboxState(models.Model):
    """How far `manage.py mail_fetch` has read one IMAP folder.

    A UID names a message only while the folder's UIDVALIDITY stays the
    same; when it changes, the folder is read again from the start (the
    Message-IDs keep that from posting anything twice).
    """

    mailbox = models.CharField(max_length=500, unique=True)
    uidvalidity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.mailbox} {self.uidvalidity}:{self.last_uid}"
