from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.generic import View

from .. import markdown
from ..services import inbound


class MailThreadConfirmView(View):
    """The sender of a thread by mail checks it and posts it, once.

    The link is signed and mailed to the sender's own address; only the
    sender, signed in, sees the page: to anyone else it does not exist.
    """

    template_name = "boards/mail_thread_confirm.html"

    def dispatch(self, request, *args, **kwargs):
        self.inbound = inbound.mail_thread_find(kwargs["token"])
        if self.inbound is None or self.inbound.user_id != request.user.pk:
            raise Http404
        if self.inbound.result == inbound.Result.POSTED:
            messages.info(request, _("This thread has been posted already."))
            return redirect("boards:thread", self.inbound.thread_id)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        return self.render(request)

    def post(self, request, *args, **kwargs):
        try:
            thread = inbound.mail_thread_confirm(
                inbound=self.inbound, actor=request.user
            )
        except ValidationError as error:
            return self.render(request, errors=error.messages)
        messages.success(request, _("Your thread has been posted."))
        return redirect("boards:thread", thread.pk)

    def render(self, request, errors=()):
        draft = inbound.mail_thread_draft(self.inbound)
        return render(
            request,
            self.template_name,
            {
                "category": self.inbound.category,
                "title": inbound.mail_thread_title(draft),
                "body_html": markdown.render(draft.text),
                "attachments": draft.attachments,
                "errors": errors,
            },
        )
