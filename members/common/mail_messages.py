"""Every mail Renkei sends is built here, for the person it goes to.

mail_build(to=..., subject=..., body=...) (members.services.mail) returns
one message per address:
each address gets its own encoding and its own envelope sender, so a
person's choices (and their organisation's) apply to every mail, and a
bounce names the person it came back for.

- Encoding. UTF-8 unless the recipient (a member, found by address) or
  their organisation chose ISO-2022-JP. Then the text and HTML are written
  as Outlook writes them (CP50220, members.common.japanese_mail), 7-bit,
  and the subject and display names as ISO-2022-JP encoded words; a mail
  holding a character ISO-2022-JP has no code for (an emoji) goes as UTF-8.
- Lines. The text is wrapped for fixed-width mail clients at WRAP_COLUMNS
  columns (full-width characters count two; URLs are never broken) and no
  line is longer than RFC 5322's 998 octets.
- Bounces. A member's mail goes from their VERP bounce address when
  RENKEI_MAIL_DOMAIN is set; the From header stays DEFAULT_FROM_EMAIL.

members.services.mail.mail_build decides, per address, the person, their
encoding and the envelope sender, and builds each message with
mail_message here; this module itself knows no models.
"""

import base64
import email.policy
import logging
import re
import unicodedata
from email.message import MIMEPart
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from .japanese_mail import can_send_as_jis, jis_encode

logger = logging.getLogger(__name__)

UTF8 = "utf-8"
ISO2022JP = "iso-2022-jp"
WRAP_COLUMNS = 70
# RFC 5322 2.1.1: 998 octets a line; a little kept back for escapes.
MAX_LINE_OCTETS = 990
# RFC 2047: an encoded word is 75 characters at most.
ENCODED_WORD_LENGTH = 75
_WORD_PREFIX = "=?ISO-2022-JP?B?"
_WORD_SUFFIX = "?="


class RawHeader(str):
    """A header field written exactly as given, on one line or folded.

    Python's mail package would write its own encoded words (always UTF-8)
    or fold a long URL into them, which mail clients ignore. ``parts`` are
    joined by folding whitespace.
    """

    def __new__(cls, name: str, *parts: str):
        header = super().__new__(cls, " ".join(parts))
        header.name = name
        header.parts = parts or ("",)
        return header

    def fold(self, *, policy):
        folded = f"{policy.linesep} ".join(self.parts)
        return f"{self.name}: {folded}{policy.linesep}"


def encoded_words(text: str) -> list[str]:
    """``text`` as ISO-2022-JP encoded words, split between characters."""
    limit = ENCODED_WORD_LENGTH - len(_WORD_PREFIX) - len(_WORD_SUFFIX)
    words = []
    chunk = ""
    for char in text:
        candidate = chunk + char
        if chunk and len(base64.b64encode(jis_encode(candidate))) > limit:
            words.append(chunk)
            chunk = char
        else:
            chunk = candidate
    if chunk or not words:
        words.append(chunk)
    return [
        _WORD_PREFIX + base64.b64encode(jis_encode(word)).decode("ascii") + _WORD_SUFFIX
        for word in words
    ]


def _jis_header(name: str, text: str) -> RawHeader:
    if text.isascii():
        return RawHeader(name, text)
    return RawHeader(name, *encoded_words(text))


def _jis_address(name: str, address: str) -> RawHeader:
    display, addr_spec = parseaddr(address)
    if not display:
        return RawHeader(name, addr_spec)
    if display.isascii():
        return RawHeader(name, formataddr((display, addr_spec)))
    return RawHeader(name, *encoded_words(display), f"<{addr_spec}>")


# ----- text for fixed-width clients -----

_URL = re.compile(r"(?:https?|mailto):[^\s<>「」（）、。]+")
_TOKEN = re.compile(r"(?:https?|mailto):[^\s<>「」（）、。]+|[!-~]+|\s+|.", re.DOTALL)
_LIST_MARKER = re.compile(r"^(\s*(?:[-*+・]|\d+[.)]|>+)?\s*)")
# Not at the start of a line (禁則): they hang on the line before.
_NO_LINE_START = set(
    "、。，．・：；？！）」』】〕〉》’”ゝゞーァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎ々～…‥,.)]}:;!?"
)


