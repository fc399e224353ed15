from django.urls import path

from .views import directory, organisations, profiles

app_name = "members"

urlpatterns = [
    path("", directory.DirectoryView.as_view(), name="directory"),
    path("map.svg", directory.member_map, name="directory_map"),
    path("me/", profiles.ProfileView.as_view(), name="profile"),
    path(
        "<int:pk>/",
        directory.OrganisationDetailView.as_view(),
        name="organisation_detail",
    ),
    path(
        "<int:pk>/contact/",
        organisations.ContactUpdateView.as_view(),
        name="organisation_contact",
    ),
    path(
        "<int:pk>/contact/confirm/",
        organisations.ContactConfirmView.as_view(),
        name="organisation_confirm",
    ),
    path(
        "<int:pk>/introduction/",
        profiles.OrganisationProfileView.as_view(),
        name="organisation_profile",
    ),
    path(
        "<int:pk>/history/",
        organisations.ContactHistoryView.as_view(),
        name="organisation_history",
    ),
    path(
        "<int:pk>/staff/", organisations.StaffView.as_view(), name="organisation_staff"
    ),
    path(
        "<int:pk>/staff/<int:user_pk>/deactivate/",
        organisations.StaffDeactivateView.as_view(),
        name="staff_deactivate",
    ),
]
