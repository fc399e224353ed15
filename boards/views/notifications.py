from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import FormView, ListView

from .. import mail, permissions, selectors
from ..forms import NotificationSettingsForm, WatchForm
from ..models import Notification
from ..services import notifications, watching


class NotificationListView(ListView):
    """A person's notifications, newest first; opening one marks it read."""

    template_name = "boards/notification_list.html"
    context_object_name = "notifications"
    paginate_by = 30

    def get_queryset(self):
        return selectors.notifications_of(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for notification in context["notifications"]:
            notification.text = selectors.describe(notification)
        return context


def notification_open(request, pk):
    """Mark one notification read and go to what it is about."""
    notification = get_object_or_404(
        Notification.objects.filter(user=request.user), pk=pk
    )
    notifications.notification_mark_read(notification=notification)
    if notification.post_id:
        return redirect("boards:post", pk=notification.post_id)
    return redirect("boards:thread", pk=notification.thread_id)


class NotificationReadAllView(View):
    def post(self, request):
        notifications.notifications_mark_all_read(user=request.user)
        messages.success(request, _("All notifications are marked as read."))
        return redirect("boards:notification_list")


class NotificationSettingsView(FormView):
    """Choose how board mail comes: mode, encoding, and each kind's frequency."""

    form_class = NotificationSettingsForm
    template_name = "boards/notification_settings.html"

    def get_initial(self):
        user = self.request.user
        return {
            "mail_mode": user.mail_mode,
            "mail_encoding": user.mail_encoding,
            "organisation_news": user.organisation_news,
            **selectors.mail_frequencies(user),
        }

    def get_form_kwargs(self):
        organisation = self.request.user.organisation
        return {
            **super().get_form_kwargs(),
            "organisation_encoding": organisation.mail_encoding,
        }

    def form_valid(self, form):
        notifications.notification_settings_update(
            user=self.request.user,
            frequencies=form.frequencies(),
            mail_mode=form.cleaned_data["mail_mode"],
            mail_encoding=form.cleaned_data["mail_encoding"],
            organisation_news=form.cleaned_data["organisation_news"],
        )
        messages.success(self.request, _("Your notification settings are saved."))
        return redirect("boards:notification_settings")


def _watch_from_form(request, *, redirect_to, **target):
    form = WatchForm(request.POST)
    if form.is_valid() and form.cleaned_data["watch"]:
        watching.watch(user=request.user, **target)
        messages.success(request, _("Followed. New posts will be notified."))
    else:
        watching.unwatch(user=request.user, **target)
        messages.success(request, _("Stopped following."))
    return redirect(redirect_to)


class ThreadWatchView(View):
    def post(self, request, pk):
        thread = permissions.access_thread(request.user, pk)
        return _watch_from_form(
            request, thread=thread, redirect_to=reverse("boards:thread", args=[pk])
        )


class CategoryWatchView(View):
    def post(self, request, slug):
        category = permissions.access_category(request.user, slug)
        return _watch_from_form(
            request,
            category=category,
            redirect_to=reverse("boards:category", args=[slug]),
        )


def _organisation_watch_from_form(request, *, redirect_to, **target):
    if not permissions.can_follow_for_organisation(request.user):
        raise PermissionDenied
    organisation = request.user.organisation
    form = WatchForm(request.POST)
    if form.is_valid() and form.cleaned_data["watch"]:
        watching.organisation_watch(
            organisation=organisation, actor=request.user, **target
        )
        messages.success(
            request,
            _(
                "Your organisation now follows this. Its staff who take news "
                "of the organisation are notified."
            ),
        )
    else:
        watching.organisation_unwatch(organisation=organisation, **target)
        messages.success(request, _("Your organisation no longer follows this."))
    return redirect(redirect_to)


class OrganisationThreadWatchView(View):
    """Our organisation follows a thread (or stops), for all its staff."""

    def post(self, request, pk):
        thread = permissions.access_thread(request.user, pk)
        return _organisation_watch_from_form(
            request, thread=thread, redirect_to=reverse("boards:thread", args=[pk])
        )


class OrganisationCategoryWatchView(View):
    """Our organisation follows a category (or stops), for all its staff."""

    def post(self, request, slug):
        category = permissions.access_category(request.user, slug)
        return _organisation_watch_from_form(
            request,
            category=category,
            redirect_to=reverse("boards:category", args=[slug]),
        )


# The link comes from a mail and works without signing in; its signature
# is what proves it, so mail clients may POST to it (RFC 8058) without a
# CSRF token.
@method_decorator([login_not_required, csrf_exempt], name="dispatch")
class UnsubscribeView(View):
    template_name = "boards/notification_unsubscribe.html"

    def dispatch(self, request, token):
        self.checked = mail.unsubscribe_check(token)
        if self.checked is None:
            return render(request, self.template_name, {"invalid": True}, status=400)
        return super().dispatch(request, token)

    def respond(self, *, done):
        person, kinds = self.checked
        return render(
            self.request,
            self.template_name,
            {"person": person, "kinds": [kind.label for kind in kinds], "done": done},
        )

    def get(self, request, token):
        return self.respond(done=False)

    def post(self, request, token):
        user, kinds = self.checked
        notifications.unsubscribe(user=user, kinds=kinds)
        return self.respond(done=True)
