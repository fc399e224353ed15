"""Reading the names in a PDF (/JavaScript, /Launch...), packed ones included,
and the one rule on which a PDF may not carry: board attachments
(boards.attachments) and agreement documents (disaster_support.forms) both
ask `active_content`.
"""

import base64
import binascii
import re
import zlib

# A PDF name is / and regular characters; #xx escapes may spell any of them,
# so /J#61vaScript is /JavaScript.
PDF_NAME = re.compile(rb"/([^\s\x00/<>\[\]()%{}]+)")
PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
PDF_STREAM_START = re.compile(rb"(?<!end)stream\r?\n")
PDF_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[^\s/<>\[\]()%{}]+)")


# JavaScript and launch actions run when the file is opened; embedded files
# would carry content of any type past these checks.
FORBIDDEN_NAMES = {
    b"JavaScript",
    b"Launch",
    b"EmbeddedFile",
    b"EmbeddedFiles",
    b"FileAttachment",
}


def looks_like_pdf(data: bytes) -> bool:
    """A PDF header, and %%EOF within the last 1024 bytes, where readers
    accept it."""
    return bool(re.match(rb"%PDF-\d\.\d", data)) and b"%%EOF" in data[-1024:]


def active_content(data: bytes, *, max_unpacked: int) -> bool:
    """Whether the PDF carries scripts, launch actions or embedded files.

    Raises Unreadable or TooLarge as `names` does.
    """
    return bool(names(data, max_unpacked=max_unpacked) & FORBIDDEN_NAMES)


class Unreadable(Exception):
    """An object stream of an unencrypted PDF cannot be unpacked."""


class TooLarge(Exception):
    """The object streams unpack to more than the limit given."""


def names(data: bytes, *, max_unpacked: int) -> set[bytes]:
    """Every /Name in a PDF, including those in compressed object streams.

    Modern PDFs keep most dictionaries (and so most actions) in packed
    object streams, which are unpacked here up to max_unpacked bytes in all
    (more raises TooLarge). The object streams of an encrypted PDF cannot
    be read without its key and are left unchecked; in any other PDF, an
    object stream that cannot be unpacked (a filter other than Flate and
    the two ASCII encodings, or damaged data) could hide anything, so it
    raises Unreadable.
    """
    found = set()
    object_streams = []
    for position, pdf_name in _names_in(data):
        found.add(pdf_name)
        if pdf_name == b"ObjStm":
            object_streams.append(position)
    encrypted = b"Encrypt" in found
    budget = max_unpacked
    view = memoryview(data)
    for position in object_streams:
        start = PDF_STREAM_START.search(data, position)
        if start is None:
            continue
        dictionary = data[data.rfind(b" obj", 0, position) : start.start()]
        filters = _filters(dictionary)
        if not filters:
            continue  # not packed: its names were read with the rest
        unpacked = _unpacked(view[start.end() :], filters, budget + 1)
        if unpacked is None:
            if encrypted:
                continue
            raise Unreadable
        if len(unpacked) > budget:
            raise TooLarge
        budget -= len(unpacked)
        found.update(pdf_name for _position, pdf_name in _names_in(unpacked))
    return found


def _filters(dictionary):
    """The names of the filters a stream's dictionary lists, in order."""
    match = PDF_FILTER.search(dictionary)
    if match is None:
        return []
    return [pdf_name for _position, pdf_name in _names_in(match[1])]


def _unpacked(stream, filters, max_length):
    """A stream's data through its filters, or None if they cannot be undone."""
    data = stream
    try:
        for pdf_name in filters:
            if pdf_name in {b"FlateDecode", b"Fl"}:
                data = zlib.decompressobj().decompress(data, max_length)
            elif pdf_name in {b"ASCIIHexDecode", b"AHx"}:
                digits = re.sub(rb"\s", b"", bytes(data).split(b">", 1)[0])
                data = binascii.unhexlify(digits + b"0" * (len(digits) % 2))
            elif pdf_name in {b"ASCII85Decode", b"A85"}:
                encoded = bytes(data).split(b"~>", 1)[0]
                data = base64.a85decode(re.sub(rb"\s", b"", encoded))
            else:
                return None
    except (zlib.error, binascii.Error, ValueError):
        return None
    return bytes(data)


def _names_in(data):
    for match in PDF_NAME.finditer(data):
        pdf_name = match[1]
        if b"#" in pdf_name:
            pdf_name = PDF_NAME_ESCAPE.sub(
                lambda m: bytes.fromhex(m[1].decode()), pdf_name
            )
        yield match.start(), pdf_name
