"""受援計画: each special ward's plan for receiving help, and its writes.

A plan and its rows are saved together or not at all, and every row
created, changed or removed is recorded in ChangeLog like the tracker's.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.forms import BaseModelFormSet
from django.utils import timezone

from members.common.versioning import version_bump, version_check
from members.models import Organisation, User

from .models import (
    ReceptionNeed,
    ReceptionPartner,
    ReceptionPlan,
)
from .services import _create, _delete, _update


def special_wards() -> QuerySet[Organisation]:
    """The 23 wards, in code order, each with its plan if it has one."""
    return (
        Organisation.objects.filter(kind=Organisation.Kind.SPECIAL_WARD)
        .select_related("reception_plan")
        .annotate(
            need_count=Count("reception_plan__needs", distinct=True),
            partner_count=Count("reception_plan__partners", distinct=True),
        )
        .order_by("code", "pk")
    )


def plan_for_sheet(ward: Organisation) -> ReceptionPlan | None:
    """The ward's plan with all its rows, loaded in a fixed number of queries."""
    return (
        ReceptionPlan.objects.filter(ward=ward)
        .select_related("ward")
        .prefetch_related(
            Prefetch("needs", ReceptionNeed.objects.select_related("work_type")),
            "sites",
            Prefetch(
                "partners",
                ReceptionPartner.objects.select_related("organisation__prefecture"),
            ),
        )
        .first()
    )


def _save_rows(formset: BaseModelFormSet, plan: ReceptionPlan, actor: User | None):
    deleted = set(map(id, formset.deleted_forms))
    for form in formset.forms:
        if not form.has_changed() and form.instance.pk is None:
            continue
        if id(form) in deleted:
            if form.instance.pk is not None:
                _delete(form.instance, actor=actor)
            continue
        fields = {
            name: form.cleaned_data[name]
            for name in form._meta.fields
            if name != formset.fk.name
        }
        if form.instance.pk is None:
            _create(type(form.instance)(plan=plan, **fields), actor=actor)
        elif form.has_changed():
            # The form has already copied the new values onto its instance;
            # reload the row so the history shows what it was.
            row = type(form.instance).objects.get(pk=form.instance.pk)
            _update(row, actor=actor, fields=fields)


@transaction.atomic
def reception_plan_save(
    *,
    ward: Organisation,
    actor: User | None,
    fields: dict,
    formsets: Iterable[BaseModelFormSet],
    version: int | None = None,
) -> ReceptionPlan:
    """Create or update a ward's plan with its needs, sites and partners;
    with `version`, refused (nothing saved) if someone saved it in between."""
    fields = {**fields, "updated_at": timezone.now()}
    plan = ReceptionPlan.objects.select_for_update().filter(ward=ward).first()
    if version is not None:
        # A form opened before the first plan existed carries 0.
        version_check(plan or ReceptionPlan(ward=ward), version)
    if plan is None:
        plan = _create(ReceptionPlan(ward=ward, **fields), actor=actor)
    else:
        plan = _update(plan, actor=actor, fields=fields)
    for formset in formsets:
        _save_rows(formset, plan, actor)
    version_bump(plan)
    return plan
