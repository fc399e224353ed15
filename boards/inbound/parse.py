"""A received message, read into what the ingest service needs.

parse_mail, ParsedMail, MailFile and Bounce (defined beside the reading of
delivery reports in automatic.py) are what the ingest imports from here.

parse_mail never raises and stays within bounds for any input up to the
receiver's size limit: at most MAX_PARTS MIME parts, MAX_DEPTH levels, and
the first MAX_BODY_BYTES of the body text are read (a longer body is far
over any post's length, and the ingest refuses it as too long all the
same).

Problems it reports (ParsedMail.problems):
- "tnef": Outlook's winmail.dat, whose files cannot be read here;
- "attached_message": a mail attached as a file (message/rfc822), not posted;
- "encrypted": an S/MIME or PGP encrypted body;
- "unreadable": a body whose bytes make no text in any charset tried, or
  a mail too costly to take apart (more than MAX_PARTS parts, MAX_LINES
  lines or MAX_HEAD_BYTES of headers), of which only the headers are read.
"""

import binascii
import email
import email.parser
import email.policy
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email.message import Message

from boards.inbound.authentication import authentication_results
from boards.inbound.automatic import Bounce, automatic_reason, find_bounce
from boards.inbound.headers import (
    address_and_name,
    b64decode,
    decode_header,
    first_value,
    header_map,
    message_ids,
    one_line,
    parameter,
    raw_bytes,
)
from boards.inbound.html_text import html_to_text
from boards.inbound.trim import trim_reply
from members.common.japanese_mail import decode_text

MAX_PARTS = 200
MAX_DEPTH = 12
# Fifty times a post's 20,000 characters: room for long quoted history
# below the new text, and the decoders' work stays a few seconds.
MAX_BODY_BYTES = 1024 * 1024
# Received chains and Exchange's own headers stay far below this.
MAX_HEAD_BYTES = 256 * 1024
# Mail lines are up to 78 bytes (base64, quoted-printable, folded text):
# 25 MB of mail is some 330,000 lines.
MAX_LINES = 1_000_000

_TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}
_ENCRYPTED_TYPES = {"application/pkcs7-mime", "application/x-pkcs7-mime"}
# Parts that belong to the mail's machinery, not to what the sender wrote.
_SKIPPED_TYPES = {
    "application/pgp-signature",
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
    "application/pgp-keys",
    "message/delivery-status",
    "message/global-delivery-status",
    "message/disposition-notification",
    "text/rfc822-headers",
}
_BOUNDARY = re.compile(rb"""boundary\s*=\s*"?([^"\s;]{1,70})""", re.IGNORECASE)
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff\ufffe]")
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)


@dataclass
class MailFile:
    """An attachment as the sender named it."""

    name: str
    content_type: str
    data: bytes


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
    # The ids of the mails this one answers: In-Reply-To first, then
    # References from the newest back.
    in_reply_to: list[str] = field(default_factory=list)
    # The Authentication-Results headers, newest first (authentication.py).
    authentication: list[str] = field(default_factory=list)


def parse_mail(raw: bytes) -> ParsedMail:
    """Read a message. Never raises for a malformed message."""
    raw = bytes(raw or b"")
    try:
        return _parse(raw)
    except Exception:
        # A mail the reader above does not foresee must still be logged,
        # never stop the receiver.
        return ParsedMail(
            message_id=_digest(raw),
            from_address="",
            from_name="",
            subject="",
            text="",
            elided="",
            problems=["unreadable"],
        )


def _digest(raw):
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _message(raw):
    """The message tree, or only its headers when building the tree would
    cost too much: the email package handles each line in Python, keeps
    every header line and checks every line against each open boundary, so
    a flood of short lines, headers or parts would take minutes and
    gigabytes."""
    head = _HEAD_END.search(raw)
    head_size = head.start() if head else len(raw)
    if (
        head_size > MAX_HEAD_BYTES
        or raw.count(b"\n") > MAX_LINES
        or _too_many_parts(raw)
    ):
        parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
        return parser.parsebytes(raw[: min(head_size, MAX_HEAD_BYTES)]), False
    return email.message_from_bytes(raw, policy=email.policy.compat32), True


