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
from django.utils.crypto import constant_time_compare
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import csv_io
from .forms import MemberCsvApplyForm, MemberCsvImportForm
from .models import MembershipStatus

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
            form = MemberCsvImportForm()
        else:
            form = MemberCsvImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                data = upload.read()
                try:
                    plan = csv_io.parse_member_csv(data)
                except ValidationError as error:
                    form.add_error("file", error)
                else:
                    return self._import_preview(
                        request,
                        plan,
                        text=data.decode("utf-8-sig"),
                        filename=upload.name,
                        mode=form.cleaned_data["mode"],
                    )
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

    def _import_preview(self, request, plan, *, text, filename, mode):
        token = secrets.token_urlsafe(16)
        request.session[SESSION_KEY] = {
            "token": token,
            "text": text,
            "filename": filename,
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
                form=MemberCsvApplyForm(initial={"token": token, "mode": mode}),
            ),
        )

    def _import_apply(self, request):
        form = MemberCsvApplyForm(request.POST)
        pending = request.session.get(SESSION_KEY)
        if not (
            form.is_valid()
            and pending
            and constant_time_compare(pending["token"], form.cleaned_data["token"])
        ):
            messages.error(
                request,
                _("This preview is no longer available. Upload the file again."),
            )
            return redirect("admin:members_organisation_import")
        mode = form.cleaned_data["mode"]
        text = pending["text"]
        # The file is read again: the registry or the members may have
        # changed since the preview.
        try:
            plan = csv_io.parse_member_csv(text.encode("utf-8"))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("admin:members_organisation_import")
        preview = {"text": text, "filename": pending["filename"], "mode": mode}
        if plan.fingerprint() != pending["fingerprint"]:
            messages.warning(
                request,
                _(
                    "The member data changed after the preview was made. Check "
                    "this new preview, then import again."
                ),
            )
            return self._import_preview(request, plan, **preview)
        try:
            result = csv_io.apply_plan(plan, user=request.user, mode=mode)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return self._import_preview(request, plan, **preview)
        del request.session[SESSION_KEY]
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
        return redirect("admin:members_organisation_changelist")

    def _import_context(self, request, **context):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            **context,
        }
