import secrets
from functools import wraps

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import permissions
from .admin_lists import ModelAdmin
from .common.eras import fiscal_year, fiscal_year_start
from .csv_admin import OrganisationCsvAdminMixin
from .forms import (
    ApplicationRejectForm,
    HandoverApplyForm,
    HandoverCsvForm,
    ProfileChangeRejectForm,
    StaffDeactivateForm,
    UserAdminForm,
)
from .models import (
    AccessChange,
    ContactChange,
    DirectorySettings,
    MembershipApplication,
    MembershipChange,
    Organisation,
    ProfileChange,
    SignInEvent,
    User,
)
from .services import accounts, applications, handover, organisations, profiles

# The previewed hand-over file waits here until it is applied.
HANDOVER_SESSION_KEY = "members_handover"


class ConfirmationFilter(admin.SimpleListFilter):
    title = gettext_lazy("contact details this fiscal year")
    parameter_name = "confirmation"

    def lookups(self, request, model_admin):
        return [
            ("confirmed", gettext_lazy("Confirmed")),
            ("unconfirmed", gettext_lazy("Not confirmed (stale)")),
        ]

    @staticmethod
    def unconfirmed(queryset):
        """Members whose details are stale: not confirmed this fiscal year."""
        start = fiscal_year_start(fiscal_year(timezone.now()))
        return queryset.unconfirmed_in(start)

    def queryset(self, request, queryset):
        unconfirmed = self.unconfirmed(Organisation.objects.all())
        if self.value() == "confirmed":
            return queryset.members().exclude(pk__in=unconfirmed)
        if self.value() == "unconfirmed":
            return queryset.filter(pk__in=unconfirmed)
        return queryset