def columns(text: str) -> int:
    """Width in a fixed-width Japanese mail client (full-width counts two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WFA" else 1 for char in text)


def _hard_fold(line: str) -> list[str]:
    """Split a line between characters so each is MAX_LINE_OCTETS at most."""
    pieces = []
    current = ""
    size = 0
    for char in line:
        # ISO-2022-JP may need an escape sequence around each character.
        char_size = len(char.encode("utf-8")) + (6 if not char.isascii() else 0)
        if current and size + char_size > MAX_LINE_OCTETS:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += char_size
    pieces.append(current)
    return pieces


def _wrap_line(line: str, width: int) -> list[str]:
    if columns(line) <= width:
        return [line]
    indent = " " * columns(_LIST_MARKER.match(line).group(1))
    lines = []
    current = ""
    for token in _TOKEN.findall(line):
        if token.isspace():
            # Spaces at a break go; the line's own indent stays.
            if current.strip() or not lines:
                current += token
            continue
        overflows = columns((current + token).rstrip()) > width
        if overflows and current.strip() and token not in _NO_LINE_START:
            lines.append(current.rstrip())
            current = indent
        current += token
        if columns(current) > width and len(token) > 1 and not _URL.search(token):
            # A word longer than a line (not a link) is broken like Japanese.
            *full, current = _break_word(current, width)
            lines.extend(full)
    if current.strip():
        lines.append(current.rstrip())
    return lines


def _break_word(text: str, width: int) -> list[str]:
    pieces = [""]
    for char in text:
        if pieces[-1] and columns(pieces[-1] + char) > width:
            pieces.append("")
        pieces[-1] += char
    return pieces


def fold_long_lines(text: str) -> str:
    """Text as given, but with every line MAX_LINE_OCTETS long at most."""
    lines = text.split("\n")
    if all(len(line.encode("utf-8")) <= MAX_LINE_OCTETS for line in lines):
        return text
    return "\n".join(piece for line in lines for piece in _hard_fold(line))


def wrap_text(text: str, width: int = WRAP_COLUMNS) -> str:
    """Text wrapped at ``width`` columns, URLs whole, code blocks as written.

    Lines of a fenced or indented code block are left as they are; every
    line, however made, ends up MAX_LINE_OCTETS long at most.
    """
    out = []
    fenced = False
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.rstrip()
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        keep = fenced or line.startswith(("    ", "\t")) or line.startswith("```")
        for wrapped in [line] if keep else _wrap_line(line, width):
            out.extend(_hard_fold(wrapped))
    return "\n".join(out)


# ----- the message -----


class OutgoingMail(EmailMultiAlternatives):
    """A mail encoded in ``charset`` (UTF8 or ISO2022JP) for one recipient."""

    def __init__(self, *args, charset=UTF8, to_header=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.charset = charset
        if to_header:
            self.extra_headers["To"] = to_header

    def message(self, *, policy=email.policy.default):
        msg = super().message(policy=policy)
        if self.charset == ISO2022JP:
            msg.replace_header("Subject", _jis_header("Subject", str(self.subject)))
            for name in ("From", "To"):
                values = self.extra_headers.get(name) or (
                    self.from_email if name == "From" else ", ".join(self.to)
                )
                msg.replace_header(name, _jis_address(name, str(values)))
        return msg

    def _add_bodies(self, msg):
        if self.charset != ISO2022JP:
            return super()._add_bodies(msg)
        _set_jis_text(msg, self.body, "plain", base64_body=False)
        html = [content for content, mimetype in self.alternatives]
        if html:
            msg.make_alternative()
            part = MIMEPart(policy=msg.policy)
            _set_jis_text(part, html[0], "html", base64_body=True)
            msg.attach(part)
        return msg


def _set_jis_text(part, text, subtype, *, base64_body):
    """Text as ISO-2022-JP: 7-bit lines, or base64 for HTML's long lines."""
    data = jis_encode(text.replace("\r\n", "\n"))
    part["Content-Type"] = f'text/{subtype}; charset="ISO-2022-JP"'
    if base64_body:
        part["Content-Transfer-Encoding"] = "base64"
        encoded = base64.encodebytes(data).decode("ascii")
    else:
        part["Content-Transfer-Encoding"] = "7bit"
        encoded = data.decode("ascii")
        if not encoded.endswith("\n"):
            encoded += "\n"
    part.set_payload(encoded)


def mail_message(
    *,
    address,
    name,
    charset,
    envelope,
    subject,
    text,
    html,
    reply_to,
    headers,
    auto_generated,
):
    """One message to one address, in ``charset`` if its text allows."""
    to_header = formataddr((name, address)) if name else address
    if charset == ISO2022JP:
        written = "\n".join([subject, text, html or "", to_header])
        written += settings.DEFAULT_FROM_EMAIL
        if not can_send_as_jis(written):
            logger.info(
                "Mail to %s sent as UTF-8: its text has characters "
                "ISO-2022-JP cannot carry.",
                address,
            )
            charset = UTF8
    extra = {"From": settings.DEFAULT_FROM_EMAIL, **(headers or {})}
    if auto_generated:
        extra["Auto-Submitted"] = "auto-generated"
    message = OutgoingMail(
        subject=subject,
        body=text,
        from_email=envelope,
        to=[address],
        reply_to=list(reply_to) or None,
        headers=extra,
        charset=charset,
        to_header=to_header,
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    return message
