from django.urls import path

from . import views

app_name = "disaster_support"

urlpatterns = [
    path("", views.DisasterListView.as_view(), name="home"),
    path("new/", views.DisasterCreateView.as_view(), name="disaster_create"),
    path("<int:pk>/", views.DisasterDetailView.as_view(), name="disaster_detail"),
    path("<int:pk>/close/", views.DisasterCloseView.as_view(), name="disaster_close"),
    path(
        "<int:pk>/export/<str:table>.<str:fmt>",
        views.ExportView.as_view(),
        name="export",
    ),
    path(
        "<int:pk>/requests/new/",
        views.RequestCreateView.as_view(),
        name="request_create",
    ),
    path(
        "requests/<int:pk>/", views.RequestDetailView.as_view(), name="request_detail"
    ),
    path(
        "requests/<int:pk>/status/",
        views.RequestStatusView.as_view(),
        name="request_status",
    ),
    path(
        "requests/<int:pk>/offers/new/",
        views.OfferCreateView.as_view(),
        name="offer_create",
    ),
    path(
        "offers/<int:pk>/dispatches/new/",
        views.DispatchCreateView.as_view(),
        name="dispatch_create",
    ),
    path(
        "dispatches/<int:pk>/edit/",
        views.DispatchUpdateView.as_view(),
        name="dispatch_update",
    ),
]
