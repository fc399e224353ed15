"""Writing a previewed member-list import (planned by members.csv_io)."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..csv_io import (
    ALL_OR_NOTHING,
    CREATE,
    UNCHANGED,
    UPDATE,
    VALID_ROWS,
    ImportPlan,
    PlanRow,
)
from ..models import User
from .organisations import organisation_set_status, organisation_update_contact


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    # (line, message) of rows the database refused while applying.
    failed: list = field(default_factory=list)


def organisation_import_apply(
    *, plan: ImportPlan, actor: User, mode: str
) -> ImportResult:
    """Carry out an import plan, each row wholly or not at all.

    In ALL_OR_NOTHING mode nothing is written unless every row is valid and
    saves; in VALID_ROWS mode rejected rows, and rows the database refuses,
    are skipped.
    """
    if mode not in {ALL_OR_NOTHING, VALID_ROWS}:
        raise ValueError(f"Unknown import mode {mode!r}")
    rejected = plan.rejected
    if mode == ALL_OR_NOTHING and rejected:
        raise ValidationError(
            _(
                "Nothing was imported, because some rows were rejected "
                "(%(count)s). Correct them, or import only the valid rows."
            )
            % {"count": len(rejected)},
            code="rejected_rows",
        )
    result = ImportResult(rejected=len(rejected))
    with transaction.atomic():
        for row in plan.rows:
            if row.action == UNCHANGED:
                result.unchanged += 1
            elif row.action in {CREATE, UPDATE}:
                try:
                    with transaction.atomic():
                        _apply_row(row, actor)
                except ValidationError as error:
                    message = " ".join(error.messages)
                    if mode == ALL_OR_NOTHING:
                        raise ValidationError(
                            _(
                                "Line %(line)s could not be saved (%(error)s), "
                                "so nothing was imported."
                            )
                            % {"line": row.line, "error": message},
                            code="row_failed",
                        ) from error
                    result.failed.append((row.line, message))
                    continue
                if row.action == CREATE:
                    result.created += 1
                else:
                    result.updated += 1
    return result


def _apply_row(row: PlanRow, actor: User) -> None:
    changes = dict(row.changes)
    status_change = changes.pop("membership_status", None)
    organisation = row.organisation
    if status_change is not None:
        organisation = organisation_set_status(
            organisation=organisation,
            status=status_change[1],
            actor=actor,
            reason=_("CSV import"),
        )
    if changes:
        organisation_update_contact(
            organisation=organisation,
            actor=actor,
            changes={name: new for name, (_old, new) in changes.items()},
            version=row.organisation.contact_version,
            notify=False,
        )
