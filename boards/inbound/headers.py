"""Header values of received mail, decoded the way Japanese mailers write them.

Python's email package leaves an encoded word it cannot decode (ISO-2022-JP
holding ①, Shift_JIS holding 髙) as it was, so encoded words are read here,
through members.common.japanese_mail.decode_text.
"""

import base64
import binascii
import re
import unicodedata
from email.utils import getaddresses

from members.common.japanese_mail import decode_text

# =?charset?B|Q?text?= ; the charset may carry an RFC 2231 language (*ja).
_ENCODED_WORD = re.compile(rb"=\?([^?\s]{1,64})\?([bBqQ])\?([^?\s]*)\?=")
_SPACES = re.compile(r" {2,}")
_FOLD = re.compile(rb"\r?\n(?=[ \t])|\r(?=[ \t])")
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,996})>")
_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"]{1,64}@[^@\s<>()\[\],;:\"]{1,253}")
# Line and paragraph separators, and the controls that reorder text.
_INVISIBLE = {"Cc", "Zl", "Zp"}
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def header_map(message) -> dict[str, list[str]]:
    """Every header of a message as received, by lower-case name, read
    once (the email package would turn a value holding 8-bit bytes into a
    Header object)."""
    headers = {}
    for key, value in message.raw_items():
        headers.setdefault(key.lower(), []).append(
            value if isinstance(value, str) else str(value)
        )
    return headers


def first_value(message, name: str) -> str:
    """The first value of a header of a MIME part as received, or ""."""
    return header_map(message).get(name.lower(), [""])[0]


def raw_bytes(value: str) -> bytes:
    """The bytes of a header value as the email package holds them."""
    return value.encode("ascii", "surrogateescape")


def one_line(text: str, limit: int = 255) -> str:
    """Text with every control character, line break and bidi override
    turned into a space, runs of spaces collapsed, cut to ``limit``."""
    cleaned = "".join(
        " " if unicodedata.category(char) in _INVISIBLE or char in _BIDI else char
        for char in text
    )
    # Only ASCII spaces are collapsed: a full-width space (　) is the
    # writer's own.
    return _SPACES.sub(" ", cleaned).strip(" ")[:limit]


# More of a header than any one-line field shows, even fully encoded.
MAX_HEADER_BYTES = 16 * 1024


def decode_header(value: str | bytes | None) -> str:
    """A header value with its encoded words decoded (not yet one line).

    Adjacent encoded words in one charset are joined before decoding, since
    mailers split a character's bytes (UTF-8) or a JIS run across words.
    Unencoded 8-bit bytes are read as UTF-8, cp932 or EUC-JP.
    """
    if value is None:
        return ""
    data = value if isinstance(value, bytes) else raw_bytes(value)
    data = _FOLD.sub(b"", data[:MAX_HEADER_BYTES])
    pieces = []  # (charset or None, bytes)
    position = 0
    for match in _ENCODED_WORD.finditer(data):
        between = data[position : match.start()]
        # Whitespace between two encoded words is not part of the text.
        if between and not (pieces and pieces[-1][0] and not between.strip()):
            pieces.append((None, between))
        charset = match.group(1).split(b"*")[0].decode("ascii", "replace").lower()
        decoded = _decode_word(match.group(2).upper(), match.group(3))
        if decoded is None:
            pieces.append((None, match.group(0)))
        elif pieces and pieces[-1][0] == charset:
            pieces[-1] = (charset, pieces[-1][1] + decoded)
        else:
            pieces.append((charset, decoded))
        position = match.end()
    if position < len(data):
        pieces.append((None, data[position:]))
    return "".join(decode_text(piece, charset)[0] for charset, piece in pieces)


def _decode_word(kind, text):
    if kind == b"B":
        return b64decode(text)
    try:
        return binascii.a2b_qp(text.replace(b"_", b" "), header=True)
    except (binascii.Error, ValueError):
        return None


def b64decode(data: bytes) -> bytes:
    """Base64 as far as it can be read: junk skipped, a cut-off end dropped."""
    cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", data.split(b"=", 1)[0])
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    cleaned += b"=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned)
    except (binascii.Error, ValueError):
        return b""


def message_ids(value: str | None) -> list[str]:
    """The ids (without <>) in a Message-ID, In-Reply-To or References value."""
    if not value:
        return []
    text = raw_bytes(value)[:MAX_HEADER_BYTES].decode("ascii", "replace")
    return [found for found in _MESSAGE_ID.findall(text) if found.isprintable()]


def address_and_name(value: str | None) -> tuple[str, str]:
    """The first address of a From value (lower case, "" if unreadable)
    and its display name, decoded to one line."""
    if not value:
        return "", ""
    unfolded = _FOLD.sub(b"", raw_bytes(value)[:MAX_HEADER_BYTES])
    unfolded = unfolded.decode("ascii", "surrogateescape")
    try:
        pairs = getaddresses([unfolded])
    except (TypeError, ValueError, IndexError):
        pairs = []
    name, address = pairs[0] if pairs else ("", "")
    if not _ADDRESS.fullmatch(address or ""):
        found = _ADDRESS.search(unfolded)
        address = found.group(0) if found else ""
    if not address.isascii() or not address.isprintable():
        address = ""
    return address.lower()[:254], one_line(decode_header(name))


def parameter(part, name: str, header: str = "content-type") -> str:
    """A parameter of a MIME header: RFC 2231 (filename*=charset''...),
    encoded words inside quotes, or bare 8-bit bytes, decoded."""
    try:
        value = part.get_param(name, header=header)
    except (TypeError, ValueError, IndexError, LookupError):
        return ""
    if value is None:
        return ""
    if isinstance(value, tuple):
        charset, _language, text = value
        try:
            data = text.encode("latin-1", "surrogateescape")
        except UnicodeEncodeError:
            data = text.encode("utf-8", "replace")
        return decode_text(data, charset or None)[0]
    text = str(value)
    if "=?" in text:
        return decode_header(text)
    return decode_header(raw_bytes(text))
