import io
import struct
import time
import zipfile
import zlib
from pathlib import Path
from urllib.parse import quote

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from PIL import ExifTags, Image
from PIL.PngImagePlugin import PngInfo

from boards.attachments import clean_file_name, prepare_upload
from boards.fields import AttachmentField
from boards.models import Attachment, Category, Post, Thread
from boards.services import posts

pytestmark = pytest.mark.django_db

JAPANESE_NAME = "防災訓練 資料.pdf"


# ----- building files in memory -----


def _image(image_format="PNG", size=(40, 30), mode="RGB", **options):
    output = io.BytesIO()
    Image.new(mode, size, "red" if mode != "L" else 128).save(
        output, image_format, **options
    )
    return output.getvalue()


def _png_header(width, height):
    """A tiny PNG whose header claims any size; its pixel data is a stub."""

    def chunk(kind, data):
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def _jpeg_with_gps(orientation=1, size=(40, 20)):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCamera"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (35.0, 41.0, 22.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (139.0, 41.0, 30.0)
    return _image("JPEG", size=size, exif=exif)


def _pdf(body=b""):
    return (
        b"%PDF-1.7\n"
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R " + body + b" >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def _pdf_with_object_stream(objects):
    packed = zlib.compress(objects)
    return (
        b"%PDF-1.7\n"
        b"3 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length "
        + str(len(packed)).encode()
        + b" >>\nstream\n"
        + packed
        + b"\nendstream\nendobj\n"
        + _pdf()[len(b"%PDF-1.7\n") :]
    )


def _zip(entries):
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return output.getvalue()


def _docx(**extra):
    return _zip(
        {
            "[Content_Types].xml": '<?xml version="1.0"?><Types/>',
            "_rels/.rels": '<?xml version="1.0"?><Relationships/>',
            "word/document.xml": '<?xml version="1.0"?><w:document/>',
            **extra,
        }
    )


def _upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _refusal_code(name, content, content_type="application/octet-stream"):
    with pytest.raises(ValidationError) as refusal:
        prepare_upload(_upload(name, content, content_type))
    return refusal.value.code


def _files_under(root):
    root = Path(root)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# ----- accepted files -----


def test_a_pdf_keeps_its_content_and_japanese_name():
    content = _image("PDF")
    upload = prepare_upload(_upload(JAPANESE_NAME, content, "application/pdf"))
    assert upload.content == content
    assert upload.original_name == JAPANESE_NAME
    assert upload.kind == Attachment.Kind.PDF
    assert upload.content_type == "application/pdf"
    assert upload.extension == ".pdf"
    assert upload.size == len(content)
    assert upload.thumbnail is None


def test_photos_lose_their_exif_and_gps_position():
    content = _jpeg_with_gps()
    assert Image.open(io.BytesIO(content)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    upload = prepare_upload(_upload("現地写真.jpg", content, "image/jpeg"))
    output = Image.open(io.BytesIO(upload.content))
    assert output.format == "JPEG"
    assert not output.getexif()
    assert b"Exif" not in upload.content
    assert b"TestCamera" not in upload.content
    assert (upload.kind, upload.content_type) == (Attachment.Kind.IMAGE, "image/jpeg")


def test_photos_are_turned_upright_by_their_exif_orientation():
    # Orientation 6: the camera was held on its side.
    upload = prepare_upload(_upload("縦.jpg", _jpeg_with_gps(orientation=6)))
    assert (upload.width, upload.height) == (20, 40)
    assert Image.open(io.BytesIO(upload.content)).size == (20, 40)


def test_images_get_a_small_webp_thumbnail():
    upload = prepare_upload(_upload("大きい.png", _image(size=(1600, 1200))))
    thumbnail = Image.open(io.BytesIO(upload.thumbnail))
    assert thumbnail.format == "WEBP"
    assert thumbnail.size == (480, 360)
    assert (upload.width, upload.height) == (1600, 1200)


@pytest.mark.parametrize(
    ("image_format", "content_type"),
    [("PNG", "image/png"), ("WEBP", "image/webp"), ("JPEG", "image/jpeg")],
)
def test_each_image_format_is_encoded_again_in_the_same_format(
    image_format, content_type
):
    upload = prepare_upload(_upload("image", _image(image_format)))
    assert Image.open(io.BytesIO(upload.content)).format == image_format
    assert upload.content_type == content_type


def test_transparency_is_kept_in_png():
    upload = prepare_upload(_upload("logo.png", _image(mode="RGBA")))
    assert Image.open(io.BytesIO(upload.content)).mode == "RGBA"


def test_palette_pngs_stay_small_palette_images():
    upload = prepare_upload(_upload("diagram.png", _image(mode="P")))
    assert Image.open(io.BytesIO(upload.content)).mode == "P"
    assert Image.open(io.BytesIO(upload.thumbnail)).mode == "RGB"


def test_cmyk_images_are_converted_to_rgb():
    upload = prepare_upload(_upload("print.jpg", _image("JPEG", mode="CMYK")))
    assert Image.open(io.BytesIO(upload.content)).mode == "RGB"


@pytest.mark.parametrize(
    "payload",
    [
        b"<html><script>alert(document.cookie)</script></html>",
        _zip({"evil.html": "<script>alert(1)</script>"}),
    ],
)
def test_anything_appended_to_an_image_is_gone(payload):
    upload = prepare_upload(_upload("polyglot.png", _image() + payload))
    assert payload not in upload.content
    assert b"<script" not in upload.content
    assert b"PK\x03\x04" not in upload.content


def test_text_chunks_of_a_png_are_gone():
    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    upload = prepare_upload(_upload("chunk.png", _image(pnginfo=info)))
    assert b"<script" not in upload.content


def test_content_wins_over_the_name():
    upload = prepare_upload(_upload("写真.pdf", _image("JPEG"), "application/pdf"))
    assert upload.kind == Attachment.Kind.IMAGE
    assert upload.content_type == "image/jpeg"
    assert upload.extension == ".jpg"
    assert upload.original_name == "写真.pdf.jpg"


def test_a_docx_is_accepted_unchanged():
    content = _docx()
    upload = prepare_upload(_upload("参加申込書.docx", content))
    assert upload.content == content
    assert upload.kind == Attachment.Kind.DOCUMENT
    assert upload.content_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )


def test_excel_printer_settings_are_not_mistaken_for_macros():
    content = _zip(
        {
            "[Content_Types].xml": "<Types/>",
            "xl/workbook.xml": "<workbook/>",
            "xl/printerSettings/printerSettings1.bin": b"\x00\x01printer",
        }
    )
    upload = prepare_upload(_upload("名簿.xlsx", content))
    assert upload.extension == ".xlsx"


# ----- refused files -----


@pytest.mark.parametrize(
    ("name", "content", "content_type", "code"),
    [
        ("empty.pdf", b"", "application/pdf", "empty"),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image/svg+xml",
            "unsupported_type",
        ),
        (
            "photo.jpg",
            b"<!DOCTYPE html><html><script>alert(1)</script></html>",
            "image/jpeg",
            "unsupported_type",
        ),
        (
            "資料.pdf",
            "これはPDFではありません。".encode(),
            "application/pdf",
            "unsupported_type",
        ),
        (
            "setup.pdf",
            b"MZ\x90\x00\x03" + b"\x00" * 100,
            "application/pdf",
            "unsupported_type",
        ),
        (
            "archive.docx",
            _zip({"readme.txt": "hello"}),
            "application/zip",
            "unsupported_type",
        ),
        (
            "old.doc",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
            "",
            "legacy_office",
        ),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj\n<<", "application/pdf", "invalid_pdf"),
        ("broken.png", _image()[:60], "image/png", "invalid_image"),
        (
            "fake.png",
            b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>",
            "image/png",
            "invalid_image",
        ),
        ("broken.docx", _docx()[:-30], "", "invalid_document"),
    ],
)
def test_bad_files_are_refused(name, content, content_type, code):
    assert _refusal_code(name, content, content_type) == code


