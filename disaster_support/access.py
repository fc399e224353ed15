"""Fetch a tracker row and check the user's right to it, in one call.

The rights themselves are in permissions.py; these helpers only fix how a
refusal looks. What the user may not see is 404, so its existence is not
given away; what they see but may not act on is 403. Where the right does
not depend on the row (history, snapshots), it is checked first.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from members.models import User

from . import permissions
from .models import Allocation, Disaster, Dispatch, HelpRequest, Offer, ReportSnapshot


def _get_or_403[T: Model](
    queryset: QuerySet[T], pk: int, *, user: User, may: Callable[[User, T], bool]
) -> T:
    """The row (404 if none); 403 unless may(user, row)."""
    obj = get_object_or_404(queryset, pk=pk)
    if not may(user, obj):
        raise PermissionDenied
    return obj


def access_disaster(
    user: User,
    pk: int,
    *,
    may: Callable[[User], bool] | None = None,
    with_prefectures: bool = False,
) -> Disaster:
    """The disaster (404 if none); with `may`, 403 unless may(user).

    Every member reads every disaster; `may` is an office or member right such
    as permissions.can_manage_disasters.
    """
    disasters = Disaster.objects.all()
    if with_prefectures:
        disasters = disasters.prefetch_related("prefectures")
    disaster = get_object_or_404(disasters, pk=pk)
    if may is not None and not may(user):
        raise PermissionDenied
    return disaster


def access_disaster_for_request(user: User, pk: int) -> Disaster:
    """The disaster, if the user may enter a request for it (else 403)."""
    disaster = access_disaster(user, pk, with_prefectures=True)
    if not permissions.can_enter_request(user, disaster):
        raise PermissionDenied
    return disaster


def access_history(user: User, pk: int) -> Disaster:
    """The disaster whose change history the user may read (403, then 404)."""
    if not permissions.can_see_history(user):
        raise PermissionDenied
    return get_object_or_404(Disaster, pk=pk)


def access_request(
    user: User,
    pk: int,
    *,
    may: Callable[[User, HelpRequest], bool] | None = None,
) -> HelpRequest:
    """A request the user may see (404 otherwise); with `may`, such as
    permissions.can_edit_request, 403 unless may(user, request)."""
    help_request = get_object_or_404(HelpRequest.objects.with_related(), pk=pk)
    if not permissions.can_see_request(user, help_request):
        raise Http404
    if may is not None and not may(user, help_request):
        raise PermissionDenied
    return help_request


def access_offer_for_change(user: User, pk: int) -> Offer:
    """An offer the user may edit (404 if none, 403 if not theirs or closed)."""
    offers = Offer.objects.select_related(
        "sender", "request__disaster", "request__municipality__prefecture"
    )
    return _get_or_403(offers, pk, user=user, may=permissions.can_edit_offer)


def access_offer_for_dispatch(user: User, pk: int) -> Offer:
    """An offer the user may add a team to (404 if none, 403 if not theirs)."""
    offers = Offer.objects.select_related("sender", "request__disaster")
    return _get_or_403(offers, pk, user=user, may=permissions.can_add_dispatch)


def access_dispatch_for_change(user: User, pk: int) -> Dispatch:
    """A team the user may edit (404 if none, 403 if not theirs)."""
    dispatches = Dispatch.objects.select_related(
        "offer__sender", "offer__request__disaster"
    )
    return _get_or_403(dispatches, pk, user=user, may=permissions.can_edit_dispatch)


def access_snapshot(user: User, pk: int) -> ReportSnapshot:
    """A published snapshot, for members (403, then 404)."""
    if not permissions.can_view_reports(user):
        raise PermissionDenied
    return get_object_or_404(ReportSnapshot.objects.select_related("disaster"), pk=pk)


def access_allocation(user: User, pk: int) -> Allocation:
    """A frozen 復興支援金 allocation, for members (403, then 404)."""
    if not permissions.can_view_reports(user):
        raise PermissionDenied
    return get_object_or_404(Allocation.objects.select_related("disaster"), pk=pk)
