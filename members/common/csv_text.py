"""The text of a CSV file as Excel saves it: UTF-8 or Shift_JIS (CP932).

Japanese Excel saves “CSV (comma delimited)” in CP932, Microsoft's
Shift_JIS with the NEC and IBM extensions (①, ㈱, 髙, ～), and “CSV UTF-8”
in UTF-8 with a byte order mark. Both are read; anything else is refused
with a message that says how to save the file again.
"""

import codecs
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

UTF8 = "UTF-8"
UTF8_BOM = "UTF-8 (BOM)"
CP932 = "Shift_JIS (CP932)"

# Bytes CP932 leaves undefined but Python maps to the private use area
# (0xA0, 0xFD-0xFF): no text file has them.
_UNDEFINED_CP932 = frozenset("\uf8f0\uf8f1\uf8f2\uf8f3")
_ALLOWED_CONTROLS = frozenset("\t\r\n")


def decode_spreadsheet_csv(data: bytes) -> tuple[str, str]:
    """The file's text, without a BOM, and a label of the encoding found.

    Strict UTF-8 is tried first: a file that decodes as UTF-8 is almost
    never meant as CP932. Raises ValidationError (code "encoding") for
    UTF-16 (Excel's “Unicode text”), binary files such as .xlsx, and
    bytes that are neither UTF-8 nor CP932.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        raise ValidationError(
            _(
                "The file is in UTF-16 (Excel's “Unicode text”), which cannot "
                "be read. In Excel, save it with “Save as” and the file type "
                "“CSV UTF-8 (comma delimited)” or “CSV (comma delimited)”, then "
                "upload it again."
            ),
            code="encoding",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if text.startswith("\ufeff"):
            return _checked(text[1:]), UTF8_BOM
        return _checked(text), UTF8
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError:
        raise _unreadable() from None
    return _checked(text), CP932


def _checked(text: str) -> str:
    """Refuse text with control characters: a binary file, not a CSV."""
    for character in text:
        if character in _UNDEFINED_CP932 or (
            unicodedata.category(character) == "Cc"
            and character not in _ALLOWED_CONTROLS
        ):
            raise _unreadable()
    return text


def _unreadable() -> ValidationError:
    return ValidationError(
        _(
            "The file could not be read as UTF-8 or Shift_JIS text. It may be "
            "an Excel workbook (.xlsx) or another kind of file. In Excel, save "
            "it with “Save as” and the file type “CSV UTF-8 (comma delimited)” "
            "or “CSV (comma delimited)”, then upload it again."
        ),
        code="encoding",
    )
