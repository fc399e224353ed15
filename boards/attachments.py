"""Checking uploaded files before they become attachments.

A file's type is read from its content, never from its name or from the type
the browser claims. Accepted are PDF, JPEG/PNG/WebP images and Word, Excel
and PowerPoint files in their XML formats (.docx, .xlsx, .pptx), which
municipalities exchange as often as PDF. Images are decoded and encoded
again, so that camera data (the GPS position in staff photos) and anything
hidden in or after the pixels are gone. Nothing is written to storage until
a post is saved (PreparedUpload.save_to).
"""

import io
import logging
import unicodedata
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps

from members.common import pdf

from .models import Attachment

MAX_NAME_LENGTH = Attachment._meta.get_field("original_name").max_length
THUMBNAIL_BOX = (480, 480)
THUMBNAIL_CONTENT_TYPE = "image/webp"
JPEG_QUALITY = 85

# Office files are ZIP archives; these limits keep a small upload from
# unpacking into gigabytes on a member's computer.
MAX_UNPACKED_FACTOR = 10
MAX_COMPRESSION_RATIO = 100
MAX_ARCHIVE_ENTRIES = 10_000


@dataclass(frozen=True)
class FileType:
    kind: str
    content_type: str
    extension: str
    other_extensions: tuple[str, ...] = ()

    @property
    def extensions(self):
        return (self.extension, *self.other_extensions)


PDF = FileType(Attachment.Kind.PDF, "application/pdf", ".pdf")
IMAGE_TYPES = {
    "JPEG": FileType(Attachment.Kind.IMAGE, "image/jpeg", ".jpg", (".jpeg",)),
    "PNG": FileType(Attachment.Kind.IMAGE, "image/png", ".png"),
    "WEBP": FileType(Attachment.Kind.IMAGE, "image/webp", ".webp"),
}
# Each Office format is known by the part its application reads first.
DOCUMENT_TYPES = {
    "word/document.xml": FileType(
        Attachment.Kind.DOCUMENT,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".docx",
    ),
    "xl/workbook.xml": FileType(
        Attachment.Kind.DOCUMENT,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".xlsx",
    ),
    "ppt/presentation.xml": FileType(
        Attachment.Kind.DOCUMENT,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ".pptx",
    ),
}
ACCEPT = ",".join(
    value
    for file_type in (PDF, *IMAGE_TYPES.values(), *DOCUMENT_TYPES.values())
    for value in (*file_type.extensions, file_type.content_type)
)

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .xls, .ppt
ZIP_SIGNATURE = b"PK\x03\x04"

SRGB = ImageCms.createProfile("sRGB")

logger = logging.getLogger(__name__)


def _setting(name):
    # Read on every use, so that tests can change the limits.
    return getattr(settings, name)


def max_files_per_post():
    return _setting("BOARDS_MAX_FILES_PER_POST")


@dataclass(frozen=True, kw_only=True)
class PreparedUpload:
    """A checked file, held in memory until its post is saved."""

    content: bytes = field(repr=False)
    original_name: str
    kind: str
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = field(default=None, repr=False)

    @property
    def size(self):
        return len(self.content)

    def save_to(self, post):
        """Store the file under a fresh random name and record it on the post."""
        return self.store(Attachment(post=post))

    def store(self, attachment):
        """Store the file and save `attachment`, an unsaved row with the
        columns of Attachment (a post's, or an inquiry's file).

        A file that cannot be written (OSError: the disk is full) is a
        ValidationError for the form, with nothing of it left in storage.
        """
        attachment.original_name = self.original_name
        attachment.kind = self.kind
        attachment.content_type = self.content_type
        attachment.size = self.size
        attachment.width = self.width
        attachment.height = self.height
        attachment.full_clean(exclude=["file", "thumbnail"])
        written = []
        try:
            attachment.file.save(
                f"upload{self.extension}", ContentFile(self.content), save=False
            )
            written.append(attachment.file)
            if self.thumbnail is not None:
                attachment.thumbnail.save(
                    "thumbnail.webp", ContentFile(self.thumbnail), save=False
                )
                written.append(attachment.thumbnail)
            attachment.save()
        except BaseException as error:
            for field_file in written:
                discard_stored(field_file)
            if isinstance(error, OSError):
                # A full disk (ENOSPC), a quota, a failing volume or an object
                # store that is down (config.media.StoreUnavailable): the post
                # is not saved and the member is asked to try again later.
                logger.exception("could not write an attachment to storage")
                raise ValidationError(
                    _(
                        "The attached files could not be saved. Please try "
                        "again later; if this continues, please contact the "
                        "office."
                    ),
                    code="storage_failed",
                ) from error
            raise
        return attachment


