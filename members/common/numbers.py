"""Numbers typed or sent by people, read without trusting them."""

import unicodedata

# PostgreSQL's bigint: no row has a larger number.
LARGEST_ROW_NUMBER = 2**63 - 1


def row_number(value) -> int | None:
    """`value` as the number of a row (0 to bigint's largest), else None.

    Digits only (full-width ones too, as Japanese input methods type them),
    and never int() of a long string: Python refuses to read more than 4,300
    digits, which would be a server error.
    """
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if number <= LARGEST_ROW_NUMBER else None
