from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import ListView, View

from members.common.views import form_errors

from .. import permissions, selectors
from ..services import drafts

# How often the page saves a changed draft by itself (static/js/drafts.js).
AUTOSAVE_SECONDS = 20


def saved_text(draft):
    """「下書きを保存しました 10:42」"""
    time = timezone.localtime(draft.updated_at)
    return _("Draft saved %(time)s") % {"time": f"{time:%H:%M}"}


def draft_form_context(draft):
    """What a post form shows of its draft and needs for autosave."""
    return {
        "draft": draft,
        "draft_status": saved_text(draft) if draft is not None else "",
        "autosave_seconds": AUTOSAVE_SECONDS,
    }


class DraftSaveMixin:
    """The 「下書き保存」 button of a post form, and the page's autosave.

    Without JavaScript the button sends the whole form, files included,
    and the form comes back with the draft in it. The autosave sends the
    same fields but no files and asks for JSON (Accept: application/json).
    """

    def saving_draft(self):
        return self.request.method == "POST" and "save_draft" in self.request.POST

    def wants_json(self):
        return "application/json" in self.request.headers.get("Accept", "")

    def store_draft(self, form):
        """Call drafts.draft_save with the form; return the draft."""
        raise NotImplementedError

    def draft_refused(self, form, **extra):
        """The form again, with what was typed and why it was not saved."""
        if self.wants_json():
            return JsonResponse(
                {
                    "message": _("The draft could not be saved."),
                    "errors": form.errors.get_json_data(),
                },
                status=400,
            )
        return self.render_to_response(self.get_context_data(form=form, **extra))

    def save_draft(self, form, **extra):
        if form.is_valid():
            try:
                draft = self.store_draft(form)
            except ValidationError as error:
                form_errors(form, error)
            else:
                return self.draft_saved(draft)
        return self.draft_refused(form, **extra)

    def draft_saved(self, draft):
        text = saved_text(draft)
        if self.wants_json():
            return JsonResponse(
                {"draft": draft.pk, "message": text, "url": draft.get_absolute_url()}
            )
        messages.success(self.request, text)
        return redirect(draft.get_absolute_url())


class DraftListView(ListView):
    """The person's own drafts, to resume or delete."""

    template_name = "boards/draft_list.html"
    context_object_name = "drafts"
    paginate_by = 30

    def get_queryset(self):
        return selectors.drafts_of(self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            keep_days=settings.RENKEI_DRAFT_KEEP_DAYS, **kwargs
        )


class DraftDeleteView(View):
    """Delete one's own draft (POST only, from the list)."""

    def post(self, request, *args, **kwargs):
        draft = permissions.access_draft(request.user, kwargs["pk"])
        drafts.draft_delete(draft=draft, actor=request.user)
        messages.success(request, _("The draft has been deleted."))
        return redirect("boards:draft_list")
