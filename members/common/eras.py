"""Japanese dates: eras (令和6年3月15日, 令和元年5月1日) and fiscal years."""

import datetime
import functools

from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

# (first day, western year of its first year, name), newest first. 明治
# began in 1868, but dates are only given from the Gregorian switch-over
# (明治6年1月1日); earlier ones are shown in western form.
ERAS = [
    (datetime.date(2019, 5, 1), 2019, gettext_lazy("Reiwa")),
    (datetime.date(1989, 1, 8), 1989, gettext_lazy("Heisei")),
    (datetime.date(1926, 12, 25), 1926, gettext_lazy("Showa")),
    (datetime.date(1912, 7, 30), 1912, gettext_lazy("Taisho")),
    (datetime.date(1873, 1, 1), 1868, gettext_lazy("Meiji")),
]

# How dates write the eras of ERAS, in its order: by name (令和8年3月31日)
# and by letter (R8.3.31, and the 照会 references R8-0012).
ERA_NAMES = ("令和", "平成", "昭和", "大正", "明治")
ERA_LETTERS = "RHSTM"


def era_date(era, year, month, day):
    """The date of 令和8年3月31日: the era by name or letter, year 1 for
    元年; None when that era had no such day."""
    written = list(zip(ERA_NAMES, ERA_LETTERS, strict=True))
    index = next((i for i, ways in enumerate(written) if era.upper() in ways), None)
    if index is None:
        return None
    start, first_year, _name = ERAS[index]
    try:
        moment = datetime.date(first_year + year - 1, month, day)
    except ValueError:
        return None
    end = ERAS[index - 1][0] if index else None
    if moment < start or (end is not None and moment >= end):
        return None
    return moment


def _as_date(value):
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    return value


def era_year(value):
    """(era name, year in era) of a date, or None before the Meiji calendar."""
    day = _as_date(value)
    for start, first_year, name in ERAS:
        if day >= start:
            return name, day.year - first_year + 1
    return None


def format_era_year(name, year):
    """令和6年; the first year of an era is 元年."""
    year_text = _("first") if year == 1 else str(year)
    return _("%(era)s %(year)s") % {"era": name, "year": year_text}


def format_wareki(value, *, western=False):
    """令和6年3月15日, or 令和6年（2024年）3月15日 with western=True."""
    if value in (None, ""):
        return ""
    return _format_day(_as_date(value), western, get_language())


@functools.lru_cache(maxsize=4096)
def _format_day(day, western, language):
    """Reports print the same few hundred days thousands of times: once each
    per language is enough."""
    era = era_year(day)
    if era is None:
        return _("%(year)s/%(month)s/%(day)s") % {
            "year": day.year,
            "month": day.month,
            "day": day.day,
        }
    era_text = format_era_year(*era)
    if western:
        era_text = _("%(era_year)s (%(western_year)s)") % {
            "era_year": era_text,
            "western_year": day.year,
        }
    return _("%(era_year)s %(month)s/%(day)s") % {
        "era_year": era_text,
        "month": day.month,
        "day": day.day,
    }


def fiscal_year(value):
    """The 年度 a date falls in: April to March, named by its April's year."""
    day = _as_date(value)
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_start(year):
    """Midnight in Tokyo on 1 April of fiscal year `year`."""
    return timezone.make_aware(datetime.datetime(year, 4, 1))


def format_fiscal_year(year):
    """令和6年度."""
    era = era_year(datetime.date(year, 4, 1))
    return _("%(era_year)s fiscal year") % {"era_year": format_era_year(*era)}
