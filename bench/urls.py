"""The site's URLs plus the framework's floors for throughput: /bench/floor
for anyone, /bench/floor/member for a signed-in member.

Only bench/settings.py uses this module: the floor is never part of the site.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_safe

from config.urls import handler500
from config.urls import urlpatterns as site_urlpatterns

__all__ = ["handler500", "urlpatterns"]


@login_not_required
@require_safe
def floor(request):
    """The cheapest response the stack can give: every middleware, no work."""
    return HttpResponse("ok\n", content_type="text/plain")


@require_safe
def member_floor(request):
    """The same for a signed-in member: the session and the account are read
    and checked, as for every members-only page."""
    return HttpResponse(f"{request.user.is_authenticated}\n", content_type="text/plain")


urlpatterns = [
    *site_urlpatterns,
    path("bench/floor", floor, name="bench_floor"),
    path("bench/floor/member", member_floor, name="bench_member_floor"),
]
