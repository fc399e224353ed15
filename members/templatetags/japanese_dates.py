from django import template

from members.common.eras import format_fiscal_year, format_wareki

register = template.Library()


@register.filter
def wareki(value, arg=""):
    """{{ day|wareki }} → 令和6年3月15日; {{ day|wareki:"western" }} adds （2024年）."""
    return format_wareki(value, western=arg == "western")


@register.filter
def fiscal_year_label(year):
    """{{ 2024|fiscal_year_label }} → 令和6年度."""
    return format_fiscal_year(int(year))