def test_refusals_name_the_file():
    with pytest.raises(ValidationError) as refusal:
        prepare_upload(_upload("logo.svg", b"<svg/>", "image/svg+xml"))
    assert "logo.svg" in refusal.value.messages[0]


def test_files_over_the_limit_are_refused(settings):
    settings.BOARDS_MAX_UPLOAD_BYTES = 1000
    pdf = _pdf(b"/Padding (" + b"x" * 1000 + b")")
    with pytest.raises(ValidationError) as refusal:
        prepare_upload(_upload("大きい.pdf", pdf))
    assert refusal.value.code == "too_large"
    assert "大きい.pdf" in refusal.value.messages[0]


def test_a_huge_png_is_refused_from_its_header_without_decoding():
    started = time.monotonic()
    code = _refusal_code("bomb.png", _png_header(50_000, 50_000))
    assert code == "image_too_large"
    assert time.monotonic() - started < 2


def test_pixel_counts_between_one_and_two_times_the_limit_are_refused(settings):
    # Pillow itself only warns in this range.
    settings.BOARDS_MAX_IMAGE_PIXELS = 10_000
    assert _refusal_code("wide.png", _image(size=(150, 100))) == "image_too_large"
    assert prepare_upload(_upload("ok.png", _image(size=(100, 100))))


