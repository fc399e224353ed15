"""CSV export and import of the member list in the organisation admin."""

import secrets
from functools import wraps

from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.contrib.admin.options import IS_POPUP_VAR, IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import csv_io
from .forms import MemberCsvApplyForm, MemberCsvImportForm
from .models import MembershipStatus
from .services import imports

# The previewed file waits here until it is applied: one import per session.
SESSION_KEY = "members_csv_import"


class OrganisationCsvAdminMixin:
    """Office tools: export the member list, import one after a preview.

    Both need the change permission on organisations (office staff).
    """

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "export/",
                self._csv_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            path(
                "import/",
                self._csv_view(self.import_view),
                name="{}_{}_import".format(*info),
            ),
            *super().get_urls(),
        ]

    def _csv_view(self, view):
        admin_view = self.admin_site.admin_view(view)

        # Signed-in people without the permission get 403 rather than the
        # admin's sign-in page.
        @wraps(admin_view)
        def checked(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_change_permission(
                request
            ):
                raise PermissionDenied
            return admin_view(request, *args, **kwargs)

        return checked

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        # Added here, so the admin's own `actions` list need not name it.
        actions = super().get_actions(request, action_location=action_location)
        if IS_POPUP_VAR not in request.GET and self.has_change_permission(request):
            action = self.get_action("export_selected_csv", action_location)
            if action is not None:
                actions[action.name] = action
        return actions

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_transfer_csv": self.has_change_permission(request),
        }
        return super().changelist_view(request, extra_context)

    # ----- export -----

    @admin.action(description=gettext_lazy("Export the selected organisations as CSV"))
    def export_selected_csv(self, request, queryset):
        return self._csv_response(queryset)

    def export_view(self, request):
        """The organisations of the changelist, with its filters and search."""
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            messages.error(request, _("The filters of the list are not valid."))
            return redirect("admin:members_organisation_changelist")
        return self._csv_response(changelist.get_queryset(request))

    def _csv_response(self, queryset):
        filename = _("members-%(date)s.csv") % {
            "date": timezone.localdate().strftime("%Y%m%d")
        }
        return HttpResponse(
            csv_io.export_members_csv(queryset),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": content_disposition_header(True, filename)},
        )

    # ----- import -----

    def import_view(self, request):
        """Upload a member list, then apply it after looking at the preview."""
        if request.method == "POST" and "token" in request.POST:
            return self._import_apply(request)
        if request.method != "POST":
            return self._import_form(request, MemberCsvImportForm())
        form = MemberCsvImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._import_form(request, form)
        return self._import_preview(
            request,
            form.cleaned_data["plan"],
            text=form.cleaned_data["text"],
            filename=form.cleaned_data["file"].name,
            encoding=form.cleaned_data["encoding"],
            mode=form.cleaned_data["mode"],
        )

    def _import_form(self, request, form):
        return TemplateResponse(
            request,
            "admin/members/organisation/import_form.html",
            self._import_context(
                request,
                title=_("Import a member list"),
                form=form,
                required_columns=[
                    csv_io.COLUMNS[key] for key in csv_io.REQUIRED_COLUMNS
                ],
                optional_columns=[
                    csv_io.COLUMNS[key] for key in csv_io.OPTIONAL_COLUMNS
                ],
                status_column=csv_io.COLUMNS["membership_status"],
                member_label=MembershipStatus.MEMBER.label,
            ),
        )

    def _import_preview(self, request, plan, *, text, filename, encoding, mode):
        token = secrets.token_urlsafe(16)
        request.session[SESSION_KEY] = {
            "token": token,
            "text": text,
            "filename": filename,
            "encoding": encoding,
            "fingerprint": plan.fingerprint(),
        }
        counts = {
            label: plan.count(action) for action, label in csv_io.ACTION_LABELS.items()
        }
        return TemplateResponse(
            request,
            "admin/members/organisation/import_preview.html",
            self._import_context(
                request,
                title=_("Check the import"),
                plan=plan,
                counts=counts,
                rejected=plan.rejected,
                applicable=plan.count(csv_io.CREATE) + plan.count(csv_io.UPDATE),
                filename=filename,
                encoding=encoding,
                form=MemberCsvApplyForm(initial={"token": token, "mode": mode}),
            ),
        )

    def _import_apply(self, request):
        pending = request.session.get(SESSION_KEY)
        form = MemberCsvApplyForm(request.POST, pending=pending)
        if not form.is_valid():
            for message in form.non_field_errors():
                messages.error(request, message)
            return redirect("admin:members_organisation_import")
        plan, mode = form.cleaned_data["plan"], form.cleaned_data["mode"]
        preview = {
            "text": pending["text"],
            "filename": pending["filename"],
            "encoding": pending.get("encoding", ""),
            "mode": mode,
        }
        if form.cleaned_data["plan_changed"]:
            messages.warning(
                request,
                _(
                    "The member data changed after the preview was made. Check "
                    "this new preview, then import again."
                ),
            )
            return self._import_preview(request, plan, **preview)
        try:
            result = imports.organisation_import_apply(
                plan=plan, actor=request.user, mode=mode
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return self._import_preview(request, plan, **preview)
        del request.session[SESSION_KEY]
        self._import_report(request, result)
        return redirect("admin:members_organisation_changelist")

    def _import_report(self, request, result):
        messages.success(
            request,
            _(
                "Import finished. New members: %(created)s; updated: "
                "%(updated)s; unchanged: %(unchanged)s; rejected and skipped: "
                "%(rejected)s."
            )
            % {
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "rejected": result.rejected,
            },
        )
        for line, message in result.failed:
            messages.error(
                request,
                _("Line %(line)s was not imported: %(error)s")
                % {"line": line, "error": message},
            )

    def _import_context(self, request, **context):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            **context,
        }
