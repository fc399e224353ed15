"""The member list as CSV: export for Excel, and import with a preview.

Nothing here writes. `parse_member_csv` reads a file and works out what each
row would do; members.services.imports.organisation_import_apply carries out
such a plan through the membership and contact services.
"""

import csv
import hashlib
import io
import json
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .common.csv_text import UTF8, decode_spreadsheet_csv
from .common.spreadsheets import FORMULA_TRIGGERS, spreadsheet_safe
from .models import MembershipStatus, Organisation
from .validators import local_government_check_digit, validate_local_government_code

# Column keys and their header labels, in the order of the export.
COLUMNS = {
    "code": gettext_lazy("Local government code"),
    "prefecture": gettext_lazy("Prefecture"),
    "name": gettext_lazy("Organisation name"),
    "kana": gettext_lazy("Name in kana"),
    "kind": gettext_lazy("Kind of organisation"),
    "membership_status": gettext_lazy("Membership status"),
    "joined_on": gettext_lazy("Registered on"),
    "department": gettext_lazy("Department in charge"),
    "contact_person": gettext_lazy("Person in charge"),
    "contact_email": gettext_lazy("E-mail address"),
    "phone": gettext_lazy("Phone number"),
    "postal_code": gettext_lazy("Postal code"),
    "address": gettext_lazy("Address"),
    "contact_confirmed_at": gettext_lazy("Contact details confirmed on"),
}
REQUIRED_COLUMNS = ["code", "department", "contact_person", "contact_email", "phone"]
OPTIONAL_COLUMNS = ["membership_status", "postal_code", "address"]
# Contact fields a member must not leave empty (as on the application form).
REQUIRED_FOR_MEMBERS = ["department", "contact_person", "contact_email", "phone"]
# Statuses an import may move an organisation to; "applied" and "not
# registered" belong to the application flow.
IMPORTABLE_STATUSES = [
    MembershipStatus.MEMBER,
    MembershipStatus.SUSPENDED,
    MembershipStatus.WITHDRAWN,
]

CREATE = "create"
UPDATE = "update"
UNCHANGED = "unchanged"
REJECT = "reject"
ACTION_LABELS = {
    CREATE: gettext_lazy("New member"),
    UPDATE: gettext_lazy("Update"),
    UNCHANGED: gettext_lazy("No change"),
    REJECT: gettext_lazy("Rejected"),
}

ALL_OR_NOTHING = "all_or_nothing"
VALID_ROWS = "valid_rows"


# ----- export -----


def member_rows(queryset):
    """One list of cell texts per organisation, in the order of COLUMNS."""
    for organisation in queryset.select_related("prefecture"):
        prefecture = (
            Organisation.compose_area_name(
                organisation.name,
                organisation.kind,
                organisation.prefecture.name if organisation.prefecture_id else None,
            )
            or ""
        )
        confirmed = organisation.contact_confirmed_at
        yield [
            organisation.code or "",
            prefecture,
            organisation.name,
            organisation.kana,
            organisation.get_kind_display(),
            organisation.get_membership_status_display(),
            organisation.joined_on.isoformat() if organisation.joined_on else "",
            organisation.department,
            organisation.contact_person,
            organisation.contact_email,
            organisation.phone,
            organisation.postal_code,
            organisation.address,
            timezone.localdate(confirmed).isoformat() if confirmed else "",
        ]