def test_images_longer_than_the_side_limit_are_refused():
    assert _refusal_code("strip.png", _png_header(10_001, 1)) == "image_too_large"


@pytest.mark.parametrize(
    "body",
    [
        b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
        b"/OpenAction << /S /J#61vaScript /JS (app.alert(1)) >>",
        b"/OpenAction << /S /Launch /F (cmd.exe) >>",
        b"/Names << /EmbeddedFiles 5 0 R >>",
    ],
)
def test_pdfs_with_scripts_launches_or_embedded_files_are_refused(body):
    assert _refusal_code("案内.pdf", _pdf(body)) == "pdf_active_content"


def test_scripts_hidden_in_compressed_object_streams_are_found():
    pdf = _pdf_with_object_stream(b"5 0 << /S /JavaScript /JS (app.alert(1)) >>")
    assert _refusal_code("案内.pdf", pdf) == "pdf_active_content"
    assert prepare_upload(_upload("案内.pdf", _pdf_with_object_stream(b"5 0 << >>")))


def test_pdf_object_streams_that_unpack_beyond_the_limit_are_refused(settings):
    settings.BOARDS_MAX_UPLOAD_BYTES = 100_000
    pdf = _pdf_with_object_stream(b" " * 1_000_000)
    assert _refusal_code("bomb.pdf", pdf) == "compression_bomb"


@pytest.mark.parametrize(
    "part",
    [
        "word/vbaProject.bin",
        "word/activeX/activeX1.bin",
        "word/embeddings/oleObject1.bin",
    ],
)
def test_office_files_with_macros_or_embedded_programs_are_refused(part):
    content = _docx(**{part: b"\x00" * 100})
    assert _refusal_code("申込書.docx", content) == "document_active_content"


def test_zip_bombs_are_refused():
    content = _docx(**{"word/media/filler.xml": b"\x00" * 10_000_000})
    assert len(content) < 100_000
    assert _refusal_code("bomb.docx", content) == "compression_bomb"


# ----- file names -----


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\x.pdf", "x.pdf"),
        ("C:\\Users\\山田\\Desktop\\案内.pdf", "案内.pdf"),
        ("report\u202efdp.exe", "reportfdp.exe"),
        ("line\nbreak\x00.pdf", "linebreak.pdf"),
        ("  spaced.pdf  ", "spaced.pdf"),
        ("..", "attachment"),
        ("", "attachment"),
        # macOS sends decomposed kana: が as か + ゛.
        ("か\u3099いと\u3099.pdf", "がいど.pdf"),
    ],
)
def test_file_names_are_cleaned(raw, cleaned):
    with translation.override("en"):
        assert clean_file_name(raw) == cleaned


def test_long_file_names_are_cut_keeping_the_extension():
    name = clean_file_name("あ" * 300 + ".pdf")
    assert len(name) == 255
    assert name.endswith("あ.pdf")


def test_path_traversal_names_never_reach_storage(member):
    upload = prepare_upload(_upload("../../etc/passwd.pdf", _pdf()))
    thread = _thread(member, uploads=[upload])
    attachment = Attachment.objects.get(post__thread=thread)
    assert attachment.original_name == "passwd.pdf"
    assert ".." not in attachment.file.name
    assert "passwd" not in attachment.file.name
    assert attachment.file.name.startswith("attachments/")
    assert attachment.file.name.endswith(".pdf")


# ----- the form field -----


class AttachmentForm(forms.Form):
    attachments = AttachmentField(required=False)


