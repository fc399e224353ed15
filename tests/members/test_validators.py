import pytest
from django.core.exceptions import ValidationError

from members.validators import (
    local_government_check_digit,
    validate_local_government_code,
)


@pytest.mark.parametrize(
    "code",
    ["131016", "172022", "172014", "130001", "010006", "011002", "473821"],
)
def test_valid_local_government_codes_pass(code):
    validate_local_government_code(code)


@pytest.mark.parametrize(
    ("code", "error_code"),
    [
        ("131017", "check_digit"),
        ("172021", "check_digit"),
        ("13101", "format"),
        ("1310160", "format"),
        ("13101a", "format"),
        ("１３１０１６", "format"),
        ("", "format"),
    ],
)
def test_invalid_local_government_codes_fail(code, error_code):
    with pytest.raises(ValidationError) as raised:
        validate_local_government_code(code)
    assert raised.value.code == error_code


def test_check_digit_of_chiyoda():
    assert local_government_check_digit("13101") == 6
