from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminFileWidget
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext_lazy as _

from members.admin import RecordAdmin
from members.admin_lists import ModelAdmin

from . import services
from .agreements import agreement_create, agreement_update
from .forms import document_check
from .models import (
    Agreement,
    Allocation,
    AllocationLine,
    ChangeLog,
    DamageFigures,
    DamageWeights,
    Disaster,
    Dispatch,
    HelpRequest,
    Offer,
    ReceptionNeed,
    ReceptionPartner,
    ReceptionPlan,
    ReceptionSite,
    Seat,
    SupportGoods,
    SupportMoney,
    WorkType,
)


class LoggedAdmin(ModelAdmin):
    """Admin edits go through the services, so they reach the change log."""

    def save_model(self, request, obj, form, change):
        services.admin_save(obj=obj, actor=request.user)

    def save_related(self, request, form, formsets, change):
        services.admin_save_related(
            obj=form.instance,
            actor=request.user,
            save=lambda: super(LoggedAdmin, self).save_related(
                request, form, formsets, change
            ),
        )

    def delete_model(self, request, obj):
        services.admin_delete(obj=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.admin_delete(obj=obj, actor=request.user)


@admin.register(Disaster)
class DisasterAdmin(LoggedAdmin):
    list_display = ["name", "kind", "occurred_on", "status", "is_drill"]
    list_filter = ["status", "kind", "is_drill"]
    filter_horizontal = ["prefectures"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(WorkType)
class WorkTypeAdmin(LoggedAdmin):
    list_display = ["name", "order"]
    list_editable = ["order"]


@admin.register(HelpRequest)
class HelpRequestAdmin(LoggedAdmin):
    list_display = ["municipality", "work_type", "disaster", "status", "start_on"]
    list_filter = ["disaster", "status", "channel"]
    list_select_related = ["municipality__prefecture", "work_type", "disaster"]
    raw_id_fields = ["municipality", "work_place"]
    readonly_fields = ["entered_by", "created_at"]


@admin.register(Offer)
class OfferAdmin(LoggedAdmin):
    list_display = ["request", "sender", "is_joint", "basis", "people"]
    list_select_related = ["request__municipality__prefecture", "request__work_type"]
    raw_id_fields = ["request", "sender"]


class SeatInline(admin.TabularInline):
    model = Seat
    extra = 0


@admin.register(Dispatch)
class DispatchAdmin(LoggedAdmin):
    list_display = ["name", "sender", "start_on", "end_on", "status"]
    list_filter = ["status", "term"]
    list_select_related = ["sender"]
    raw_id_fields = ["offer", "sender"]
    inlines = [SeatInline]

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.admin_delete(obj=obj, actor=request.user)
        for obj in instances:
            services.admin_save(obj=obj, actor=request.user)


@admin.register(SupportMoney)
class SupportMoneyAdmin(LoggedAdmin):
    list_display = ["disaster", "kind", "payer", "is_joint", "recipient", "amount"]
    raw_id_fields = ["payer", "recipient"]


@admin.register(SupportGoods)
class SupportGoodsAdmin(LoggedAdmin):
    list_display = ["disaster", "item", "quantity", "unit", "recipient", "sent_on"]
    raw_id_fields = ["payer", "recipient"]


class ReceptionNeedInline(admin.TabularInline):
    model = ReceptionNeed
    extra = 0


class ReceptionSiteInline(admin.TabularInline):
    model = ReceptionSite
    extra = 0


class ReceptionPartnerInline(admin.TabularInline):
    model = ReceptionPartner
    extra = 0
    raw_id_fields = ["organisation"]


@admin.register(ReceptionPlan)
class ReceptionPlanAdmin(LoggedAdmin):
    list_display = ["ward", "department", "phone", "updated_at"]
    list_select_related = ["ward"]
    raw_id_fields = ["ward"]
    inlines = [ReceptionNeedInline, ReceptionSiteInline, ReceptionPartnerInline]

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.admin_delete(obj=obj, actor=request.user)
        for obj in instances:
            services.admin_save(obj=obj, actor=request.user)


@admin.register(ChangeLog)
class ChangeLogAdmin(RecordAdmin):
    list_display = ["changed_at", "changed_by", "content_type", "object_id", "field"]
    list_filter = ["content_type", "action"]
    list_select_related = ["changed_by__organisation__prefecture", "content_type"]


@admin.register(DamageWeights)
class DamageWeightsAdmin(LoggedAdmin):
    """Refused once a payment is frozen (DamageWeights.clean)."""

    list_display = ["disaster", "destroyed", "half", "partial"]

    def has_delete_permission(self, request, obj=None):
        # Deleting would bring back the default weights: a change too.
        if obj is not None and obj.disaster.allocations.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(DamageFigures)
class DamageFiguresAdmin(LoggedAdmin):
    list_display = ["disaster", "municipality", "as_of", "destroyed", "half"]
    list_filter = ["disaster"]
    list_select_related = ["disaster", "municipality__prefecture"]
    raw_id_fields = ["municipality"]


class AllocationLineInline(admin.TabularInline):
    """Frozen lines: shown, never edited."""

    model = AllocationLine
    extra = 0
    can_delete = False
    fields = ["municipality", "figures_as_of", "figures", "points", "amount", "money"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Allocation)
class AllocationAdmin(LoggedAdmin):
    """Frozen with the payment decision on the site; here only read, and the
    reference corrected."""

    list_display = ["disaster", "reference", "decided_on", "total", "paid_on"]
    list_select_related = ["disaster"]
    readonly_fields = [
        "disaster",
        "total",
        "as_of",
        "decided_on",
        "weights",
        "unallocated",
        "frozen_by",
        "frozen_at",
        "paid_on",
    ]
    inlines = [AllocationLineInline]

    def has_add_permission(self, request):
        return False


class LabelledFileInput(AdminFileWidget):
    """The admin's file input, with its link to the current file and its
    Clear checkbox, under its own <label>: Django draws file inputs in a
    fieldset whose legend assistive technology does not take as the input's
    name."""

    use_fieldset = False


class AgreementAdminForm(forms.ModelForm):
    class Meta:
        model = Agreement
        widgets = {"document": LabelledFileInput}
        fields = [
            "title",
            "kind",
            "parties",
            "signed_on",
            "ended_on",
            "scopes",
            "status",
            "note",
            "document",
        ]

    def clean_parties(self):
        parties = self.cleaned_data["parties"]
        if len(set(parties)) < 2:
            raise forms.ValidationError(
                _("An agreement needs two or more different parties."),
                code="too_few_parties",
            )
        return parties

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if document and not isinstance(document, FieldFile):
            document_check(document)
        return document


@admin.register(Agreement)
class AgreementAdmin(ModelAdmin):
    """The office's register; edits go through the agreement services."""

    form = AgreementAdminForm
    list_display = ["title", "kind", "signed_on", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "parties__name"]
    raw_id_fields = ["parties"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {
            name: data[name]
            for name in [
                "title",
                "kind",
                "signed_on",
                "ended_on",
                "scopes",
                "status",
                "note",
            ]
        }
        document = data.get("document")
        # False: the Clear box was ticked (ClearableFileInput).
        remove_document = document is False
        if isinstance(document, FieldFile) or not document:
            document = None  # kept as it is, unless removed
        if change:
            agreement = agreement_update(
                agreement=obj,
                actor=request.user,
                parties=data["parties"],
                document=document,
                remove_document=remove_document,
                **fields,
            )
        else:
            agreement = agreement_create(
                actor=request.user, parties=data["parties"], document=document, **fields
            )
        obj.pk, obj.document = agreement.pk, agreement.document

    def save_related(self, request, form, formsets, change):
        """The parties were saved with the agreement (save_model)."""

    def delete_model(self, request, obj):
        services.admin_delete(obj=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.admin_delete(obj=obj, actor=request.user)
