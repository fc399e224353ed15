"""Agreements shown on pages of other apps (the member directory), which
load this library instead of importing the tracker."""

from django import template

from ..models import Agreement

register = template.Library()


@register.inclusion_tag("disaster_support/partials/organisation_agreements.html")
def organisation_agreements(organisation):
    """The agreements an organisation is a party to, newest first."""
    return {
        "organisation": organisation,
        "agreements": list(
            Agreement.objects.filter(parties=organisation).with_parties()
        ),
    }
