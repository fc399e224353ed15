"""A received message, read into what the ingest service needs."""

import email
import email.policy
import hashlib
from dataclasses import dataclass, field
from email.utils import getaddresses, parseaddr

from members.common.japanese_mail import decode_text


@dataclass
class MailFile:
    """An attachment as the sender named it."""

    name: str
    content_type: str
    data: bytes


@dataclass
class Bounce:
    """A delivery status notification: which address failed, and how."""

    permanent: bool
    status: str = ""  # e.g. "5.1.1"
    diagnostic: str = ""


@dataclass
class ParsedMail:
    message_id: str  # without <>; a digest of the bytes when there is none
    from_address: str  # lower case, "" if none could be read
    from_name: str
    subject: str  # one line, decoded
    text: str  # the new text: quotes and signature taken off
    elided: str  # what was taken off
    attachments: list[MailFile] = field(default_factory=list)
    # Why the mail is an automatic reply ("" when it is not).
    auto_reply: str = ""
    bounce: Bounce | None = None
    # Things that make the mail unusable as a post, e.g. "tnef".
    problems: list[str] = field(default_factory=list)
    # The decoder that read the body, for the log ("cp932", ...).
    charset: str = ""
    in_reply_to: list[str] = field(default_factory=list)


def parse_mail(raw: bytes) -> ParsedMail:
    """Read a message. Never raises for a malformed message."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    message_id = (message.get("Message-ID") or "").strip().strip("<>")
    if not message_id:
        message_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    name, address = parseaddr(str(message.get("From", "")))
    text, charset = "", ""
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            text, charset = decode_text(
                part.get_payload(decode=True) or b"", part.get_content_charset()
            )
            break
    references = [
        value.strip("<>")
        for _, value in getaddresses(message.get_all("In-Reply-To", []))
    ]
    return ParsedMail(
        message_id=message_id[:998],
        from_address=address.lower(),
        from_name=name,
        subject=" ".join(str(message.get("Subject", "")).split())[:255],
        text=text.strip(),
        elided="",
        charset=charset,
        in_reply_to=references,
    )
