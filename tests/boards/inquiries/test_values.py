import datetime

import pytest
from django.core.exceptions import ValidationError

from boards.inquiries import values
from boards.models import Question


def question(kind, **fields):
    return Question(pk=1, kind=kind, text="q", **fields)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("１２３", "123"),
        ("1,234", "1234"),
        ("１，２３４．５", "1234.5"),
        (" 12 ", "12"),
        (42, "42"),
        (3.5, "3.5"),
        ("−5", "-5"),
        ("", None),
        (None, None),
    ],
)
def test_numbers_accept_full_width_digits_and_commas(raw, expected):
    assert values.clean_number(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "1.2.3", "十", "=1+1", True, "1e5"])
def test_what_is_not_a_number_is_refused(raw):
    with pytest.raises(ValidationError) as caught:
        values.clean_number(raw)
    assert caught.value.code == "not_a_number"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026/3/31", "2026-03-31"),
        ("２０２６年３月３１日", "2026-03-31"),
        ("2026-03-31", "2026-03-31"),
        (datetime.datetime(2026, 3, 31, 0, 0), "2026-03-31"),
        (46112, "2026-03-31"),
        ("令和8年3月31日", "2026-03-31"),
        ("令和元年5月1日", "2019-05-01"),
        ("R8.3.31", "2026-03-31"),
        ("ｒ８／３／３１", "2026-03-31"),
        ("H31.4.30", "2019-04-30"),
        ("平成元年1月8日", "1989-01-08"),
    ],
)
def test_dates_in_the_usual_forms(raw, expected):
    assert values.clean_date(raw) == expected


@pytest.mark.parametrize(
    "raw", ["2026/2/30", "令和8年2月30日", "R1.4.30", "平成31年5月1日", "X8.3.31"]
)
def test_an_impossible_date_is_refused(raw):
    with pytest.raises(ValidationError):
        values.clean_date(raw)


def test_a_choice_not_in_the_list_is_refused():
    with pytest.raises(ValidationError) as caught:
        values.clean_choice(question("single_choice", choices=["A", "B"]), "C")
    assert caught.value.code == "not_a_choice"


def test_several_choices_come_back_in_the_question_order():
    q = question("multiple_choice", choices=["A", "B", "C"])
    assert values.clean_choices(q, ["C", "A"]) == ["A", "C"]


def test_yes_no_words():
    assert values.clean_yes_no("はい") is True
    assert values.clean_yes_no("いいえ") is False
    with pytest.raises(ValidationError):
        values.clean_yes_no("たぶん")


def test_short_text_is_one_line():
    with pytest.raises(ValidationError):
        values.clean_text("一行目\n二行目")


def test_a_required_question_left_empty_is_refused():
    with pytest.raises(ValidationError) as caught:
        values.check_required(question("short_text", required=True), "")
    assert caught.value.code == "required"


def test_a_required_table_needs_every_cell():
    q = question("table", required=True, table_rows=["a"], table_columns=["x", "y"])
    with pytest.raises(ValidationError):
        values.check_required(q, [["1", None]])
    values.check_required(q, [["1", "2"]])
