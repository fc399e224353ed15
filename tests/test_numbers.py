import pytest

from members.common.numbers import LARGEST_ROW_NUMBER, row_number


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("123", 123),
        (123, 123),
        ("１２３", 123),
        (" 7 ", 7),
        (str(LARGEST_ROW_NUMBER), LARGEST_ROW_NUMBER),
    ],
)
def test_a_row_number_is_read(value, number):
    assert row_number(value) == number


@pytest.mark.parametrize(
    "value",
    ["", "abc", "-1", "1.5", "١٢", str(LARGEST_ROW_NUMBER + 1), "9" * 5000],
)
def test_what_no_row_could_have_is_none(value):
    assert row_number(value) is None