class RoleFilter(admin.SimpleListFilter):
    title = gettext_lazy("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return list(permissions.ROLE_LABELS.items())

    def queryset(self, request, queryset):
        if self.value() in permissions.ROLE_LABELS:
            return permissions.users_in_role(queryset, self.value())
        return queryset


class ApplicationStatusFilter(admin.SimpleListFilter):
    """The statuses the office sees: unconfirmed applications are not listed."""

    title = gettext_lazy("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        unconfirmed = MembershipApplication.Status.UNCONFIRMED
        return [
            (value, label)
            for value, label in MembershipApplication.Status.choices
            if value != unconfirmed
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(status=self.value())
        return queryset


class MailBouncingFilter(admin.SimpleListFilter):
    """People whose address bounced: no mail reaches them until it is fixed."""

    title = gettext_lazy("mail")
    parameter_name = "bouncing"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Mail to the address bounces"))]

    @staticmethod
    def bouncing(queryset):
        return queryset.filter(mail_bouncing_since__isnull=False)

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return self.bouncing(queryset)
        return queryset


class SignInFailureFilter(admin.SimpleListFilter):
    """Failed sign-ins: a wrong password, a refusal, a wrong second factor."""

    title = gettext_lazy("failures")
    parameter_name = "failures"
    OUTCOMES = [
        SignInEvent.Outcome.FAILED,
        SignInEvent.Outcome.LOCKED_OUT,
        SignInEvent.Outcome.MFA_FAILED,
    ]

    def lookups(self, request, model_admin):
        return [
            ("today", gettext_lazy("Failed today")),
            ("all", gettext_lazy("All failures")),
        ]

    @classmethod
    def failed_today(cls, queryset):
        """Failures since midnight, Japan time."""
        midnight = timezone.localtime().replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        return queryset.filter(outcome__in=cls.OUTCOMES, at__gte=midnight)

    def queryset(self, request, queryset):
        if self.value() == "today":
            return self.failed_today(queryset)
        if self.value() == "all":
            return queryset.filter(outcome__in=self.OUTCOMES)
        return queryset


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ContactChangeInline(ReadOnlyInline):
    model = ContactChange
    fields = ["changed_at", "changed_by", "field", "old_value", "new_value"]
    readonly_fields = fields
    classes = ["collapse"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by__organisation")


class MembershipChangeInline(ReadOnlyInline):
    model = MembershipChange
    fields = ["changed_at", "changed_by", "old_status", "new_status", "reason"]
    readonly_fields = fields
    classes = ["collapse"]


class AccessChangeInline(ReadOnlyInline):
    model = AccessChange
    fk_name = "user"
    fields = ["changed_at", "changed_by", "field", "before", "after"]
    readonly_fields = fields
    classes = ["collapse"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by__organisation")

    @staticmethod
    def _shown(value):
        words = {
            AccessChange.YES: gettext_lazy("Yes"),
            AccessChange.NO: gettext_lazy("No"),
            **permissions.ROLE_LABELS,
        }
        return ", ".join(
            str(words.get(part, part)) for part in value.split(", ") if part
        )

    @admin.display(description=gettext_lazy("before"))
    def before(self, obj):
        return self._shown(obj.old_value)

    @admin.display(description=gettext_lazy("after"))
    def after(self, obj):
        return self._shown(obj.new_value)


@admin.register(Organisation)
class OrganisationAdmin(OrganisationCsvAdminMixin, ModelAdmin):
    list_display = [
        "full_name",
        "code",
        "kind",
        "membership_status",
        "department",
        "contact_person",
        "contact_confirmed_at",
    ]
    list_filter = ["membership_status", ConfirmationFilter, "kind", "prefecture"]
    search_fields = ["name", "kana", "code", "department", "contact_person"]
    list_select_related = ["prefecture"]
    autocomplete_fields = ["prefecture"]
    readonly_fields = [
        "joined_on",
        "contact_confirmed_at",
        "confirmation_reminded_at",
    ]
    fieldsets = [
        (None, {"fields": ["code", "name", "kana", "kind", "prefecture", "profile"]}),
        (
            gettext_lazy("Membership"),
            {"fields": ["membership_status", "joined_on"]},
        ),
        (gettext_lazy("Contact details"), {"fields": Organisation.CONTACT_FIELDS}),
        (
            gettext_lazy("Yearly confirmation"),
            {"fields": ["contact_confirmed_at", "confirmation_reminded_at"]},
        ),
        (gettext_lazy("Location"), {"fields": ["latitude", "longitude"]}),
        (gettext_lazy("E-mail"), {"fields": ["mail_encoding"]}),
    ]
    inlines = [MembershipChangeInline, ContactChangeInline]
    actions = ["send_confirmation_reminders"]

    def get_search_results(self, request, queryset, search_term):
        # Autocomplete from the user admin offers members only.
        queryset, distinct = super().get_search_results(request, queryset, search_term)
        if request.GET.get("model_name") == "user":
            queryset = queryset.members()
        return queryset, distinct

    def save_model(self, request, obj, form, change):
        """Status and contact changes go through the services, so they are logged.

        A new organisation starts empty and unregistered; what the form gave
        is then logged as its first changes.
        """
        stored = Organisation.objects.get(pk=obj.pk) if change else Organisation()
        contact = {field: getattr(obj, field) for field in Organisation.CONTACT_FIELDS}
        status = obj.membership_status
        for field in [*Organisation.CONTACT_FIELDS, "membership_status"]:
            setattr(obj, field, getattr(stored, field))
        super().save_model(request, obj, form, change)
        organisations.organisation_update_contact(
            organisation=obj, actor=request.user, changes=contact
        )
        organisations.organisation_set_status(
            organisation=obj,
            status=status,
            actor=request.user,
            reason=_("Changed in administration"),
        )
        obj.refresh_from_db()

    @admin.action(
        description=gettext_lazy(
            "Remind the selected members that have not confirmed their details "
            "this year"
        ),
        permissions=["change"],
    )
    def send_confirmation_reminders(self, request, queryset):
        count = organisations.confirmation_reminders_send(organisations=queryset)
        self.message_user(
            request,
            _("Reminders are being sent to %(count)s organisations.")
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(MembershipApplication)
class MembershipApplicationAdmin(ModelAdmin):
    list_display = ["organisation", "contact_person", "email", "submitted_at", "status"]
    list_filter = [ApplicationStatusFilter]
    search_fields = [
        "organisation__name",
        "organisation__kana",
        "contact_person",
        "email",
    ]
    list_select_related = ["organisation__prefecture"]
    readonly_fields = [
        "organisation",
        "department",
        "contact_person",
        "email",
        "phone",
        "purpose",
        "status",
        "submitted_at",
        "decided_by",
        "decided_at",
        "rejection_reason",
    ]
    actions = ["approve"]
    change_form_template = "admin/members/membershipapplication/change_form.html"

    def get_queryset(self, request):
        # Until the applicant confirms the address, an application is not one.
        return super().get_queryset(request).confirmed()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name="members_membershipapplication_approve",
            ),
            path(
                "<int:pk>/reject/",
                self.admin_site.admin_view(self.reject_view),
                name="members_membershipapplication_reject",
            ),
            *super().get_urls(),
        ]

    def _decidable(self, request, pk):
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def _back(self, application):
        return redirect(
            reverse("admin:members_membershipapplication_change", args=[application.pk])
        )

    def approve_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        application = self._decidable(request, pk)
        try:
            user = applications.application_approve(
                application=application, actor=request.user
            )
        except ValidationError as error:
            self.message_user(request, error.messages[0], messages.ERROR)
        else:
            self.message_user(
                request,
                _("Approved. A set-your-password mail is being sent to %(email)s.")
                % {"email": user.email},
                messages.SUCCESS,
            )
        return self._back(application)

    def reject_view(self, request, pk):
        application = self._decidable(request, pk)
        form = ApplicationRejectForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                applications.application_reject(
                    application=application,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                self.message_user(request, error.messages[0], messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("Rejected. The reason is being mailed to the applicant."),
                    messages.SUCCESS,
                )
            return self._back(application)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "application": application,
            "form": form,
            "title": _("Reject the application"),
        }
        return TemplateResponse(
            request, "admin/members/membershipapplication/reject.html", context
        )

    @admin.action(description=gettext_lazy("Approve the selected applications"))
    def approve(self, request, queryset):
        approved = 0
        for application in queryset.filter(status=MembershipApplication.Status.PENDING):
            try:
                applications.application_approve(
                    application=application, actor=request.user
                )
            except ValidationError as error:
                self.message_user(
                    request, f"{application}: {error.messages[0]}", messages.ERROR
                )
            else:
                approved += 1
        self.message_user(
            request,
            _("%(count)s applications approved.") % {"count": approved},
            messages.SUCCESS,
        )


@admin.register(DirectorySettings)
class DirectorySettingsAdmin(ModelAdmin):
    """One row of settings: the list page opens it, nobody adds or deletes."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        settings = DirectorySettings.load()
        return redirect(
            reverse("admin:members_directorysettings_change", args=[settings.pk])
        )


@admin.register(User)
class UserAdmin(ModelAdmin):
    form = UserAdminForm
    list_display = ["email", "display_name", "organisation", "role", "is_active"]
    list_filter = ["is_active", RoleFilter, MailBouncingFilter]
    search_fields = ["email", "display_name", "organisation__name"]
    list_select_related = ["organisation__prefecture"]
    autocomplete_fields = ["organisation"]
    readonly_fields = ["is_active", "last_login", "date_joined"]
    fields = [
        "email",
        "display_name",
        "department",
        "organisation",
        "role",
        "is_active",
        "last_login",
        "date_joined",
        "mail_mode",
        "mail_encoding",
        # Cleared by the office once the address works again.
        "mail_bouncing_since",
    ]
    actions = ["deactivate_with_handover", "deactivate", "reactivate"]
    inlines = [AccessChangeInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_urls(self):
        return [
            path(
                "handover/",
                self._office_view(self.handover_view),
                name="members_user_handover",
            ),
            *super().get_urls(),
        ]

    def _office_view(self, view):
        admin_view = self.admin_site.admin_view(view)

        # Signed-in people who are not the office get 403 rather than the
        # admin's sign-in page.
        @wraps(admin_view)
        def checked(request, *args, **kwargs):
            if request.user.is_authenticated and not permissions.is_office_staff(
                request.user
            ):
                raise PermissionDenied
            return admin_view(request, *args, **kwargs)

        return checked

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_hand_over": permissions.is_office_staff(request.user),
        }
        return super().changelist_view(request, extra_context)

    def handover_view(self, request):
        """The April batch: upload leavers and successors, check, apply."""
        if request.method == "POST" and "token" in request.POST:
            return self._handover_apply(request)
        form = HandoverCsvForm(
            request.POST if request.method == "POST" else None, request.FILES or None
        )
        if request.method == "POST" and form.is_valid():
            return self._handover_preview(
                request,
                form.cleaned_data["plan"],
                text=form.cleaned_data["text"],
                encoding=form.cleaned_data["encoding"],
            )
        return TemplateResponse(
            request,
            "admin/members/user/handover_form.html",
            self._handover_context(
                request,
                title=_("Hand over and turn off leavers (CSV)"),
                form=form,
                leaver_column=handover.LEAVER_COLUMN,
                successor_column=handover.SUCCESSOR_COLUMN,
            ),
        )

    def _handover_context(self, request, **context):
        return {**self.admin_site.each_context(request), "opts": self.opts, **context}

    def _handover_preview(self, request, plan, *, text, encoding):
        token = secrets.token_urlsafe(16)
        request.session[HANDOVER_SESSION_KEY] = {
            "token": token,
            "text": text,
            "encoding": encoding,
        }
        return TemplateResponse(
            request,
            "admin/members/user/handover_preview.html",
            self._handover_context(
                request,
                title=_("Check the hand-over"),
                plan=plan,
                encoding=encoding,
                form=HandoverApplyForm(initial={"token": token}),
            ),
        )

    def _handover_apply(self, request):
        pending = request.session.get(HANDOVER_SESSION_KEY)
        form = HandoverApplyForm(request.POST, pending=pending)
        if not form.is_valid():
            for message in form.errors.get("token", []):
                messages.error(request, message)
            return redirect("admin:members_user_handover")
        try:
            plan = handover.handover_apply(text=pending["text"], actor=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return self._handover_preview(
                request,
                handover.handover_plan(text=pending["text"]),
                text=pending["text"],
                encoding=pending["encoding"],
            )
        del request.session[HANDOVER_SESSION_KEY]
        messages.success(
            request,
            _("%(count)s accounts were turned off and handed over.")
            % {"count": len(plan.lines)},
        )
        return redirect("admin:members_user_changelist")

    def has_delete_permission(self, request, obj=None):
        # People who leave are turned off; their posts keep their author.
        return False

    @admin.display(description=gettext_lazy("role"))
    def role(self, obj):
        names = [group.name for group in obj.groups.all()]
        return ", ".join(
            str(permissions.ROLE_LABELS[name])
            for name in names
            if name in permissions.ROLE_LABELS
        )

    def save_model(self, request, obj, form, change):
        if not change:
            # A new account is an invitation: it gets a set-your-password mail.
            invited = accounts.staff_invite(
                organisation=obj.organisation,
                email=obj.email,
                display_name=obj.display_name,
                department=obj.department,
                actor=request.user,
                role=form.cleaned_data["role"],
            )
            obj.pk = invited.pk
            obj.refresh_from_db()
        else:
            # Name, department and phone change through the same service as
            # the person's own profile page, so the change is recorded.
            stored = User.objects.get(pk=obj.pk)
            profile = {
                field: getattr(obj, field)
                for field in User.PROFILE_FIELDS
                if field in form.changed_data
            }
            for field in profile:
                setattr(obj, field, getattr(stored, field))
            super().save_model(request, obj, form, change)
            profiles.user_update_profile(user=obj, actor=request.user, changes=profile)
            accounts.user_set_role(
                user=obj, role=form.cleaned_data["role"], actor=request.user
            )
            obj.refresh_from_db()

    @admin.action(
        description=gettext_lazy("Turn off the selected accounts"),
        permissions=["change"],
    )
    def deactivate(self, request, queryset):
        for user in queryset.filter(is_active=True):
            try:
                accounts.staff_deactivate(user=user, actor=request.user)
            except ValidationError as error:
                self.message_user(request, error.messages[0], messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("The account of %(name)s has been turned off.")
                    % {"name": user.display_name},
                    messages.SUCCESS,
                )

    @admin.action(
        description=gettext_lazy(
            "Turn off the selected accounts, handing over to a colleague"
        ),
        permissions=["change"],
    )
    def deactivate_with_handover(self, request, queryset):
        """Choose each leaver's colleague on a page of its own, then apply
        all at once: nothing is changed if one of them cannot be."""
        leavers = list(
            queryset.filter(is_active=True)
            .select_related("organisation__prefecture")
            .order_by("organisation__name", "display_name")
        )
        forms = [
            (
                leaver,
                StaffDeactivateForm(
                    request.POST if "apply" in request.POST else None,
                    leaver=leaver,
                    prefix=f"u{leaver.pk}",
                ),
            )
            for leaver in leavers
        ]
        if "apply" in request.POST and all(form.is_valid() for _, form in forms):
            try:
                with transaction.atomic():
                    for leaver, form in forms:
                        accounts.staff_deactivate(
                            user=leaver,
                            actor=request.user,
                            successor=form.cleaned_data["successor"],
                        )
            except ValidationError as error:
                for message in error.messages:
                    self.message_user(request, message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(count)s accounts were turned off and handed over.")
                    % {"count": len(forms)},
                    messages.SUCCESS,
                )
                return None
        return TemplateResponse(
            request,
            "admin/members/user/deactivate_handover.html",
            self._handover_context(
                request,
                title=_("Turn off and hand over"),
                forms=forms,
                action_checkbox_name=admin.helpers.ACTION_CHECKBOX_NAME,
            ),
        )

    @admin.action(
        description=gettext_lazy("Turn the selected accounts back on"),
        permissions=["change"],
    )
    def reactivate(self, request, queryset):
        for user in queryset.filter(is_active=False):
            accounts.staff_reactivate(user=user, actor=request.user)
            self.message_user(
                request,
                _("The account of %(name)s has been turned back on.")
                % {"name": user.display_name},
                messages.SUCCESS,
            )


class RecordAdmin(ModelAdmin):
    """A record of what happened: shown in admin, never added, edited or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SignInEvent)
class SignInEventAdmin(RecordAdmin):
    """The sign-in record, for the office to look into; nobody edits it."""

    list_display = ["at", "outcome", "email", "user", "ip_address", "user_agent"]
    list_filter = [SignInFailureFilter, "outcome", "at"]
    search_fields = ["email", "user__email"]
    # No date hierarchy: its list of years reads the time of every record;
    # the "at" filter picks today, the last 7 days, this month or year.
    list_select_related = ["user__organisation__prefecture"]
    fields = ["at", "outcome", "email", "user", "ip_address", "user_agent"]
    readonly_fields = fields


class ProfileChangeStatusFilter(admin.SimpleListFilter):
    """Waiting changes first: the list opens on what needs a decision."""

    title = gettext_lazy("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return ProfileChange.Status.choices

    def queryset(self, request, queryset):
        if self.value() in ProfileChange.Status.values:
            return queryset.filter(status=self.value())
        return queryset


@admin.register(ProfileChange)
class ProfileChangeAdmin(ModelAdmin):
    """Introductions waiting for the office: approve, or reject with a reason."""

    list_display = ["organisation", "submitted_by", "submitted_at", "status"]
    list_filter = [ProfileChangeStatusFilter]
    list_select_related = ["organisation__prefecture", "submitted_by__organisation"]
    search_fields = ["organisation__name", "organisation__kana"]
    fields = [
        "organisation",
        "current_text",
        "text",
        "submitted_by",
        "submitted_at",
        "status",
        "decided_by",
        "decided_at",
        "reason",
    ]
    readonly_fields = fields
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("introduction shown now"))
    def current_text(self, obj):
        return obj.organisation.profile

    @admin.action(
        description=gettext_lazy("Approve the selected introductions"),
        permissions=["change"],
    )
    def approve(self, request, queryset):
        approved = 0
        for change in queryset.pending():
            profiles.profile_change_approve(change=change, actor=request.user)
            approved += 1
        self.message_user(
            request,
            _("%(count)s introductions approved.") % {"count": approved},
            messages.SUCCESS,
        )

    @admin.action(
        description=gettext_lazy("Reject the selected introductions"),
        permissions=["change"],
    )
    def reject(self, request, queryset):
        form = ProfileChangeRejectForm(
            request.POST if "reason" in request.POST else None
        )
        if form.is_valid():
            rejected = 0
            for change in queryset.pending():
                profiles.profile_change_reject(
                    change=change,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
                rejected += 1
            self.message_user(
                request,
                _("%(count)s introductions rejected. The reason is being mailed.")
                % {"count": rejected},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "changes": queryset.pending().select_related("organisation__prefecture"),
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "title": _("Reject introductions"),
        }
        return TemplateResponse(
            request, "admin/members/profilechange/reject.html", context
        )
