from functools import wraps

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.admin.exceptions import DisallowedModelAdminToField
from django.contrib.admin.options import TO_FIELD_VAR
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from members.views.applications import (
    JoinConfirmView,
    JoinDoneView,
    JoinSentView,
    JoinView,
)

from . import views

# The admin login goes through allauth, so its rate limits and two-factor
# authentication apply there too.
admin.site.login = secure_admin_login(admin.site.login)


def refuse_empty_to_field(view):
    """Refuse an empty _to_field as Django refuses any other field it does
    not know (400): Django looks it up as a field name instead, and fails."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if "" in (request.GET.get(TO_FIELD_VAR), request.POST.get(TO_FIELD_VAR)):
            raise DisallowedModelAdminToField("An empty field cannot be referenced.")
        return view(request, *args, **kwargs)

    return guarded


_site_admin_view = admin.site.admin_view


def admin_view(view, cacheable=False):
    """The admin site's own guard (signed in, staff), then the one above."""
    return _site_admin_view(refuse_empty_to_field(view), cacheable)


admin.site.admin_view = admin_view
admin.site.site_header = _("23 Wards Nationwide Collaboration: administration")
admin.site.site_title = _("Renkei administration")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("join/", JoinView.as_view(), name="join"),
    path("join/sent/", JoinSentView.as_view(), name="join_sent"),
    path("join/confirm/<str:token>/", JoinConfirmView.as_view(), name="join_confirm"),
    path("join/done/", JoinDoneView.as_view(), name="join_done"),
    path("members/", include("members.urls")),
    path("boards/", include("boards.urls")),
    path("disaster/", include("disaster_support.urls")),
    path("calendar/", include("boards.calendar_urls")),
    path("inquiries/", include("boards.inquiries.urls")),
    # Before allauth's own, which it replaces under the same name.
    path("accounts/logout/", views.SignOutView.as_view(), name="account_logout"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

handler500 = "config.views.server_error"
