"""Agreements shown on pages of other apps (the member directory), which
load this library instead of importing the tracker."""

from django import template
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef
from django.db.models.functions import JSONObject

from members.models import Organisation

from ..models import Agreement

register = template.Library()


@register.inclusion_tag("disaster_support/partials/organisation_agreements.html")
def organisation_agreements(organisation):
    """The agreements an organisation is a party to, newest first, with the
    names of the other parties: one query."""
    others = (
        Organisation.objects.filter(agreements=OuterRef("pk"))
        .exclude(pk=organisation.pk)
        .order_by("code", "pk")
        .values(
            json=JSONObject(name="name", kind="kind", prefecture="prefecture__name")
        )
    )
    agreements = list(
        Agreement.objects.filter(parties=organisation).annotate(
            others=ArraySubquery(others)
        )
    )
    for agreement in agreements:
        agreement.other_names = [
            Organisation.compose_full_name(
                other["name"], other["kind"], other["prefecture"]
            )
            for other in agreement.others
        ]
    return {"organisation": organisation, "agreements": agreements}
