"""Moderation on the board pages, and members' reports of posts.

Every action is a POST by a moderator; anyone else gets 403 before the
thread or post is even looked up.
"""

from functools import cached_property

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.generic import View

from members.common.views import ServiceFormView

from .. import permissions
from ..forms import (
    ModerationReasonForm,
    ReportForm,
    ThreadMergeForm,
    ThreadMoveForm,
    ThreadSplitForm,
)
from ..models import Post, Thread
from ..services import moderation
from .posts import post_url


class ModeratorRequiredMixin:
    """Ward and office staff only: 403 for everyone else."""

    def dispatch(self, request, *args, **kwargs):
        if not permissions.can_moderate(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _moderate(request, service, success_message, **target):
    """Run a service with the reason sent, and tell the moderator how it went."""
    form = ModerationReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["reason"][0])
        return
    try:
        service(**target, actor=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, success_message)


class ModerationActionView(ModeratorRequiredMixin, View):
    """Run one moderation service on a thread or post, then show it."""

    http_method_names = ["post"]
    model = None
    service = None
    success_message = ""

    def post(self, request, pk):
        target = get_object_or_404(self.model, pk=pk)
        _moderate(
            request,
            self.service,
            self.success_message,
            **{self.model._meta.model_name: target},
        )
        return redirect(self.shown_at(target))


class ThreadActionView(ModerationActionView):
    """Hide, restore, lock, unlock, pin or unpin a thread, then show it."""

    model = Thread

    def shown_at(self, thread):
        return reverse("boards:thread", kwargs={"pk": thread.pk})


class ThreadHideView(ThreadActionView):
    service = staticmethod(moderation.thread_hide)
    success_message = gettext_lazy("The thread is now hidden from members.")


class ThreadRestoreView(ThreadActionView):
    service = staticmethod(moderation.thread_restore)
    success_message = gettext_lazy("Members can see the thread again.")


class ThreadLockView(ThreadActionView):
    service = staticmethod(moderation.thread_lock)
    success_message = gettext_lazy("The thread is closed to new replies.")


class ThreadUnlockView(ThreadActionView):
    service = staticmethod(moderation.thread_unlock)
    success_message = gettext_lazy("The thread is open to replies again.")


class ThreadPinView(ThreadActionView):
    service = staticmethod(moderation.thread_pin)
    success_message = gettext_lazy("The thread is pinned to the top of its category.")


class ThreadUnpinView(ThreadActionView):
    service = staticmethod(moderation.thread_unpin)
    success_message = gettext_lazy("The thread is no longer pinned.")


class PostActionView(ModerationActionView):
    """Hide or restore a post, then show it in its thread."""

    model = Post

    def shown_at(self, post):
        return post_url(post)


class PostHideView(PostActionView):
    service = staticmethod(moderation.post_hide)
    success_message = gettext_lazy("The post is now hidden from members.")


class PostRestoreView(PostActionView):
    service = staticmethod(moderation.post_restore)
    success_message = gettext_lazy("Members can see the post again.")


class ThreadFormView(ModeratorRequiredMixin, ServiceFormView):
    """A moderation page with a form about one thread.

    The form's fields are the service's keyword arguments; the thread goes
    in as ``thread_argument``.
    """

    service = None
    thread_argument = "thread"

    @cached_property
    def thread(self):
        return get_object_or_404(
            Thread.objects.select_related("category"), pk=self.kwargs["pk"]
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "thread": self.thread}

    def get_context_data(self, **kwargs):
        return super().get_context_data(thread=self.thread, **kwargs)

    def act(self, form):
        data = form.cleaned_data
        thread = self.service(
            **{self.thread_argument: self.thread}, **data, actor=self.request.user
        )
        return reverse("boards:thread", kwargs={"pk": thread.pk})


class ThreadMoveView(ThreadFormView):
    form_class = ThreadMoveForm
    service = staticmethod(moderation.thread_move)
    template_name = "boards/thread_move.html"
    success_message = gettext_lazy("The thread has been moved.")


class ThreadSplitView(ThreadFormView):
    """The thread's replies with checkboxes; those chosen become a new thread."""

    form_class = ThreadSplitForm
    service = staticmethod(moderation.thread_split)
    template_name = "boards/thread_split.html"
    success_message = gettext_lazy(
        "The replies are now a thread of their own. This is the new thread."
    )


class ThreadMergeView(ThreadFormView):
    form_class = ThreadMergeForm
    service = staticmethod(moderation.thread_merge)
    thread_argument = "source"
    template_name = "boards/thread_merge.html"
    success_message = gettext_lazy(
        "The threads have been merged. This is the thread they are in now."
    )


class ReportCreateView(ServiceFormView):
    """A member reports a post to the moderators, with a reason."""

    form_class = ReportForm
    template_name = "boards/report_form.html"
    success_message = gettext_lazy(
        "Thank you. The moderators will look at the post you reported."
    )

    def dispatch(self, request, *args, **kwargs):
        self.reported = permissions.access_post(
            request.user, kwargs["pk"], for_report=True
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(post=self.reported, **kwargs)

    def act(self, form):
        data = form.cleaned_data
        moderation.report_create(
            post=self.reported, reporter=self.request.user, reason=data["reason"]
        )
        return post_url(self.reported)
