from django import template

from members.eras import format_wareki

register = template.Library()


@register.filter
def wareki(value, arg=""):
    """{{ day|wareki }} → 令和6年3月15日; {{ day|wareki:"western" }} adds （2024年）."""
    return format_wareki(value, western=arg == "western")