def _too_many_parts(raw):
    declared = _BOUNDARY.findall(raw)
    if len(declared) > MAX_PARTS:
        return True
    # A part begins at each delimiter line.
    delimiters = sum(raw.count(b"\n--" + boundary) for boundary in set(declared))
    return delimiters > 2 * MAX_PARTS


def _parse(raw):
    message, readable = _message(raw)
    headers = header_map(message)

    def first(name):
        return headers.get(name.lower(), [""])[0]

    ids = message_ids(first("Message-ID"))
    message_id = ids[0] if ids else ""
    if not message_id:
        bare = raw_bytes(first("Message-ID")).decode("ascii", "ignore")
        bare = "".join(bare.split()).strip("<>")
        message_id = bare if bare.isprintable() else ""
    from_address, from_name = address_and_name(first("From"))
    subject = one_line(decode_header(first("Subject")))

    in_reply_to = message_ids(first("In-Reply-To"))
    references = message_ids(" ".join(headers.get("references", [])))
    for reference in reversed(references):
        if reference not in in_reply_to:
            in_reply_to.append(reference)

    reader = _Reader()
    if readable:
        reader.visit(message, 0)
    else:
        reader.problems.append("unreadable")
    texts, charset, elided, length = [], "", [], 0
    for part in reader.bodies:
        if length > MAX_BODY_BYTES:
            break
        text, decoder = _body_text(part, reader.problems)
        length += len(text)
        if part.get_content_subtype() == "html":
            text, quoted = html_to_text(text)
            elided.append(quoted)
        texts.append(text)
        charset = charset or decoder
    new_text, trimmed = trim_reply("\n\n".join(text for text in texts if text.strip()))

    bounce = find_bounce(message, subject, from_address, "\n".join(texts))
    return ParsedMail(
        message_id=(message_id or _digest(raw))[:998],
        from_address=from_address,
        from_name=from_name,
        subject=subject,
        text=new_text,
        elided="\n\n".join(part for part in [trimmed, *elided] if part.strip()),
        attachments=reader.attachments,
        auto_reply=(
            "" if bounce else automatic_reason(message, headers, subject, from_address)
        ),
        bounce=bounce,
        problems=list(dict.fromkeys(reader.problems)),
        charset=charset,
        in_reply_to=in_reply_to,
        authentication=authentication_results(
            headers.get("authentication-results", [])
        ),
    )


class _Reader:
    """Walks the MIME tree once: body parts, attachments, problems."""

    def __init__(self):
        self.bodies = []
        self.attachments = []
        self.problems = []
        self.parts = 0

    def visit(self, part, depth):
        self.parts += 1
        if self.parts > MAX_PARTS or depth > MAX_DEPTH:
            return
        content_type = part.get_content_type()
        if content_type == "message/rfc822" or (
            part.get_content_maintype() == "message"
            and content_type not in _SKIPPED_TYPES
        ):
            self.problems.append("attached_message")
            return
        if part.is_multipart():
            children = [
                child for child in part.get_payload() if isinstance(child, Message)
            ]
            if content_type == "multipart/alternative":
                children = [_preferred(children)] if children else []
            elif content_type == "multipart/signed":
                children = children[:1]
            elif content_type == "multipart/report":
                # The returned message of a bounce is the bounce's business.
                children = [
                    c for c in children if c.get_content_maintype() != "message"
                ]
            elif content_type == "multipart/encrypted":
                self.problems.append("encrypted")
                return
            for child in children:
                self.visit(child, depth + 1)
            return
        if content_type in _SKIPPED_TYPES:
            return
        filename = _filename(part)
        if content_type in _TNEF_TYPES or filename.lower() == "winmail.dat":
            self.problems.append("tnef")
            return
        if content_type in _ENCRYPTED_TYPES:
            self.problems.append("encrypted")
            return
        if _is_body(part, filename):
            self.bodies.append(part)
            return
        self.attachments.append(
            MailFile(
                name=filename or _default_name(content_type, len(self.attachments)),
                content_type=content_type,
                data=_payload(part),
            )
        )


