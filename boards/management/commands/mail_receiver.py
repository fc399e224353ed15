"""Receive members' mail over SMTP (or LMTP) from the organisation's MTA.

Only Renkei's own addresses are accepted (550 5.1.1 for others, during
SMTP, so that no bounce of Renkei's ever goes to a forged sender). A
message is answered 250 only once boards.services.inbound.mail_ingest has
committed it, and 451 when the database cannot be reached: the MTA then
hands it over again, which the unique Message-ID makes harmless.

With --lmtp each message takes one recipient (the others are told 452 and
sent again in a message of their own): LMTP answers DATA once per
recipient, which the server library does not do. Postfix's
``lmtp_destination_recipient_limit = 1`` avoids the extra round.
"""

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from boards.mail_addresses import recipient_parse
from boards.models import InboundMail
from boards.services.inbound import mail_ingest

logger = logging.getLogger("boards.mail_receiver")

# Messages handed to the database at once; more wait in the event loop.
WORKERS = 4
# How long a stopping receiver lets the messages it is storing finish.
DRAIN_SECONDS = 60


class Handler:
    """aiosmtpd's hooks: check each recipient, store each message."""

    def __init__(self, *, lmtp: bool):
        self.lmtp = lmtp
        self.executor = ThreadPoolExecutor(WORKERS, thread_name_prefix="ingest")
        self.busy = 0
        self.idle = asyncio.Event()
        self.idle.set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if recipient_parse(address) is None:
            logger.info("refused recipient %s from %s", address, session.peer)
            return "550 5.1.1 No such recipient here"
        if self.lmtp and envelope.rcpt_tos:
            return "452 4.5.3 One recipient per message, please send again"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        self.busy += 1
        self.idle.clear()
        try:
            row = await asyncio.get_running_loop().run_in_executor(
                self.executor,
                _ingest,
                raw,
                envelope.mail_from or "",
                list(envelope.rcpt_tos),
            )
        except Exception:
            # The database is gone or the message tripped over a fault that
            # mail_ingest does not log: nothing was stored, so the MTA tries
            # again later.
            logger.exception("message from %s not stored", envelope.mail_from)
            return "451 4.3.0 Temporary failure, please try again later"
        finally:
            self.busy -= 1
            if not self.busy:
                self.idle.set()
        return f"250 2.0.0 Received ({row.result})"

    async def drain(self):
        try:
            await asyncio.wait_for(self.idle.wait(), DRAIN_SECONDS)
        except TimeoutError:
            logger.warning("stopped with %s messages still being stored", self.busy)
        self.executor.shutdown(wait=False, cancel_futures=True)


def _ingest(raw: bytes, envelope_from: str, recipients: list[str]) -> InboundMail:
    close_old_connections()
    try:
        return mail_ingest(
            raw=raw,
            channel=InboundMail.Channel.SMTP,
            envelope_from=envelope_from,
            recipients=recipients,
        )
    finally:
        close_old_connections()


def bind_address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    try:
        return host.strip("[]") or "127.0.0.1", int(port)
    except ValueError:
        raise CommandError(f"--bind takes host:port, not {value!r}") from None


class Command(BaseCommand):
    help = "Receive members' mail over SMTP (or LMTP) and post it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind",
            default="127.0.0.1:2525",
            help="host:port to listen on (default 127.0.0.1:2525)",
        )
        parser.add_argument(
            "--lmtp", action="store_true", help="speak LMTP instead of SMTP"
        )

    def handle(self, *args, bind, lmtp, **options):
        if not settings.MAIL_DOMAIN:
            raise CommandError("Set RENKEI_MAIL_DOMAIN: no address would be ours.")
        host, port = bind_address(bind)
        asyncio.run(self.serve(host, port, lmtp=lmtp))

    async def serve(self, host, port, *, lmtp):
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        handler = Handler(lmtp=lmtp)
        protocol = LMTP if lmtp else SMTP
        # Somewhat over the limit, so that a message a little too large is
        # logged and its sender told, not only refused by the MTA's 552.
        limit = settings.MAIL_MAX_BYTES + settings.MAIL_MAX_BYTES // 4

        def session():
            return protocol(
                handler,
                data_size_limit=limit,
                hostname=settings.MAIL_DOMAIN,
                ident="Renkei",
                enable_SMTPUTF8=True,
            )

        server = await loop.create_server(session, host, port)
        logger.info(
            "receiving %s on %s:%s for @%s",
            "LMTP" if lmtp else "SMTP",
            host,
            port,
            settings.MAIL_DOMAIN,
        )
        await stop.wait()
        logger.info("stopping")
        server.close()
        await handler.drain()
