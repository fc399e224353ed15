from django.urls import path

from .views import (
    aid,
    disasters,
    dispatches,
    edits,
    open_requests,
    requests,
    snapshots,
)

app_name = "disaster_support"

urlpatterns = [
    path("", disasters.DisasterListView.as_view(), name="home"),
    path("new/", disasters.DisasterCreateView.as_view(), name="disaster_create"),
    path("<int:pk>/", disasters.DisasterDetailView.as_view(), name="disaster_detail"),
    path(
        "<int:pk>/close/", disasters.DisasterCloseView.as_view(), name="disaster_close"
    ),
    path(
        "<int:pk>/export/<str:table>.<str:fmt>",
        disasters.ExportView.as_view(),
        name="export",
    ),
    path(
        "<int:pk>/requests/new/",
        requests.RequestCreateView.as_view(),
        name="request_create",
    ),
    path(
        "requests/open/",
        open_requests.OpenRequestListView.as_view(),
        name="open_requests",
    ),
    path(
        "requests/<int:pk>/",
        requests.RequestDetailView.as_view(),
        name="request_detail",
    ),
    path(
        "requests/<int:pk>/status/",
        requests.RequestStatusView.as_view(),
        name="request_status",
    ),
    path(
        "requests/<int:pk>/edit/",
        edits.RequestUpdateView.as_view(),
        name="request_update",
    ),
    path(
        "offers/<int:pk>/edit/",
        edits.OfferUpdateView.as_view(),
        name="offer_update",
    ),
    path(
        "requests/<int:pk>/offers/new/",
        requests.OfferCreateView.as_view(),
        name="offer_create",
    ),
    path(
        "offers/<int:pk>/dispatches/new/",
        dispatches.DispatchCreateView.as_view(),
        name="dispatch_create",
    ),
    path(
        "dispatches/<int:pk>/edit/",
        dispatches.DispatchUpdateView.as_view(),
        name="dispatch_update",
    ),
    path(
        "<int:pk>/snapshots/publish/",
        snapshots.SnapshotPublishView.as_view(),
        name="snapshot_publish",
    ),
    path(
        "snapshots/<int:pk>/",
        snapshots.SnapshotDetailView.as_view(),
        name="snapshot_detail",
    ),
    path(
        "snapshots/<int:pk>/export/<str:table>.<str:fmt>",
        snapshots.SnapshotExportView.as_view(),
        name="snapshot_export",
    ),
    path("<int:pk>/money/new/", aid.MoneyCreateView.as_view(), name="money_create"),
    path("<int:pk>/goods/new/", aid.GoodsCreateView.as_view(), name="goods_create"),
    path(
        "<int:pk>/history/",
        disasters.ChangeHistoryView.as_view(),
        name="change_history",
    ),
    path("map-base.svg", disasters.map_base, name="map_base"),
]
