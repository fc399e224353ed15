"""The office's yearly list of realised collaborations, as an Excel workbook.

Like the 「各特別区と全国市町村等連携事業一覧」 the office publishes: one
sheet per fiscal year, one row per ward and realised proposal. A proposal
counts for the wards that answered 関心あり; one without such a ward is
listed once with the ward column left empty.
"""

import io

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from members.csv_io import spreadsheet_safe
from members.eras import fiscal_year, format_fiscal_year

from .models import Addressee, Proposal


def realised_rows(year=None):
    """(fiscal year, ward, proposer, title, field, realised on, url path) rows."""
    proposals = (
        Proposal.objects.filter(status=Proposal.Status.REALISED)
        .select_related("thread__organisation__prefecture")
        .prefetch_related("thread__addressees__organisation")
        .order_by("realised_on", "pk")
    )
    rows = []
    for proposal in proposals:
        year_of = fiscal_year(proposal.realised_on)
        if year is not None and year_of != year:
            continue
        thread = proposal.thread
        wards = [
            addressee.organisation.full_name
            for addressee in thread.addressees.all()
            if addressee.state == Addressee.State.INTERESTED
        ] or [""]
        for ward in wards:
            rows.append(
                (
                    year_of,
                    ward,
                    thread.organisation.full_name,
                    thread.title,
                    proposal.get_field_display(),
                    proposal.realised_on,
                    thread.pk,
                )
            )
    rows.sort(key=lambda row: (row[0], row[1], row[5]))
    return rows


def realised_collaborations_xlsx(year=None):
    """The workbook as bytes."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    headers = [
        _("Ward"),
        _("Partner (proposer)"),
        _("Project"),
        pgettext("collaboration", "Field"),
        _("Realised on"),
    ]
    rows = realised_rows(year)
    years = sorted({row[0] for row in rows}) or [year or 0]
    for each_year in years:
        sheet = workbook.create_sheet(
            format_fiscal_year(each_year) if each_year else _("No data")
        )
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for _year, ward, partner, title, field, realised_on, _pk in rows:
            if _year != each_year:
                continue
            sheet.append(
                [
                    spreadsheet_safe(ward),
                    spreadsheet_safe(partner),
                    spreadsheet_safe(title),
                    field,
                    realised_on,
                ]
            )
        for column, width in enumerate([16, 24, 48, 12, 14], start=1):
            sheet.column_dimensions[get_column_letter(column)].width = width
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