def _form(*uploads):
    return AttachmentForm(data={}, files=MultiValueDict({"attachments": list(uploads)}))


def test_the_field_takes_several_files():
    form = _form(_upload("a.pdf", _pdf()), _upload("b.png", _image()))
    assert form.is_valid(), form.errors
    assert [u.original_name for u in form.cleaned_data["attachments"]] == [
        "a.pdf",
        "b.png",
    ]


def test_the_field_is_an_empty_list_without_files():
    form = AttachmentForm(data={}, files=MultiValueDict())
    assert form.is_valid()
    assert form.cleaned_data["attachments"] == []


def test_each_bad_file_gets_its_own_error():
    form = _form(
        _upload("good.pdf", _pdf()),
        _upload("bad.svg", b"<svg/>"),
        _upload("empty.png", b""),
    )
    assert not form.is_valid()
    errors = form.errors.as_data()["attachments"]
    assert [error.code for error in errors] == ["unsupported_type", "empty"]
    assert "bad.svg" in errors[0].messages[0]
    assert "empty.png" in errors[1].messages[0]


def test_the_field_limits_files_per_post(settings):
    settings.BOARDS_MAX_FILES_PER_POST = 2
    form = _form(*(_upload(f"{n}.pdf", _pdf()) for n in range(3)))
    assert not form.is_valid()
    assert form.errors.as_data()["attachments"][0].code == "too_many_files"


def test_the_widget_allows_several_files_of_the_accepted_types():
    html = str(AttachmentForm()["attachments"])
    assert "multiple" in html
    assert 'accept="' in html
    for accepted in [".pdf", "image/webp", ".docx", ".xlsx", ".pptx"]:
        assert accepted in html
    assert ".svg" not in html


def test_the_help_text_follows_the_settings(settings):
    settings.BOARDS_MAX_FILES_PER_POST = 3
    settings.BOARDS_MAX_UPLOAD_BYTES = 5 * 1024 * 1024
    with translation.override("en"):
        help_text = str(AttachmentForm()["attachments"].help_text)
    assert "3" in help_text
    assert "5.0" in help_text


# ----- storing -----


@pytest.fixture
def plain_category():
    return Category.objects.get(slug="other")


def _thread(author, uploads):
    return posts.thread_create(
        category=Category.objects.get(slug="proposals"),
        author=author,
        title="防災訓練のご案内",
        body="資料を添付します。",
        uploads=uploads,
    )


def test_files_are_stored_under_random_names_with_thumbnails(member, settings):
    uploads = [
        prepare_upload(_upload(JAPANESE_NAME, _pdf())),
        prepare_upload(_upload("会場.png", _image())),
    ]
    thread = _thread(member, uploads)
    pdf, image = Attachment.objects.filter(post__thread=thread)
    assert pdf.original_name == JAPANESE_NAME
    assert pdf.size == len(_pdf())
    assert not pdf.thumbnail
    assert image.thumbnail.name.endswith(".webp")
    assert (image.width, image.height) == (40, 30)
    stored = {path.name for path in _files_under(settings.MEDIA_ROOT)}
    assert len(stored) == 3
    assert all(len(Path(name).stem) == 32 for name in stored)


def test_a_failed_save_leaves_no_files(member, settings, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("disk full")

    upload = prepare_upload(_upload("会場.png", _image()))
    monkeypatch.setattr(Attachment, "save", fail)
    with pytest.raises(ValidationError) as raised:
        _thread(member, [upload])
    assert raised.value.code == "storage_failed"
    assert _files_under(settings.MEDIA_ROOT) == []
    assert not Thread.objects.exists()


def test_a_failure_on_a_later_file_removes_the_earlier_ones(member, settings):
    class Broken:
        def save_to(self, post):
            raise OSError("disk full")

    good = prepare_upload(_upload("a.pdf", _pdf()))
    with pytest.raises(OSError):
        _thread(member, [good, Broken()])
    assert _files_under(settings.MEDIA_ROOT) == []
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [
        ("bomb.png", _png_header(50_000, 50_000)),
        ("logo.svg", b"<svg/>"),
        ("empty.pdf", b""),
    ],
)
def test_a_thread_with_a_refused_file_is_not_saved_at_all(
    member_client, plain_category, settings, bad
):
    response = member_client.post(
        reverse("boards:thread_create", args=[plain_category.slug]),
        {
            "title": "件名",
            "body": "本文",
            "attachments": [_upload("good.pdf", _pdf()), _upload(*bad)],
        },
    )
    assert response.status_code == 200
    assert bad[0] in response.content.decode()
    assert not Thread.objects.exists()
    assert not Post.objects.exists()
    assert not Attachment.objects.exists()
    assert _files_under(settings.MEDIA_ROOT) == []


