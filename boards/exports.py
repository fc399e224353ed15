"""The office's yearly list of realised collaborations, as an Excel workbook.

Like the 「各特別区と全国市町村等連携事業一覧」 the office publishes: one
sheet per fiscal year, one row per ward and realised collaboration, by
the day it was realised. A proposal counts for the wards that answered
関心あり; the collaborations the office entered in admin (those that did
not start on the board) for the wards entered with them. One without a
ward is listed once with the ward column left empty.
"""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from members.common.eras import fiscal_year, format_fiscal_year
from members.common.spreadsheets import Sheet, xlsx_workbook

from .models import Addressee, Proposal, RealisedCollaboration


def realised_rows(year=None):
    """(fiscal year, ward, partner, title, field, realised on, thread) rows.

    The thread is the proposal's thread id, None for a collaboration the
    office entered.
    """
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
    entered = RealisedCollaboration.objects.prefetch_related(
        "wards__prefecture", "partners__prefecture"
    ).order_by("realised_on", "pk")
    for collaboration in entered:
        year_of = fiscal_year(collaboration.realised_on)
        if year is not None and year_of != year:
            continue
        partners = "、".join(
            organisation.full_name for organisation in collaboration.partners.all()
        )
        for ward in [ward.full_name for ward in collaboration.wards.all()] or [""]:
            rows.append(
                (
                    year_of,
                    ward,
                    partners,
                    collaboration.title,
                    collaboration.get_field_display(),
                    collaboration.realised_on,
                    None,
                )
            )
    rows.sort(key=lambda row: (row[0], row[5], row[1], row[3]))
    return rows


def realised_collaborations_xlsx(year=None):
    """The workbook as bytes."""
    headers = [
        _("Ward"),
        _("Partner (proposer)"),
        _("Project"),
        pgettext("collaboration", "Field"),
        _("Realised on"),
    ]
    rows = realised_rows(year)
    years = sorted({row[0] for row in rows}) or [year or 0]
    return xlsx_workbook(
        Sheet(
            title=format_fiscal_year(each_year) if each_year else _("No data"),
            header=headers,
            rows=[
                [ward, partner, title, field, realised_on]
                for _year, ward, partner, title, field, realised_on, _pk in rows
                if _year == each_year
            ],
            widths=[16, 24, 48, 12, 14],
        )
        for each_year in years
    )
