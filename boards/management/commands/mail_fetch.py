"""Read members' mail from an IMAP mailbox, for places that only have one.

Each message goes through boards.services.inbound.mail_ingest, like mail
the SMTP receiver takes. The folder is read by UID: every message past the
last UID processed (also those someone has already read in a mail client),
and any older one still unseen (one whose processing failed before). A
message is flagged seen only once its processing has committed; one that
fails stays unseen, is logged, and is read again at the next round. The
last UID is remembered with its folder's UIDVALIDITY (MailboxState); the
Message-ID keeps a message read twice from posting twice.
"""

import email
import email.policy
import imaplib
import logging
import signal
import threading
from email.utils import getaddresses

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections, transaction
from imap_tools import OR, MailBox, MailBoxUnencrypted, MailMessageFlags, U
from imap_tools.errors import ImapToolsError

from boards.models import InboundMail, MailboxState
from boards.services.inbound import mail_ingest

logger = logging.getLogger("boards.mail_fetch")

# Where MTAs write the address a message was delivered to: the envelope
# recipient, which To need not name (a Bcc, a list, a forward).
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "To", "Cc")


def recipients_of(raw: bytes) -> list[str]:
    """The addresses a stored message was delivered to, envelope first."""
    headers = email.message_from_bytes(
        raw.split(b"\r\n\r\n", 1)[0], policy=email.policy.compat32
    )
    found = []
    for name in RECIPIENT_HEADERS:
        values = [str(value) for value in headers.get_all(name, [])]
        found += [address for _name, address in getaddresses(values) if address]
    return found


def envelope_sender_of(raw: bytes) -> str:
    headers = email.message_from_bytes(
        raw.split(b"\r\n\r\n", 1)[0], policy=email.policy.compat32
    )
    return str(headers.get("Return-Path", "")).strip().strip("<>")


def mailbox_read(config: dict) -> int:
    """Process what is new in the configured folder; the number processed."""
    box = MailBox if config["ssl"] else MailBoxUnencrypted
    folder = config["folder"]
    key = f"{config['user']}@{config['host']}:{config['port']}/{folder}"
    processed = 0
    with box(config["host"], config["port"]).login(
        config["user"], config["password"], initial_folder=folder
    ) as mailbox:
        uidvalidity = mailbox.folder.status(folder, ["UIDVALIDITY"])["UIDVALIDITY"]
        state, _created = MailboxState.objects.get_or_create(mailbox=key)
        if state.uidvalidity != uidvalidity:
            # Renumbered: the old UIDs name nothing, read it all again.
            state.uidvalidity, state.last_uid = uidvalidity, 0
            state.save(update_fields=["uidvalidity", "last_uid"])
        uids = mailbox.uids(OR(seen=False, uid=U(state.last_uid + 1, "*")))
        for uid in sorted(uids, key=int):
            raw = _fetch(mailbox, uid)
            if raw is None:
                continue
            try:
                with transaction.atomic():
                    mail_ingest(
                        raw=raw,
                        channel=InboundMail.Channel.IMAP,
                        envelope_from=envelope_sender_of(raw),
                        recipients=recipients_of(raw),
                    )
                    if int(uid) > state.last_uid:
                        state.last_uid = int(uid)
                        state.save(update_fields=["last_uid"])
            except DatabaseError:
                # Nothing else will get through either: try again next round.
                logger.exception("IMAP message %s left unseen", uid)
                break
            except Exception:
                logger.exception("IMAP message %s left unseen", uid)
                continue
            mailbox.flag(uid, MailMessageFlags.SEEN, True)
            processed += 1
    return processed


def _fetch(mailbox, uid):
    """The message as stored, without marking it seen."""
    status, data = mailbox.client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        logger.error("IMAP message %s could not be read: %s", uid, data)
        return None
    for item in data:
        if isinstance(item, tuple):
            return item[1]
    return None


class Command(BaseCommand):
    help = "Read members' mail from the IMAP mailbox (RENKEI_MAIL_IMAP_*) and post it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="read the mailbox once and stop"
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=60,
            help="seconds between rounds (default 60)",
        )

    def handle(self, *args, once, interval, **options):
        config = settings.MAIL_IMAP
        if not config["host"]:
            raise CommandError("Set RENKEI_MAIL_IMAP_HOST (and its user and password).")
        stop = threading.Event()
        if not once:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
        while True:
            try:
                count = mailbox_read(config)
            except (OSError, imaplib.IMAP4.error, ImapToolsError) as error:
                if once:
                    raise CommandError(f"IMAP: {error}") from error
                logger.error("IMAP round failed: %s", error)
            else:
                if count or once:
                    logger.info("IMAP: %s messages processed", count)
            if once:
                return
            # A connection the database dropped meanwhile is made anew.
            close_old_connections()
            if stop.wait(interval):
                return