def export_members_csv(queryset):
    """The organisations as CSV in UTF-8 with a BOM, so Excel reads Japanese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(label) for label in COLUMNS.values()])
    for row in member_rows(queryset):
        writer.writerow([spreadsheet_safe(str(value)) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


# ----- import -----


@dataclass
class PlanRow:
    """What one line of an import file would do, and why."""

    line: int
    code: str
    organisation: Organisation | None
    action: str
    reasons: list = field(default_factory=list)
    # Field name -> (current value, value from the file).
    changes: dict = field(default_factory=dict)
    # Doubts that do not stop the row, such as a name that does not match.
    warnings: list = field(default_factory=list)

    @property
    def action_label(self):
        return ACTION_LABELS[self.action]

    @property
    def is_rejected(self):
        return self.action == REJECT

    def change_labels(self):
        """(label, before, after) of each change, as people read them."""
        labels = []
        for name, (old, new) in self.changes.items():
            if name == "membership_status":
                old, new = MembershipStatus(old).label, MembershipStatus(new).label
            verbose_name = Organisation._meta.get_field(name).verbose_name
            labels.append((verbose_name, old, new))
        return labels


@dataclass
class ImportPlan:
    """Every row of an import file with the action it would take."""

    rows: list
    # The file's encoding as found (members.common.csv_text).
    encoding: str = ""

    def count(self, action):
        return sum(1 for row in self.rows if row.action == action)

    @property
    def rejected(self):
        return [row for row in self.rows if row.is_rejected]

    def fingerprint(self):
        """A digest of what the plan would write, to notice a changed plan."""
        content = [
            [row.line, row.code, row.action, sorted(row.changes.items())]
            for row in self.rows
        ]
        return hashlib.sha256(json.dumps(content).encode()).hexdigest()


def parse_member_csv(data):
    """parse_member_text of an uploaded file, UTF-8 or Shift_JIS."""
    text, encoding = decode_spreadsheet_csv(data)
    return parse_member_text(text, encoding=encoding)


def parse_member_text(text, *, encoding=UTF8):
    """Work out, without writing, what importing a member list would do;
    `encoding` is what the file was read in, shown with the plan."""
    records = _read_records(text)
    header_line, header = records[0]
    columns = _map_columns(header)
    codes = set()
    for _line, cells in records[1:]:
        if len(cells) > columns["code"]:
            code = _normalise(cells[columns["code"]])
            codes.add(code)
            if len(code) == 5 and code.isascii() and code.isdigit():
                codes.update(_five_digit_candidates(code))
    registry = {
        organisation.code: organisation
        for organisation in Organisation.objects.filter(code__in=codes)
        .select_related("prefecture")
        .order_by()
    }
    status_by_label = {str(label): value for value, label in MembershipStatus.choices}
    rows = []
    first_line_of = {}
    for line, cells in records[1:]:
        if not any(cell.strip() for cell in cells):
            continue
        rows.append(
            _plan_row(
                line,
                cells,
                len(header),
                columns,
                registry,
                status_by_label,
                first_line_of,
            )
        )
    if not rows:
        raise ValidationError(
            _("The file has no rows below the header (line %(line)s).")
            % {"line": header_line},
            code="empty",
        )
    return ImportPlan(rows=rows, encoding=encoding)


def _read_records(text):
    """(line number, cells) of each record; a record may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = []
    start = 1
    try:
        for cells in reader:
            records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error:
        raise ValidationError(
            _(
                "The file cannot be read as CSV from line %(line)s on. Check "
                "the quotation marks in that line."
            )
            % {"line": start},
            code="malformed",
        ) from None
    if not records or not any(cell.strip() for cell in records[0][1]):
        raise ValidationError(
            _("The file is empty or its first line is not the header."),
            code="empty",
        )
    return records


def _map_columns(header):
    """Column key -> position, from the header's labels."""
    key_by_label = {str(label): key for key, label in COLUMNS.items()}
    columns = {}
    errors = []
    for position, label in enumerate(header):
        key = key_by_label.get(label.strip())
        if key is None:
            continue
        if key in columns:
            errors.append(
                ValidationError(
                    _("The column “%(column)s” appears more than once.")
                    % {"column": label.strip()},
                    code="duplicate_column",
                )
            )
        columns[key] = position
    missing = [str(COLUMNS[key]) for key in REQUIRED_COLUMNS if key not in columns]
    if missing:
        errors.insert(
            0,
            ValidationError(
                _(
                    "These required columns are missing: %(columns)s. The first "
                    "line must be the header, with these names exactly."
                )
                % {"columns": _(", ").join(missing)},
                code="missing_columns",
            ),
        )
    if errors:
        raise ValidationError(errors)
    return columns


def _normalise(value):
    """Full-width digits, letters and hyphens as typed in Japanese, made ASCII."""
    return unicodedata.normalize("NFKC", value).strip()


def _cell(value):
    """A cell's text, without spaces or the quote added by our export."""
    value = value.strip()
    if value[:1] == "'" and value[1:2] in FORMULA_TRIGGERS:
        value = value[1:]
    return value


def _five_digit_candidates(code):
    """Codes meant by five digits: check digit missing, or a lost leading 0."""
    candidates = [code + str(local_government_check_digit(code))]
    with_zero = "0" + code
    if local_government_check_digit(with_zero[:5]) == int(with_zero[5]):
        candidates.append(with_zero)
    return candidates


def _comparable_name(value):
    return "".join(_normalise(value).split()).replace("ヶ", "ケ")


