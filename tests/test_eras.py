import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template

from members.common.eras import era_date, era_year, format_wareki


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(2024, 3, 15), "令和6年3月15日"),
        (datetime.date(2019, 4, 30), "平成31年4月30日"),
        (datetime.date(2019, 5, 1), "令和元年5月1日"),
        (datetime.date(2020, 1, 1), "令和2年1月1日"),
        (datetime.date(1989, 1, 7), "昭和64年1月7日"),
        (datetime.date(1989, 1, 8), "平成元年1月8日"),
        (datetime.date(1926, 12, 24), "大正15年12月24日"),
        (datetime.date(1926, 12, 25), "昭和元年12月25日"),
        (datetime.date(1912, 7, 29), "明治45年7月29日"),
        (datetime.date(1912, 7, 30), "大正元年7月30日"),
        (datetime.date(1873, 1, 1), "明治6年1月1日"),
    ],
)
def test_wareki_across_era_boundaries(day, expected):
    assert format_wareki(day) == expected


def test_wareki_before_the_gregorian_calendar_falls_back_to_western_form():
    assert format_wareki(datetime.date(1872, 12, 31)) == "1872年12月31日"


def test_wareki_with_western_year():
    assert format_wareki(datetime.date(2024, 3, 15), western=True) == (
        "令和6年（2024年）3月15日"
    )


def test_wareki_uses_tokyo_date_of_an_aware_datetime():
    # 15:30 UTC on 30 April 2019 is already 1 May in Tokyo: the first day of Reiwa.
    moment = datetime.datetime(2019, 4, 30, 15, 30, tzinfo=ZoneInfo("UTC"))
    assert format_wareki(moment) == "令和元年5月1日"


def test_era_year_of_first_day_is_one():
    name, year = era_year(datetime.date(2019, 5, 1))
    assert (str(name), year) == ("令和", 1)


def test_wareki_filter_in_templates():
    template = Template(
        '{% load japanese_dates %}{{ d|wareki }} / {{ d|wareki:"western" }}'
    )
    rendered = template.render(Context({"d": datetime.date(2019, 5, 1)}))
    assert rendered == "令和元年5月1日 / 令和元年（2019年）5月1日"


def test_wareki_filter_renders_nothing_for_none():
    template = Template("{% load japanese_dates %}[{{ d|wareki }}]")
    assert template.render(Context({"d": None})) == "[]"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (("令和", 8, 3, 31), datetime.date(2026, 3, 31)),
        (("r", 1, 5, 1), datetime.date(2019, 5, 1)),
        (("H", 31, 4, 30), datetime.date(2019, 4, 30)),
        (("昭和", 64, 1, 7), datetime.date(1989, 1, 7)),
        (("M", 6, 1, 1), datetime.date(1873, 1, 1)),
    ],
)
def test_a_date_written_in_its_era_is_read(written, expected):
    assert era_date(*written) == expected


@pytest.mark.parametrize(
    "written",
    [
        ("平成", 31, 5, 1),  # already 令和
        ("令和", 1, 4, 30),  # still 平成
        ("令和", 8, 2, 30),  # no such day
        ("明治", 5, 12, 1),  # before the Gregorian calendar, as format_wareki
        ("X", 8, 3, 31),
    ],
)
def test_a_day_its_era_did_not_have_is_none(written):
    assert era_date(*written) is None
