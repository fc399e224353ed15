import sys

from allauth.account.views import LogoutView
from django.contrib.auth.decorators import login_not_required
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    transaction,
)
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from boards import selectors
from boards.models import Thread
from boards.permissions import visible_threads
from config import node_checks

from .media import StoreUnavailable


@login_not_required
@require_safe
def home(request):
    """The public landing page, or the member's home once signed in."""
    if request.user.is_authenticated:
        threads = (
            visible_threads(request.user, Thread.objects.all())
            .for_listing()
            .with_read_state(request.user)
            .by_activity()[:5]
        )
        context = {
            "today": timezone.localdate(),
            "threads": threads,
            "drafts": selectors.drafts_of(request.user)[: selectors.DRAFTS_ON_HOME],
        }
        return render(request, "home.html", context)
    return render(request, "landing.html")


@login_not_required
@require_safe
@never_cache
@transaction.non_atomic_requests
def healthz(request):
    """200 when the database answers and this node may serve, else 503.

    A node may not serve when its clock is off PostgreSQL's, or when the
    checks of config/node_checks.py it could not run at its start find it
    does not belong with the other nodes; the reasons are in the body.
    """
    try:
        found = node_checks.health_problems()
    except DatabaseError:
        return HttpResponse(
            "database unavailable\n", status=503, content_type="text/plain"
        )
    if found:
        return HttpResponse(
            "".join(f"{problem}\n" for problem in found),
            status=503,
            content_type="text/plain",
        )
    return HttpResponse("ok\n", content_type="text/plain")


class SignOutView(LogoutView):
    """allauth's sign-out, which also empties what the site stored in this
    browser: drafts of posts wait in localStorage until the site accepts
    them (static/js/drafts.js), and on a shared PC the next person must not
    find them. Browsers clear it on receiving the header (secure contexts
    only: HTTPS, or localhost in development)."""

    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        response.headers["Clear-Site-Data"] = '"storage"'
        return response


def server_error(request):
    """500 page; a database outage gets the 503 maintenance page instead,
    and an object store that is down or refusing (config.media) a 503 page
    saying that files cannot be read just now.

    Rendered without a request context: the context processors would need
    the session, and so the database, which may be what failed.
    """
    error = sys.exc_info()[1]
    retry_after = None
    if isinstance(error, OperationalError | InterfaceError):
        template, status, retry_after = "503.html", 503, "300"
    elif isinstance(error, StoreUnavailable):
        template, status, retry_after = "503_files.html", 503, "60"
    else:
        template, status = "500.html", 500
    response = HttpResponse(loader.get_template(template).render(), status=status)
    if retry_after:
        response["Retry-After"] = retry_after
    return response