def test_a_thread_with_good_files_is_saved_with_them(member_client, plain_category):
    response = member_client.post(
        reverse("boards:thread_create", args=[plain_category.slug]),
        {
            "title": "件名",
            "body": "本文",
            "attachments": [_upload(JAPANESE_NAME, _pdf()), _upload("a.png", _image())],
        },
    )
    assert response.status_code == 302
    names = Attachment.objects.values_list("original_name", flat=True)
    assert sorted(names) == sorted([JAPANESE_NAME, "a.png"])


# ----- downloading -----


@pytest.fixture
def pdf_attachment(member):
    thread = _thread(member, [prepare_upload(_upload(JAPANESE_NAME, _pdf()))])
    return Attachment.objects.get(post__thread=thread)


@pytest.fixture
def image_attachment(member):
    thread = _thread(member, [prepare_upload(_upload("会場.png", _image()))])
    return Attachment.objects.get(post__thread=thread)


def _download_url(attachment, name=None):
    return reverse(
        "boards:attachment_download",
        args=[attachment.pk, name or attachment.original_name],
    )


def _thumbnail_url(attachment):
    return reverse("boards:attachment_thumbnail", args=[attachment.pk])


def _body(response):
    content = b"".join(response.streaming_content)
    response.close()
    return content


def test_members_of_other_organisations_download_pdfs(
    client, other_member, pdf_attachment
):
    client.force_login(other_member)
    response = client.get(_download_url(pdf_attachment))
    assert response.status_code == 200
    assert _body(response) == _pdf()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''" + quote(JAPANESE_NAME)
    )
    assert "%E9%98%B2" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-cache"


def test_images_are_shown_inline_in_a_sandbox(member_client, image_attachment):
    response = member_client.get(_download_url(image_attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "sandbox" in policy
    assert Image.open(io.BytesIO(_body(response))).format == "PNG"


def test_thumbnails_are_served_to_members(member_client, image_attachment):
    response = member_client.get(_thumbnail_url(image_attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert Image.open(io.BytesIO(_body(response))).format == "WEBP"


def test_files_without_a_thumbnail_have_none(member_client, pdf_attachment):
    assert member_client.get(_thumbnail_url(pdf_attachment)).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, pdf_attachment):
    for url in [_download_url(pdf_attachment), _thumbnail_url(pdf_attachment)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_files_of_deleted_posts_are_gone(member_client, member, pdf_attachment):
    posts.post_delete(post=pdf_attachment.post, actor=member)
    assert member_client.get(_download_url(pdf_attachment)).status_code == 404


def test_files_of_hidden_threads_are_for_moderators_only(
    client, other_member, ward_staff, image_attachment, settings
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    Thread.objects.filter(pk=image_attachment.post.thread_id).update(is_hidden=True)
    client.force_login(other_member)
    assert client.get(_download_url(image_attachment)).status_code == 404
    assert client.get(_thumbnail_url(image_attachment)).status_code == 404
    client.force_login(ward_staff)
    response = client.get(_download_url(image_attachment))
    assert response.status_code == 200
    _body(response)


def test_a_wrong_name_in_the_url_is_not_found(member_client, pdf_attachment):
    response = member_client.get(_download_url(pdf_attachment, name="other.pdf"))
    assert response.status_code == 404


def test_a_guessed_attachment_number_is_not_found(member_client, pdf_attachment):
    url = _download_url(pdf_attachment).replace(
        f"/{pdf_attachment.pk}/", f"/{pdf_attachment.pk + 1}/"
    )
    assert member_client.get(url).status_code == 404
    assert (
        member_client.get(
            reverse("boards:attachment_thumbnail", args=[pdf_attachment.pk + 1])
        ).status_code
        == 404
    )


def test_files_cannot_be_posted_to(member_client, pdf_attachment):
    assert member_client.post(_download_url(pdf_attachment)).status_code == 405
