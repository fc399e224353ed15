"""The April batch: turning off many leavers at once, each handing over to
a colleague, from a CSV file the office uploads."""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import User
from . import accounts

LEAVER_COLUMN = gettext_lazy("E-mail address")
SUCCESSOR_COLUMN = gettext_lazy("Successor's e-mail address")


@dataclass
class HandoverLine:
    """One line of the file: who leaves, who takes over, what is wrong."""

    line: int
    leaver_email: str
    successor_email: str
    leaver: User | None = None
    successor: User | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class HandoverPlan:
    lines: list[HandoverLine]
    errors: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return (
            bool(self.lines)
            and not self.errors
            and not any(line.errors for line in self.lines)
        )


def _column(header, name):
    wanted = str(name).strip()
    for index, cell in enumerate(header):
        if cell.strip() == wanted:
            return index
    return None


def handover_plan(*, text: str) -> HandoverPlan:
    """Work out, without writing, what a hand-over file would do."""
    rows = [
        (number, cells)
        for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1)
        if any(cell.strip() for cell in cells)
    ]
    if not rows:
        return HandoverPlan([], [_("The file is empty.")])
    header = rows[0][1]
    leaver_at = _column(header, LEAVER_COLUMN)
    successor_at = _column(header, SUCCESSOR_COLUMN)
    if leaver_at is None or successor_at is None:
        return HandoverPlan(
            [],
            [
                _("The first line must name the columns %(leaver)s and %(successor)s.")
                % {"leaver": LEAVER_COLUMN, "successor": SUCCESSOR_COLUMN}
            ],
        )
    lines = []
    for number, cells in rows[1:]:
        cells = [*cells, "", ""]
        lines.append(
            HandoverLine(
                line=number,
                leaver_email=cells[leaver_at].strip(),
                successor_email=cells[successor_at].strip(),
            )
        )
    addresses = {
        address.lower()
        for line in lines
        for address in (line.leaver_email, line.successor_email)
        if address
    }
    accounts_by_address = {
        user.email_lower: user
        for user in User.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=addresses)
        .select_related("organisation__prefecture")
    }
    leaving = {line.leaver_email.lower() for line in lines}
    seen = set()
    for line in lines:
        _line_check(line, accounts_by_address, leaving, seen)
    if not lines:
        return HandoverPlan([], [_("The file has no lines after the header.")])
    return HandoverPlan(lines)


def _line_check(line, accounts_by_address, leaving, seen):
    """Fill in the line's accounts and say what is wrong with it."""
    errors = line.errors
    for address, name in (
        (line.leaver_email, "leaver"),
        (line.successor_email, "successor"),
    ):
        if not address:
            errors.append(
                _("The e-mail address of the person leaving is missing.")
                if name == "leaver"
                else _("The e-mail address of the successor is missing.")
            )
            continue
        user = accounts_by_address.get(address.lower())
        if user is None:
            errors.append(
                _("No account has the address %(email)s.") % {"email": address}
            )
        setattr(line, name, user)
    key = line.leaver_email.lower()
    if key and key in seen:
        errors.append(
            _("%(email)s is already on an earlier line.") % {"email": line.leaver_email}
        )
    seen.add(key)
    if line.leaver is not None and not line.leaver.is_active:
        errors.append(
            _("The account of %(name)s is already turned off.")
            % {"name": line.leaver.display_name}
        )
    if line.leaver is not None and line.successor is not None:
        try:
            accounts.handover_check(user=line.leaver, successor=line.successor)
        except ValidationError as error:
            errors.extend(error.messages)
        else:
            if line.successor_email.lower() in leaving:
                errors.append(
                    _("%(name)s also leaves in this file.")
                    % {"name": line.successor.display_name}
                )


@transaction.atomic
def handover_apply(*, text: str, actor: User) -> HandoverPlan:
    """Turn off every leaver in the file, each handing over to their
    colleague; all or nothing. The file is checked again first, as accounts
    may have changed since the preview."""
    plan = handover_plan(text=text)
    if not plan.is_valid:
        raise ValidationError(
            _("The file has errors; nothing was changed. Check it again."),
            code="invalid",
        )
    for line in plan.lines:
        accounts.staff_deactivate(
            user=line.leaver, actor=actor, successor=line.successor
        )
    return plan
