"""Reading a CSV file as Excel saves it: UTF-8 (with or without a BOM) or
Shift_JIS, which Excel on Japanese Windows writes as Microsoft's CP932."""

import codecs

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

UTF8 = "UTF-8"
SHIFT_JIS = "Shift_JIS"


def decode_excel_csv(data: bytes) -> tuple[str, str]:
    """The text of an uploaded CSV file and the encoding it was read in.

    UTF-8 is tried first: a CP932 file of Japanese text is almost never
    valid UTF-8, while UTF-8 text read as CP932 would turn into nonsense
    without an error. CP932 is Shift_JIS with the characters Windows adds
    (①, ㈱, 髙, ...), so Excel's files read in full.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), UTF8
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932"), SHIFT_JIS
    except UnicodeDecodeError:
        raise ValidationError(
            _(
                "The file could be read neither as UTF-8 nor as Shift_JIS. "
                "Save it from Excel as “CSV UTF-8 (comma delimited)” or “CSV "
                "(comma delimited)” and upload it again."
            ),
            code="encoding",
        ) from None