def _disposition(part):
    value = raw_bytes(first_value(part, "Content-Disposition"))
    value = value.decode("ascii", "replace")
    return value.split(";")[0].strip().lower()


def _is_body(part, filename):
    return (
        part.get_content_type() in ("text/plain", "text/html")
        and _disposition(part) != "attachment"
        and not filename
    )


def _preferred(children):
    """The part of a multipart/alternative to read: text/plain before HTML."""

    def rank(child):
        types = {part.get_content_type() for part in child.walk()}
        if child.get_content_type() == "text/plain" or "text/plain" in types:
            return 2
        return 1 if "text/html" in types else 0

    best = max(children, key=rank)
    return best if rank(best) else children[-1]


def _filename(part):
    name = parameter(part, "filename", "content-disposition") or parameter(part, "name")
    name = one_line(name, 1000)
    # Only the last component of a path; no hidden or parent names.
    name = re.split(r"[/\\]", name)[-1].strip().lstrip(".").strip()
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        if dot and len(extension) < 20:
            name = stem[: 199 - len(extension)] + dot + extension
        else:
            name = name[:200]
    return name


def _default_name(content_type, number):
    extension = mimetypes.guess_extension(content_type) or ".bin"
    return f"attachment-{number + 1}{extension}"


def _payload(part, limit=None):
    """The decoded bytes of a leaf part (about ``limit`` of them at most)."""
    encoding = raw_bytes(first_value(part, "Content-Transfer-Encoding")).decode(
        "ascii", "replace"
    )
    if encoding.strip().lower() == "base64":
        # Read here rather than by the email package, which gives back the
        # encoded text itself when the base64 was cut off.
        payload = part.get_payload()
        if not isinstance(payload, str):
            return b""
        data = payload.encode("ascii", "ignore")
        return b64decode(data[: limit * 4 // 3 + 4] if limit else data)[:limit]
    try:
        data = part.get_payload(decode=True)
    except (ValueError, binascii.Error, LookupError):
        return b""
    return (data or b"")[:limit]


def _charset(part, data):
    try:
        charset = part.get_content_charset()
    except (LookupError, UnicodeError, ValueError, TypeError):
        charset = None
    if not charset and part.get_content_subtype() == "html":
        found = _META_CHARSET.search(data[:4096])
        charset = found.group(1).decode("ascii") if found else None
    return charset


def _body_text(part, problems):
    """The text of a body part as one string with \\n line ends."""
    data = _payload(part, MAX_BODY_BYTES)
    if len(data) >= MAX_BODY_BYTES:
        # Cut at a line end, never inside a character.
        data = data[: data.rfind(b"\n") + 1] or data
    text, decoder = decode_text(data, _charset(part, data))
    bad = text.count("\ufffd") + len(_CONTROL.findall(text))
    if bad > max(8, len(text) // 20):
        problems.append("unreadable")
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    flowed = (part.get_param("format") or "").lower() == "flowed"
    if part.get_content_subtype() == "plain" and flowed:
        delsp = (part.get_param("delsp") or "").lower() == "yes"
        text = unflow(text, delsp=delsp)
    return text, decoder


def unflow(text: str, *, delsp: bool = False) -> str:
    """format=flowed text (RFC 3676) with its soft line breaks joined.

    Quoted lines keep their ">" marks, written "> " per level.
    """
    out = []
    paragraph, paragraph_depth = None, 0
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        if paragraph is not None and depth == paragraph_depth:
            paragraph += content
        else:
            if paragraph is not None:
                out.append((paragraph_depth, paragraph))
            paragraph, paragraph_depth = content, depth
        if not flowed:
            out.append((paragraph_depth, paragraph))
            paragraph = None
    if paragraph is not None:
        out.append((paragraph_depth, paragraph))
    return "\n".join(
        (">" * depth + " " + content).rstrip(" ") if depth else content
        for depth, content in out
    )
