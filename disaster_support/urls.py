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
    path(
        "<int:pk>/snapshots/publish/",
        views.SnapshotPublishView.as_view(),
        name="snapshot_publish",
    ),
    path(
        "snapshots/<int:pk>/",
        views.SnapshotDetailView.as_view(),
        name="snapshot_detail",
    ),
    path(
        "snapshots/<int:pk>/export/<str:table>.<str:fmt>",
        views.SnapshotExportView.as_view(),
        name="snapshot_export",
    ),
    path("<int:pk>/money/new/", views.MoneyCreateView.as_view(), name="money_create"),
    path("<int:pk>/goods/new/", views.GoodsCreateView.as_view(), name="goods_create"),
    path("<int:pk>/history/", views.ChangeHistoryView.as_view(), name="change_history"),
    path("map-base.svg", views.map_base, name="map_base"),
]
