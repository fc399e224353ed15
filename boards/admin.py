from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Value, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from members.admin import RecordAdmin
from members.admin_lists import ModelAdmin

from .models import (
    Attachment,
    Attendee,
    Category,
    InboundMail,
    Inquiry,
    ModerationLog,
    Post,
    Recipient,
    RegistrationSettings,
    Report,
    Thread,
)
from .services import moderation

# The reason logged for what is done in admin, where there is no form for one.
ADMIN_REASON = _("From the admin site")


def excerpt(text, length=80):
    return Truncator(" ".join(text.split())).chars(length)


@admin.register(Category)
class CategoryAdmin(ModelAdmin):
    list_display = [
        "name",
        "slug",
        "order",
        "starters",
        "accepts_mail",
        "thread_count",
        "last_activity_at",
    ]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["thread_count", "post_count", "last_activity_at"]

    def has_delete_permission(self, request, obj=None):
        # Threads keep their category; empty a category before removing it.
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.thread_count == 0
        )


class PostInline(admin.TabularInline):
    model = Post
    fields = [
        "position",
        "author",
        "created_at",
        "edited_at",
        "is_deleted",
        "is_hidden",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


def _thread_action(service, *, only, description):
    """An admin action running a moderation service on the selected threads.

    ``only`` picks those it would change; the others are left alone.
    """

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        modeladmin._moderate(request, queryset.filter(**only), service)

    return action


@admin.register(Thread)
class ThreadAdmin(ModelAdmin):
    list_display = [
        "title",
        "category",
        "organisation",
        "reply_count",
        "last_activity_at",
        "is_pinned",
        "is_locked",
        "is_hidden",
    ]
    list_filter = ["category", "is_pinned", "is_locked", "is_hidden"]
    search_fields = ["title", "organisation__name"]
    list_select_related = ["category", "organisation__prefecture"]
    list_joined = ("category",)
    show_full_result_count = False
    date_hierarchy = "created_at"
    fields = [
        "title",
        "category",
        "author",
        "organisation",
        "created_at",
        "last_activity_at",
        "reply_count",
        "is_pinned",
        "is_locked",
        "is_hidden",
    ]
    # The flags change only through the actions, so each change is logged.
    readonly_fields = fields
    inlines = [PostInline]
    actions = [
        "hide_threads",
        "restore_threads",
        "lock_threads",
        "unlock_threads",
        "pin_threads",
        "unpin_threads",
    ]

    def has_add_permission(self, request):
        # Threads are started on the board, where files and counts are handled.
        return False

    def _moderate(self, request, threads, service):
        done = 0
        for thread in threads:
            try:
                service(thread=thread, actor=request.user, reason=str(ADMIN_REASON))
            except ValidationError as error:
                self.message_user(
                    request, f"{thread}: {error.messages[0]}", messages.WARNING
                )
            else:
                done += 1
        self.message_user(
            request,
            gettext("%(count)s threads changed.") % {"count": done},
            messages.SUCCESS,
        )

    hide_threads = _thread_action(
        moderation.thread_hide,
        only={"is_hidden": False},
        description=_("Hide the selected threads from members"),
    )
    restore_threads = _thread_action(
        moderation.thread_restore,
        only={"is_hidden": True},
        description=_("Show the selected threads to members again"),
    )
    lock_threads = _thread_action(
        moderation.thread_lock,
        only={"is_locked": False},
        description=_("Close the selected threads to new replies"),
    )
    unlock_threads = _thread_action(
        moderation.thread_unlock,
        only={"is_locked": True},
        description=_("Reopen the selected threads to replies"),
    )
    pin_threads = _thread_action(
        moderation.thread_pin,
        only={"is_pinned": False},
        description=_("Pin the selected threads"),
    )
    unpin_threads = _thread_action(
        moderation.thread_unpin,
        only={"is_pinned": True},
        description=_("Unpin the selected threads"),
    )


class AttachmentInline(admin.TabularInline):
    model = Attachment
    fields = ["original_name", "kind", "content_type", "size", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Post)
class PostAdmin(ModelAdmin):
    list_display = [
        "__str__",
        "author",
        "organisation",
        "created_at",
        "is_deleted",
        "is_hidden",
    ]
    list_filter = ["is_deleted", "is_hidden", "thread__category"]
    search_fields = ["body", "thread__title", "author__display_name"]
    # The author column shows the signature: organisation and prefecture.
    list_select_related = [
        "thread",
        "author__organisation__prefecture",
        "organisation__prefecture",
    ]
    # One COUNT(*) of a million posts per page is enough.
    show_full_result_count = False
    fields = [
        "thread",
        "position",
        "author",
        "organisation",
        "created_at",
        "edited_at",
        "is_deleted",
        "is_hidden",
        "body",
    ]
    readonly_fields = fields
    inlines = [AttachmentInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Attachment)
class AttachmentAdmin(ModelAdmin):
    list_display = ["original_name", "kind", "size", "post", "created_at"]
    list_filter = ["kind"]
    search_fields = ["original_name"]
    list_select_related = ["post__thread"]
    readonly_fields = [
        "post",
        "original_name",
        "kind",
        "content_type",
        "size",
        "width",
        "height",
        "created_at",
    ]
    exclude = ["file", "thumbnail"]

    def has_add_permission(self, request):
        return False


@admin.register(Report)
class ReportAdmin(ModelAdmin):
    """The queue of reported posts: open ones first, oldest first."""

    list_display = [
        "reported_post",
        "post_excerpt",
        "reason_excerpt",
        "reporter",
        "created_at",
        "status",
    ]
    # reported_post is itself a link (to the post on the board), which may
    # not sit inside the link to the report.
    list_display_links = ["post_excerpt"]
    list_filter = ["status"]
    search_fields = ["reason", "post__body", "post__thread__title"]
    list_select_related = ["post__thread", "reporter__organisation__prefecture"]
    ordering = [
        Case(When(status=Report.Status.OPEN, then=Value(0)), default=Value(1)),
        "created_at",
        "pk",
    ]
    fields = [
        "reported_post",
        "post_excerpt",
        "reason",
        "reporter",
        "created_at",
        "status",
        "handled_by",
        "handled_at",
        "note",
    ]
    # Reports are closed only through the actions, so each one is logged.
    readonly_fields = fields
    actions = ["resolve_reports", "dismiss_reports"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("post"))
    def reported_post(self, report):
        post = report.post
        return format_html(
            '<a href="{}">{} #{}</a>',
            reverse("boards:post", args=[post.pk]),
            post.thread.title,
            post.position,
        )

    @admin.display(description=_("what the post says"))
    def post_excerpt(self, report):
        return excerpt(report.post.body)

    @admin.display(description=_("reason"))
    def reason_excerpt(self, report):
        return excerpt(report.reason)

    def _close(self, request, queryset, service):
        reports = list(queryset.filter(status=Report.Status.OPEN))
        for report in reports:
            service(report=report, actor=request.user, note=str(ADMIN_REASON))
        self.message_user(
            request,
            gettext("%(count)s reports closed.") % {"count": len(reports)},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Resolve the selected reports (dealt with)"),
        permissions=["change"],
    )
    def resolve_reports(self, request, queryset):
        self._close(request, queryset, moderation.report_resolve)

    @admin.action(
        description=_("Dismiss the selected reports (nothing to do)"),
        permissions=["change"],
    )
    def dismiss_reports(self, request, queryset):
        self._close(request, queryset, moderation.report_dismiss)


@admin.register(ModerationLog)
class ModerationLogAdmin(RecordAdmin):
    """Who did what, when and why; a record, so nobody edits it."""

    list_display = ["created_at", "actor", "action", "thread", "post", "reason"]
    list_filter = ["action", ("actor", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["reason"]
    date_hierarchy = "created_at"
    list_select_related = [
        "actor__organisation__prefecture",
        "thread",
        "post__thread",
    ]
    fields = ["created_at", "actor", "action", "thread", "post", "reason", "details"]
    readonly_fields = fields


# ----- event sign-up -----
#
# Shown for the office to look into; changed only through the event's page,
# where boards.services.registrations moves the waiting list and mails.


@admin.register(RegistrationSettings)
class RegistrationSettingsAdmin(RecordAdmin):
    list_display = ["event", "is_open", "capacity", "modes", "reminder_sent_at"]
    list_filter = ["is_open", "modes"]
    list_select_related = ["event__thread"]
    search_fields = ["event__thread__title"]
    fields = ["event", "is_open", "capacity", "modes", "changed_at", "reminder_sent_at"]
    readonly_fields = fields


@admin.register(Attendee)
class AttendeeAdmin(RecordAdmin):
    list_display = [
        "name",
        "organisation",
        "event",
        "attendance",
        "status",
        "registered_at",
    ]
    list_filter = ["status", "attendance"]
    search_fields = ["name", "department", "event__thread__title"]
    date_hierarchy = "registered_at"
    list_select_related = ["organisation__prefecture", "event__thread"]
    fields = [
        "event",
        "organisation",
        "name",
        "department",
        "attendance",
        "status",
        "registered_at",
        "registered_by",
        "confirmed_at",
        "cancelled_at",
        "cancelled_by",
    ]
    readonly_fields = fields


# ----- 照会 -----


class RecipientInline(admin.TabularInline):
    model = Recipient
    fields = ["organisation", "reminded_before_at", "reminded_on_day_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organisation__prefecture")


@admin.register(Inquiry)
class InquiryAdmin(RecordAdmin):
    """Inquiries for the office to look into; they are made and run on the
    site (/inquiries/), where every answer is counted and mailed about."""

    list_display = [
        "reference",
        "title",
        "sender_organisation",
        "status",
        "deadline_on",
        "sent_at",
    ]
    list_filter = ["status", "audience"]
    search_fields = ["reference", "title"]
    date_hierarchy = "deadline_on"
    list_select_related = ["sender_organisation__prefecture"]
    fields = [
        "reference",
        "title",
        "body",
        "sender_organisation",
        "created_by",
        "created_at",
        "sent_at",
        "status",
        "deadline_on",
        "deadline_time",
        "audience",
        "audience_kinds",
        "late_answers_allowed",
        "share_results",
        "reminder_days",
        "reminded_by_hand_at",
    ]
    readonly_fields = fields
    inlines = [RecipientInline]


@admin.register(InboundMail)
class InboundMailAdmin(ModelAdmin):
    """Every message the receivers were handed, and what became of it.

    A record: nobody edits it. The office reads it, and downloads a message
    as received (.eml) to look into a refusal; superusers delete rows whose
    message is no longer kept (RENKEI_MAIL_KEEP_DAYS).
    """

    list_display = [
        "received_at",
        "from_address",
        "recipient",
        "subject",
        "result",
        "reason",
        "post_link",
    ]
    list_filter = ["result", "reason", "channel"]
    search_fields = ["from_address", "recipient", "subject", "message_id"]
    date_hierarchy = "received_at"
    # The post is linked by its key alone: nothing to read for the list.
    list_select_related = []
    show_full_result_count = False
    fields = [
        "received_at",
        "channel",
        "message_id",
        "envelope_from",
        "from_address",
        "recipient",
        "subject",
        "size",
        "result",
        "reason",
        "detail",
        "user",
        "category",
        "thread",
        "post_link",
        "answered_at",
        "raw_download",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        # A message can be megabytes: read only when downloaded.
        return super().get_queryset(request).defer("raw")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and (obj is None or self._old(obj))

    def _old(self, obj):
        return obj.received_at < timezone.now() - timedelta(
            days=settings.MAIL_KEEP_DAYS
        )

    def delete_queryset(self, request, queryset):
        queryset.filter(
            received_at__lt=timezone.now() - timedelta(days=settings.MAIL_KEEP_DAYS)
        ).delete()

    @admin.display(description=_("post"))
    def post_link(self, inbound):
        if inbound.post_id is None:
            return "—"
        return format_html(
            '<a href="{}">#{}</a>',
            reverse("boards:post", args=[inbound.post_id]),
            inbound.post_id,
        )

    @admin.display(description=_("message as received"))
    def raw_download(self, inbound):
        if not inbound.size:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:boards_inboundmail_raw", args=[inbound.pk]),
            gettext("Download (.eml)"),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/raw.eml",
                self.admin_site.admin_view(self.raw_view),
                name="boards_inboundmail_raw",
            ),
            *super().get_urls(),
        ]

    def raw_view(self, request, pk):
        """The message as received, for the office; 404 once it was emptied."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        inbound = get_object_or_404(InboundMail.objects.exclude(raw=b""), pk=pk)
        response = HttpResponse(bytes(inbound.raw), content_type="message/rfc822")
        response["Content-Disposition"] = (
            f'attachment; filename="inbound-{inbound.pk}.eml"'
        )
        return response