def discard_stored(field_file):
    """Delete a file written for a save that failed.

    When storage itself failed (a store that is down refuses the delete
    too), the file is left behind, unreferenced, and logged; the member
    still gets the error of the save rather than that of the clean-up.
    """
    if not field_file:
        return
    try:
        field_file.delete(save=False)
    except OSError:
        logger.warning("left an unreferenced file in storage: %s", field_file.name)


def clean_file_name(name):
    r"""The last part of an uploaded file's name, fit to show and to send back.

    Browsers send a bare name, but a crafted request may carry a path
    (../../etc/passwd.pdf, ..\..\x.pdf) or invisible characters such as
    the right-to-left override that makes "report\u202efdp.exe" read as
    "reportexe.pdf".
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        char
        for char in name
        if unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Zl", "Zp"}
    ).strip()
    if name in {"", ".", ".."}:
        name = _("attachment")
    return _fit(name)


def _fit(name):
    """Cut a name to the length of its column, keeping a short extension."""
    if len(name) <= MAX_NAME_LENGTH:
        return name
    suffix = PurePosixPath(name).suffix
    if len(suffix) > 10:
        suffix = ""
    return name[: MAX_NAME_LENGTH - len(suffix)] + suffix


def _display_name(name, file_type):
    """The uploaded name, ending in the extension of what the file really is.

    Content wins over the name: a JPEG uploaded as "写真.pdf" is kept as the
    image it is and shown as "写真.pdf.jpg", so that it opens in the right
    application once downloaded.
    """
    if PurePosixPath(name).suffix.lower() in file_type.extensions:
        return name
    return _fit(name + file_type.extension)


def _prepared(file_type, *, content, name, **image) -> PreparedUpload:
    """A checked file of ``file_type``, named as what it really is."""
    return PreparedUpload(
        content=content,
        original_name=_display_name(name, file_type),
        kind=file_type.kind,
        content_type=file_type.content_type,
        extension=file_type.extension,
        **image,
    )


def _refusal(message, code, name, **params):
    return ValidationError(message, code=code, params={"name": name, **params})


def prepare_upload(uploaded_file):
    """Check an uploaded file and return it ready to store, or refuse it."""
    name = clean_file_name(uploaded_file.name)
    limit = _setting("BOARDS_MAX_UPLOAD_BYTES")
    uploaded_file.seek(0)
    data = uploaded_file.read(limit + 1)
    if not data:
        raise _refusal(_("“%(name)s” is empty."), "empty", name)
    if len(data) > limit:
        raise _refusal(
            _("“%(name)s” is too large: files can be at most %(limit)s."),
            "too_large",
            name,
            limit=filesizeformat(limit),
        )
    if data.startswith(b"%PDF-"):
        return _prepare_pdf(data, name)
    if image_format := _image_format(data):
        return _prepare_image(data, name, image_format)
    if data.startswith(ZIP_SIGNATURE):
        return _prepare_document(data, name)
    if data.startswith(OLE_SIGNATURE):
        raise _refusal(
            _(
                "“%(name)s” is in an old Word, Excel or PowerPoint format "
                "(.doc, .xls, .ppt). Please save it as PDF or in the newer "
                "format (.docx, .xlsx, .pptx) and attach it again."
            ),
            "legacy_office",
            name,
        )
    raise _unsupported(name)


def _unsupported(name):
    return _refusal(
        _(
            "“%(name)s” is not a type of file that can be attached. Attach PDF "
            "files, JPEG, PNG or WebP images, or Word, Excel or PowerPoint "
            "files (.docx, .xlsx, .pptx)."
        ),
        "unsupported_type",
        name,
    )


def _invalid_pdf(name):
    return _refusal(
        _("“%(name)s” looks like a PDF but is damaged or incomplete."),
        "invalid_pdf",
        name,
    )


def _compression_bomb(name):
    return _refusal(
        _("“%(name)s” unpacks to an unusually large size and cannot be accepted."),
        "compression_bomb",
        name,
    )


# ----- PDF -----


def _prepare_pdf(data, name):
    # Readers accept a PDF whose %%EOF marker is within the last 1024 bytes.
    if not pdf.looks_like_pdf(data):
        raise _invalid_pdf(name)
    try:
        harmful = pdf.active_content(
            data, max_unpacked=_setting("BOARDS_MAX_UPLOAD_BYTES")
        )
    except pdf.Unreadable:
        raise _invalid_pdf(name) from None
    except pdf.TooLarge:
        raise _compression_bomb(name) from None
    if harmful:
        raise _refusal(
            _(
                "“%(name)s” contains scripts, actions that start programs, or "
                "embedded files, which can do harm when the PDF is opened. "
                "Please create the PDF again without them (for example by "
                "printing it to PDF) and attach it again."
            ),
            "pdf_active_content",
            name,
        )
    return _prepared(PDF, content=data, name=name)


# ----- Images -----


def _image_format(data):
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _prepare_image(data, name, image_format):
    file_type = IMAGE_TYPES[image_format]
    image = _decode_image(data, name, image_format)
    mode = _output_mode(image, image_format)
    image = _pixels_only(image, mode)
    content = _encode(image, image_format)
    # Palette images can only be scaled coarsely; thumbnails need colours.
    thumbnail = image.convert("RGB") if image.mode == "P" else image.copy()
    thumbnail.thumbnail(THUMBNAIL_BOX)
    return _prepared(
        file_type,
        content=content,
        name=name,
        width=image.width,
        height=image.height,
        thumbnail=_encode(thumbnail, "WEBP"),
    )


def _decode_image(data, name, image_format):
    """Decode an image whose header shows it is of a size that is safe."""
    max_side = _setting("BOARDS_MAX_IMAGE_SIDE")
    # Pillow's limit is process-wide: every upload sets the same value, so
    # uploads cannot lower each other's guard. Pillow only warns between
    # once and twice the limit, so the warning is made an error.
    Image.MAX_IMAGE_PIXELS = _setting("BOARDS_MAX_IMAGE_PIXELS")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Opening reads only the header; formats= keeps Pillow from
            # trying its other, less exercised decoders on the data.
            with Image.open(io.BytesIO(data), formats=[image_format]) as header:
                too_large = max(header.size) > max_side
                if not too_large:
                    header.verify()
            if not too_large:
                # verify() leaves the image unusable; decode a fresh one.
                image = Image.open(io.BytesIO(data), formats=[image_format])
                image.load()
                image = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        too_large = True
    # A broken file makes Pillow raise OSError, SyntaxError, ValueError,
    # struct.error or EOFError, depending on where the decoder trips.
    except Exception as error:
        raise _refusal(
            _("“%(name)s” is damaged or is not a valid image."),
            "invalid_image",
            name,
        ) from error
    if too_large:
        raise _refusal(
            _(
                "“%(name)s” is too large an image: at most %(side)s pixels on "
                "each side and %(megapixels)s megapixels in all. Please make it "
                "smaller and attach it again."
            ),
            "image_too_large",
            name,
            side=f"{max_side:,}",
            megapixels=f"{_setting('BOARDS_MAX_IMAGE_PIXELS') / 1_000_000:g}",
        )
    return image


def _output_mode(image, image_format):
    # A palette is pixel data; keeping it keeps diagrams and logos small.
    if image_format == "PNG" and image.mode == "P" and not image.has_transparency_data:
        return "P"
    if image.has_transparency_data and image_format != "JPEG":
        return "RGBA"
    if image.mode in {"1", "L"}:
        return "L"
    return "RGB"


def _pixels_only(image, mode):
    """The image in sRGB and the given mode, with no metadata at all.

    A colour profile is applied and then dropped rather than kept: it is a
    blob of its own that could carry anything, and without applying it CMYK
    images (common in print pamphlets) would show wrong colours.
    """
    converted = _through_profile(image, mode)
    image = image.convert(mode) if converted is None else converted
    image.info = {}
    return image


def _through_profile(image, mode):
    """The image converted to sRGB by its colour profile, if that is usable."""
    profile = image.info.get("icc_profile")
    if not profile:
        return None
    try:
        return ImageCms.profileToProfile(
            image,
            ImageCms.ImageCmsProfile(io.BytesIO(profile)),
            SRGB,
            outputMode=mode,
        )
    except (OSError, ImageCms.PyCMSError):
        return None


def _encode(image, image_format):
    output = io.BytesIO()
    if image_format == "PNG":
        image.save(output, "PNG")
    else:
        image.save(output, image_format, quality=JPEG_QUALITY)
    return output.getvalue()


# ----- Office documents -----


def _prepare_document(data, name):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            file_type = _document_type(entries)
            if file_type is None:
                raise _unsupported(name)
            if _is_compression_bomb(entries):
                raise _compression_bomb(name)
            if any(_is_active_part(entry.filename) for entry in entries):
                raise _refusal(
                    _(
                        "“%(name)s” contains macros, ActiveX controls or "
                        "embedded objects, which can do harm when the file is "
                        "opened. Please remove them, or save the file as PDF, "
                        "and attach it again."
                    ),
                    "document_active_content",
                    name,
                )
            # Unpacks every entry against its checksum; the limits above
            # bound the work.
            damaged = archive.testzip()
    # zipfile reports damage in many ways: a bad offset is a ValueError, an
    # encrypted entry a RuntimeError, an unknown method NotImplementedError.
    except (
        zipfile.BadZipFile,
        EOFError,
        NotImplementedError,
        RuntimeError,
        ValueError,
        zlib.error,
    ):
        damaged = True
    if damaged:
        raise _refusal(
            _(
                "“%(name)s” is damaged or is not a valid Word, Excel or "
                "PowerPoint file."
            ),
            "invalid_document",
            name,
        )
    return _prepared(file_type, content=data, name=name)


def _document_type(entries):
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" not in names:
        return None
    found = [DOCUMENT_TYPES[part] for part in DOCUMENT_TYPES if part in names]
    return found[0] if len(found) == 1 else None


def _is_compression_bomb(entries):
    limit = _setting("BOARDS_MAX_UPLOAD_BYTES") * MAX_UNPACKED_FACTOR
    return (
        len(entries) > MAX_ARCHIVE_ENTRIES
        or sum(entry.file_size for entry in entries) > limit
        or any(
            entry.file_size > MAX_COMPRESSION_RATIO * max(entry.compress_size, 1)
            for entry in entries
        )
    )


def _is_active_part(part_name):
    """Macros (vbaProject.bin), ActiveX controls and OLE objects (*.bin)."""
    part_name = part_name.lower()
    return (
        part_name.endswith("vbaproject.bin")
        or "/activex/" in part_name
        or ("/embeddings/" in part_name and part_name.endswith(".bin"))
    )
