from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CHECK_WEIGHTS = (6, 5, 4, 3, 2)


def local_government_check_digit(first_five):
    """Check digit of a 全国地方公共団体コード (mod 11, weights 6-5-4-3-2)."""
    total = sum(int(d) * w for d, w in zip(first_five, CHECK_WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def validate_local_government_code(value):
    """A local government code is six digits whose last is its check digit."""
    if len(value) != 6 or not value.isascii() or not value.isdigit():
        raise ValidationError(
            _("Enter the six-digit local government code."), code="format"
        )
    if local_government_check_digit(value[:5]) != int(value[5]):
        raise ValidationError(
            _("The check digit of this local government code is wrong."),
            code="check_digit",
        )
