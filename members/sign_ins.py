"""The sign-in record: every attempt to sign in, and each sign-out.

The receivers are connected in members.apps; allauth's lock-out after
too many failures is reported by members.adapters.
"""

import datetime

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from .models import SignInEvent

Outcome = SignInEvent.Outcome

# Records older than this are deleted whenever someone signs in.
KEEP_FOR = datetime.timedelta(days=400)
USER_AGENT_LENGTH = SignInEvent._meta.get_field("user_agent").max_length
EMAIL_LENGTH = SignInEvent._meta.get_field("email").max_length


def _client_ip(request):
    # allauth's rule, which trusts DJANGO_TRUSTED_PROXY_COUNT proxies, so
    # the record shows the address the rate limits counted.
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return None


def sign_in_record(*, request, outcome, user=None, email=""):
    """Record a sign-in attempt or sign-out with its address and browser."""
    event = SignInEvent(
        outcome=outcome,
        user=user,
        email=email[:EMAIL_LENGTH],
    )
    if request is not None:
        event.ip_address = _client_ip(request)
        agent = request.META.get("HTTP_USER_AGENT", "")
        event.user_agent = agent[:USER_AGENT_LENGTH]
    event.full_clean()
    event.save()
    return event


def sign_ins_prune(*, now=None):
    """Delete records older than KEEP_FOR; returns how many went."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _by_model = SignInEvent.objects.filter(at__lt=cutoff).delete()
    return deleted


# ----- signal receivers -----


def on_logged_in(sender, request, user, **kwargs):
    sign_in_record(
        request=request, outcome=Outcome.SUCCEEDED, user=user, email=user.email
    )
    sign_ins_prune()


def on_login_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password in credentials.
    typed = credentials.get("email") or credentials.get("username") or ""
    sign_in_record(request=request, outcome=Outcome.FAILED, email=str(typed))


def on_mfa_failed(sender, request, user, **kwargs):
    sign_in_record(
        request=request, outcome=Outcome.MFA_FAILED, user=user, email=user.email
    )


def on_logged_out(sender, request, user, **kwargs):
    if user is not None:
        sign_in_record(
            request=request, outcome=Outcome.SIGNED_OUT, user=user, email=user.email
        )
