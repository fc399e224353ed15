from django.contrib import admin

from members.admin import RecordAdmin
from members.admin_lists import ModelAdmin

from . import services
from .models import (
    ChangeLog,
    Disaster,
    Dispatch,
    HelpRequest,
    Offer,
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


@admin.register(ChangeLog)
class ChangeLogAdmin(RecordAdmin):
    list_display = ["changed_at", "changed_by", "content_type", "object_id", "field"]
    list_filter = ["content_type", "action"]
    list_select_related = ["changed_by__organisation__prefecture", "content_type"]
