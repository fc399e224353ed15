from django.urls import path

from .views import (
    agreements,
    aid,
    damage,
    disasters,
    dispatches,
    edits,
    open_requests,
    organisation_aid,
    reception,
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
    path("<int:pk>/damage/", damage.DamageView.as_view(), name="damage"),
    path(
        "<int:pk>/damage/figures/new/",
        damage.FiguresCreateView.as_view(),
        name="damage_figures_create",
    ),
    path(
        "damage/figures/<int:pk>/edit/",
        damage.FiguresUpdateView.as_view(),
        name="damage_figures_update",
    ),
    path(
        "<int:pk>/damage/weights/",
        damage.WeightsView.as_view(),
        name="damage_weights",
    ),
    path(
        "<int:pk>/damage/freeze/",
        damage.AllocationFreezeView.as_view(),
        name="allocation_freeze",
    ),
    path(
        "damage/allocations/<int:pk>/",
        damage.AllocationDetailView.as_view(),
        name="allocation_detail",
    ),
    path(
        "damage/allocations/<int:pk>/pay/",
        damage.AllocationPayView.as_view(),
        name="allocation_pay",
    ),
    path("map-base.svg", disasters.map_base, name="map_base"),
    path("agreements/", agreements.AgreementListView.as_view(), name="agreement_list"),
    path(
        "agreements/new/",
        agreements.AgreementCreateView.as_view(),
        name="agreement_create",
    ),
    path(
        "agreements/<int:pk>/",
        agreements.AgreementDetailView.as_view(),
        name="agreement_detail",
    ),
    path(
        "agreements/<int:pk>/edit/",
        agreements.AgreementUpdateView.as_view(),
        name="agreement_update",
    ),
    path(
        "agreements/<int:pk>/document.pdf",
        agreements.AgreementDocumentView.as_view(),
        name="agreement_document",
    ),
    path(
        "organisations/<int:pk>/aid/",
        organisation_aid.OrganisationAidView.as_view(),
        name="organisation_aid",
    ),
    path("reception/", reception.ReceptionListView.as_view(), name="reception_list"),
    path(
        "reception/<int:pk>/",
        reception.ReceptionDetailView.as_view(),
        name="reception_detail",
    ),
    path(
        "reception/<int:pk>/edit/",
        reception.ReceptionEditView.as_view(),
        name="reception_edit",
    ),
]