def _plan_row(line, cells, width, columns, registry, status_by_label, first_line_of):
    if len(cells) != width:
        code = (
            _normalise(cells[columns["code"]]) if len(cells) > columns["code"] else ""
        )
        return PlanRow(
            line=line,
            code=code,
            organisation=None,
            action=REJECT,
            reasons=[
                _("This row has %(count)s cells, but the header has %(width)s.")
                % {"count": len(cells), "width": width}
            ],
        )
    values = {key: _cell(cells[position]) for key, position in columns.items()}
    for key in ["code", "contact_email", "phone", "postal_code"]:
        if key in values:
            values[key] = _normalise(values[key])
    if values.get("postal_code", "").startswith("〒"):
        values["postal_code"] = values["postal_code"][1:].strip()
    code = values["code"]
    reasons = []
    organisation = _find_organisation(code, registry, reasons)
    if organisation is not None:
        if code in first_line_of:
            reasons.append(
                _("The code %(code)s already appears on line %(line)s.")
                % {"code": code, "line": first_line_of[code]}
            )
        else:
            first_line_of[code] = line
    status = _status(values.get("membership_status", ""), status_by_label, reasons)
    contact = _contact_values(values, status, reasons)
    if (
        organisation is not None
        and status is not None
        and status not in IMPORTABLE_STATUSES
        and status != organisation.membership_status
    ):
        reasons.append(
            _("An import cannot change the membership status to %(status)s.")
            % {"status": MembershipStatus(status).label}
        )
    warnings = []
    if organisation is not None:
        warnings = _name_warnings(values.get("name", ""), organisation)
    if organisation is None or reasons:
        return PlanRow(
            line=line,
            code=code,
            organisation=organisation,
            action=REJECT,
            reasons=reasons,
            warnings=warnings,
        )
    changes = {}
    if status != organisation.membership_status:
        changes["membership_status"] = (organisation.membership_status, str(status))
    for name, value in contact.items():
        if getattr(organisation, name) != value:
            changes[name] = (getattr(organisation, name), value)
    if status == MembershipStatus.MEMBER and not organisation.is_member:
        action = CREATE
    elif changes:
        action = UPDATE
    else:
        action = UNCHANGED
    return PlanRow(
        line=line,
        code=code,
        organisation=organisation,
        action=action,
        changes=changes,
        warnings=warnings,
    )


def _find_organisation(code, registry, reasons):
    """The registry's organisation with this code; else say why not."""
    if not code:
        reasons.append(_("The local government code is empty."))
        return None
    try:
        validate_local_government_code(code)
    except ValidationError as error:
        reasons.extend(error.messages)
        if len(code) == 5 and code.isascii() and code.isdigit():
            reasons.append(_five_digit_hint(code, registry))
        return None
    organisation = registry.get(code)
    if organisation is None:
        reasons.append(
            _(
                "No local government has the code %(code)s. Check the code "
                "against the official list."
            )
            % {"code": code}
        )
    return organisation


def _five_digit_hint(code, registry):
    found = [
        registry[candidate]
        for candidate in _five_digit_candidates(code)
        if candidate in registry
    ]
    if not found:
        return _(
            "The code has five digits: the check digit at the end may be "
            "missing, or a spreadsheet may have dropped a leading 0."
        )
    return _(
        "The code has five digits: the check digit at the end may be missing, "
        "or a spreadsheet may have dropped a leading 0. Did you mean "
        "%(candidates)s?"
    ) % {
        "candidates": _(", ").join(
            _("%(code)s (%(name)s)")
            % {"code": organisation.code, "name": organisation.full_name}
            for organisation in found
        )
    }


def _status(label, status_by_label, reasons):
    """The membership status named in the file; 会員 when left empty."""
    if not label:
        return MembershipStatus.MEMBER
    status = status_by_label.get(label)
    if status is None:
        reasons.append(
            _("“%(value)s” is not a membership status. Use one of: %(statuses)s.")
            % {
                "value": label,
                "statuses": _(", ").join(
                    str(MembershipStatus(value).label) for value in IMPORTABLE_STATUSES
                ),
            }
        )
    return status


def _contact_values(values, status, reasons):
    """Contact fields present in the file, each checked like the model does."""
    contact = {}
    for name in Organisation.CONTACT_FIELDS:
        if name not in values:
            continue
        value = values[name]
        column = COLUMNS[name]
        if not value:
            if status == MembershipStatus.MEMBER and name in REQUIRED_FOR_MEMBERS:
                reasons.append(
                    _("“%(column)s” is empty; members must have one.")
                    % {"column": column}
                )
                continue
        else:
            try:
                Organisation._meta.get_field(name).run_validators(value)
            except ValidationError as error:
                reasons.extend(
                    _("%(column)s: %(message)s")
                    % {"column": column, "message": message}
                    for message in error.messages
                )
                continue
        contact[name] = value
    return contact


def _name_warnings(given, organisation):
    """Warn when the name in the file is not the one the code belongs to."""
    if not given:
        return []
    known = {organisation.name, organisation.full_name}
    if organisation.prefecture_id:
        known.add(organisation.prefecture.name + organisation.name)
    if _comparable_name(given) in {_comparable_name(name) for name in known}:
        return []
    return [
        _(
            "The name “%(given)s” is not the name of the local government with "
            "this code, %(name)s. Check that the code is right."
        )
        % {"given": given, "name": organisation.full_name}
    ]
