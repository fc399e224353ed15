from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext as _

from .permissions import can_use_members_area, must_use_two_factor

# Views a staff member without two-factor authentication may still open:
# the set-up itself, and the way out.
SETUP_VIEWS = {
    "account_logout",
    "account_reauthenticate",
    "mfa_index",
    "mfa_activate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    "healthz",
}


class ConcreteUserMiddleware:
    """request.user as the account itself once it has been read.

    AuthenticationMiddleware gives the view a lazy stand-in that reads the
    account on first use; every later attribute read goes through it (a
    few hundred on a page: the permissions and templates ask the user
    again and again, about 0.5 ms of a thread page). Placed after
    LoginRequiredMiddleware, which reads it for every members-only view;
    an account nobody has read yet is left lazy.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if isinstance(user, LazyObject) and user._wrapped is not empty:
            request.user = user._wrapped


class StaffTwoFactorMiddleware:
    """Send ward and office staff to the TOTP set-up until they have done it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or match.url_name in SETUP_VIEWS:
            return None
        user = request.user
        if not user.is_authenticated or not must_use_two_factor(user):
            return None
        if get_mfa_adapter().is_mfa_enabled(user, [Authenticator.Type.TOTP]):
            return None
        messages.warning(
            request,
            _(
                "Ward and office staff must use two-factor authentication. "
                "Set up an authenticator app to continue."
            ),
        )
        return redirect("mfa_activate_totp")


class MembershipMiddleware:
    """Members-only pages need an organisation whose membership is active.

    Pages marked @login_not_required (the landing page, applications,
    allauth's sign-in) stay open; so does signing out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):
            return None
        match = request.resolver_match
        if match is not None and match.url_name in {"account_logout", "healthz"}:
            return None
        user = request.user
        if not user.is_authenticated or can_use_members_area(user):
            return None
        return render(request, "members/membership_inactive.html", status=403)


class NoStoreForMembersMiddleware:
    """What a signed-in person was shown is not stored by the browser.

    On a shared PC the next person could otherwise read it from the cache
    or with the back button after sign-out. Responses that chose their own
    caching keep it: attachments are revalidated every time, the maps are
    the same for everyone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and request.user.is_authenticated:
            add_never_cache_headers(response)
        return response
