"""Reads of member data that are more than one QuerySet method.

Writes live in members.services; who may do what in members.permissions.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from . import permissions
from .models import Organisation, User


def access_organisation(*, user: User, pk: int) -> Organisation:
    """The organisation `pk` for one who may edit it (its staff, the office).

    Raises Http404 both when it does not exist and when the user may not
    edit it, so that pages do not tell which organisations exist.
    """
    organisation = get_object_or_404(Organisation.objects.with_prefecture(), pk=pk)
    if not permissions.can_edit_organisation(user, organisation):
        raise Http404
    return organisation
