"""The register of agreements (協定・覚書) and what the tracker makes of it.

Writes: agreement_create / agreement_update, recorded in ChangeLog like the
tracker's other rows. Reads: the partners a municipality would call first
(suggested helpers for a request) and which dispatches had an agreement
between sender and helped municipality behind them.
"""

import datetime
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Organisation, User

from .agreement_models import dispatch_basis_expression
from .models import Agreement, ChangeLog, Dispatch
from .services import _create, _log, _values

logger = logging.getLogger(__name__)


def _checked(agreement, parties):
    """The distinct parties, or every error of the agreement and its parties
    at once; the document is checked by the form before any file is kept."""
    distinct = list({party.pk: party for party in parties}.values())
    errors = {}
    if len(distinct) < 2:
        errors["parties"] = [
            ValidationError(
                _("An agreement needs two or more different parties."),
                code="too_few_parties",
            )
        ]
    try:
        agreement.full_clean(exclude=["document"])
    except ValidationError as error:
        errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)
    return distinct


def _party_names(parties):
    return ", ".join(party.full_name for party in parties)


def _store_document(agreement, document):
    """Write the PDF; storage that fails (a full disk, an object store that
    is down) is an error on the form, with no row saved."""
    if document is None:
        return
    try:
        agreement.document.save("agreement.pdf", document, save=False)
    except OSError as error:
        logger.exception("could not write an agreement's document to storage")
        raise ValidationError(
            {
                "document": ValidationError(
                    _(
                        "The attached files could not be saved. Please try "
                        "again later; if this continues, please contact the "
                        "office."
                    ),
                    code="storage_failed",
                )
            }
        ) from error


def _discard_document(agreement):
    """Delete a document written for a save that failed, if storage lets us."""
    try:
        agreement.document.delete(save=False)
    except OSError:
        logger.warning("left an unreferenced file: %s", agreement.document.name)


@transaction.atomic
def agreement_create(
    *,
    actor: User | None,
    parties: Sequence[Organisation] | QuerySet[Organisation],
    document: UploadedFile | None = None,
    **fields,
) -> Agreement:
    """Register an agreement between two or more different organisations."""
    agreement = Agreement(**fields)
    # Checked before the file is written, so a refusal leaves no file behind.
    parties = _checked(agreement, parties)
    _store_document(agreement, document)
    try:
        _create(agreement, actor=actor)
        agreement.parties.set(parties)
    except BaseException:
        if document is not None:
            _discard_document(agreement)
        raise
    _log(
        agreement,
        action=ChangeLog.Action.UPDATE,
        actor=actor,
        new={"parties": _party_names(parties)},
    )
    return agreement


@transaction.atomic
def agreement_update(
    *,
    agreement: Agreement,
    actor: User | None,
    parties: Sequence[Organisation] | QuerySet[Organisation],
    document: UploadedFile | None = None,
    remove_document: bool = False,
    **fields,
) -> Agreement:
    """Change an agreement; its parties stay two or more different ones.

    With `remove_document`, the document is taken off the agreement and its
    file deleted once the change is committed.
    """
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    old = {**_values(locked), "parties": _party_names(_sorted(locked.parties.all()))}
    for name, value in fields.items():
        setattr(locked, name, value)
    # Checked before the file is written, so a refusal leaves no file behind.
    parties = _checked(locked, parties)
    if remove_document and locked.document:
        storage, name = locked.document.storage, locked.document.name
        locked.document = ""
        # After the commit, so that a refused change keeps its file.
        transaction.on_commit(lambda: storage.delete(name))
    _store_document(locked, document)
    try:
        locked.save()
        locked.parties.set(parties)
    except BaseException:
        if document is not None:
            _discard_document(locked)
        raise
    _log(
        locked,
        action=ChangeLog.Action.UPDATE,
        actor=actor,
        old=old,
        new={**_values(locked), "parties": _party_names(_sorted(parties))},
    )
    return locked


def _sorted(parties):
    return sorted(parties, key=lambda party: (party.code or "", party.pk))


# ----- Suggested helpers -----


@dataclass
class Partner:
    """An organisation the municipality (or its prefecture) has an agreement
    with, covering disaster aid."""

    organisation: Organisation
    agreements: list[Agreement] = field(default_factory=list)
    via_prefecture: bool = False


def partners_by_agreement(
    municipality: Organisation, *, on: datetime.date | None = None
) -> list[Partner]:
    """The organisations to call first when `municipality` needs help.

    Partners by agreements in force with disaster aid in their scope: the
    municipality's own first, then its prefecture's. Two queries.
    """
    on = on or timezone.localdate()
    own = {municipality.pk}
    prefecture_id = municipality.prefecture_id
    agreements = (
        Agreement.objects.in_force_on(on)
        .for_disaster_aid()
        .filter(parties__in=[pk for pk in (municipality.pk, prefecture_id) if pk])
        .distinct()
        .order_by("signed_on", "pk")
        .with_parties()
    )
    partners: dict[int, Partner] = {}
    prefecture_partners: dict[int, Partner] = {}
    for agreement in agreements:
        party_ids = {party.pk for party in agreement.parties.all()}
        direct = municipality.pk in party_ids
        target = partners if direct else prefecture_partners
        for party in agreement.parties.all():
            if party.pk in own or party.pk == prefecture_id:
                continue
            partner = target.setdefault(
                party.pk, Partner(organisation=party, via_prefecture=not direct)
            )
            partner.agreements.append(agreement)
    ordered = _sorted_partners(partners.values())
    ordered += _sorted_partners(
        p for pk, p in prefecture_partners.items() if pk not in partners
    )
    return ordered


def _sorted_partners(partners):
    return sorted(
        partners, key=lambda p: (p.organisation.code or "", p.organisation.pk)
    )


# ----- Agreement as basis -----


def dispatch_basis(dispatch_ids: Iterable[int]) -> dict[int, dict]:
    """For each dispatch, the agreement ({"id", "title"}) in force on its
    first day between the organisation that sent it and the municipality it
    helped. Dispatches without one are left out. One query."""
    rows = Dispatch.objects.filter(pk__in=list(dispatch_ids)).values_list(
        "pk", dispatch_basis_expression()
    )
    return {pk: basis for pk, basis in rows if basis}
