"""The board in Django admin: where ward and office staff moderate.

Every moderation step runs the service the board pages run
(boards.services.moderation), with a reason the moderator types, kept in
the moderation log and, if asked, mailed to the author. Steps that change
something go through a page of their own, as Django's delete
confirmation does; who may take them is boards.permissions.can_moderate.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import Action, ActionLocation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Exists, OuterRef, Value, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import linebreaks_filter
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from members.admin import (
    ConfirmationFilter,
    MailBouncingFilter,
    RecordAdmin,
    SignInFailureFilter,
)
from members.admin_lists import ModelAdmin
from members.common.eras import fiscal_year, format_fiscal_year
from members.common.views import form_errors
from members.models import MembershipApplication, Organisation, SignInEvent, User

from . import permissions
from .forms import (
    ModerationReasonForm,
    ThreadMergeForm,
    ThreadMoveForm,
    ThreadSplitForm,
)
from .models import (
    Addressee,
    Attachment,
    Attendee,
    Category,
    InboundMail,
    Inquiry,
    ModerationLog,
    ModeratorMailSetting,
    OrganisationGroup,
    Post,
    Proposal,
    RealisedCollaboration,
    Recipient,
    RegistrationSettings,
    Report,
    Thread,
)
from .services import moderation


def excerpt(text, length=80):
    return Truncator(" ".join(text.split())).chars(length)


@admin.register(Category)
class CategoryAdmin(ModelAdmin):
    list_display = [
        "name",
        "slug",
        "order",
        "starters",
        "readers",
        "reader_group",
        "accepts_mail",
        "thread_count",
        "last_activity_at",
    ]
    list_editable = ["order"]
    list_select_related = ["reader_group"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["thread_count", "post_count", "last_activity_at"]

    def has_delete_permission(self, request, obj=None):
        # Threads keep their category; empty a category before removing it.
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.thread_count == 0
        )


@admin.register(OrganisationGroup)
class OrganisationGroupAdmin(ModelAdmin):
    """Named groups of organisations, for categories only they read."""

    list_display = ["name"]
    search_fields = ["name"]
    filter_horizontal = ["organisations"]


# ----- moderation pages -----


class AdminModerationMixin:
    """In admin the moderator types the reason, and may mail it to the author."""

    def __init__(self, *args, reason_required=True, author_mail=True, **kwargs):
        super().__init__(*args, **kwargs)
        reason = self.fields["reason"]
        reason.required = reason_required
        reason.error_messages["required"] = _(
            "Write the reason: it is kept in the moderation log."
        )
        if author_mail:
            self.fields["notify_author"] = forms.BooleanField(
                label=_("Tell the author by mail"),
                required=False,
                help_text=_("The author is mailed what was done, with the reason."),
            )

    def service_arguments(self):
        """The service's keyword arguments from the form."""
        data = self.cleaned_data
        arguments = {"reason": data["reason"]}
        if "notify_author" in self.fields:
            arguments["notify_author"] = data["notify_author"]
        return arguments


class ModerationForm(AdminModerationMixin, ModerationReasonForm):
    """The reason for a moderation step, and whether to mail the author."""


class ReportHandleForm(AdminModerationMixin, ModerationReasonForm):
    """The moderator's note on a report, and who is told of it."""

    notify_reporter = forms.BooleanField(
        label=_("Tell the reporter by mail"),
        required=False,
        initial=True,
        help_text=_("The person who reported the post is mailed the outcome."),
    )
    field_order = ["reason", "notify_reporter", "notify_author"]

    def service_arguments(self):
        arguments = super().service_arguments()
        arguments["note"] = arguments.pop("reason")
        arguments["notify_reporter"] = self.cleaned_data["notify_reporter"]
        return arguments


class AdminThreadMoveForm(AdminModerationMixin, ThreadMoveForm):
    pass


class AdminThreadMergeForm(AdminModerationMixin, ThreadMergeForm):
    pass


class AdminThreadSplitForm(AdminModerationMixin, ThreadSplitForm):
    """The replies to split off: ticked, or every one from a number on."""

    from_position = forms.IntegerField(
        label=_("Or every reply from number"),
        required=False,
        min_value=0,
        help_text=_(
            "All replies from this number on move; 1 moves every reply "
            "(the whole thread but its opening post)."
        ),
    )
    field_order = ["title", "from_position", "posts", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["posts"].required = False

    def clean(self):
        data = super().clean()
        start = data.get("from_position")
        if start is None and not data.get("posts"):
            if "posts" not in self.errors:
                raise forms.ValidationError(
                    _("Choose the replies to move, or the number to split from."),
                    code="no_replies",
                )
            return data
        if start is not None:
            if start == 0:
                self.add_error(
                    "from_position",
                    forms.ValidationError(
                        _(
                            "The opening post stays with its thread; "
                            "split from number 1 or later."
                        ),
                        code="opening_post",
                    ),
                )
                return data
            replies = self.fields["posts"].queryset.filter(position__gte=start)
            if not replies.exists():
                self.add_error(
                    "from_position",
                    forms.ValidationError(
                        _("This thread has no replies from number %(number)s on.")
                        % {"number": start},
                        code="no_replies",
                    ),
                )
                return data
            data["posts"] = list(replies)
        return data

    def service_arguments(self):
        return {
            **super().service_arguments(),
            "title": self.cleaned_data["title"],
            "posts": self.cleaned_data["posts"],
        }


def admin_form(form):
    """A plain form laid out as admin lays out its own (one fieldset)."""
    return helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {})


@dataclass(frozen=True)
class Step:
    """One moderation step on rows of an admin: the service and its words."""

    service: Callable
    title: str
    done: str
    only: dict = field(default_factory=dict)
    reason_required: bool = True
    form_class: type = ModerationForm
    form_kwargs: dict = field(default_factory=dict)


class ModerationAdmin(ModelAdmin):
    """An admin whose rows moderators act on through pages with a reason.

    ``steps`` are offered as actions on the list and as buttons on a row's
    page; both lead to the same page, where the reason is typed.
    """

    steps: dict[str, Step] = {}
    change_form_template = "admin/boards/moderated_change_form.html"

    def has_moderate_permission(self, request):
        return permissions.can_moderate(request.user)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                f"<int:pk>/{name}/",
                self.admin_site.admin_view(self._step_view(name)),
                name="{}_{}_{}".format(*info, name),
            )
            for name in self.steps
        ] + super().get_urls()

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        # On a row's page the steps are buttons (moderation_links) instead.
        actions = super().get_actions(request, action_location=action_location)
        if (
            action_location == ActionLocation.CHANGE_LIST
            and self.has_moderate_permission(request)
        ):
            for name, step in self.steps.items():
                actions[f"step_{name}"] = Action(
                    func=self._step_action(name),
                    name=f"step_{name}",
                    description=step.title,
                    plural_description=step.title,
                    locations=[ActionLocation.CHANGE_LIST],
                )
        return actions

    def _step_action(self, name):
        def action(modeladmin, request, queryset):
            return modeladmin.step_page(request, queryset, name, from_list=True)

        return action

    def _step_view(self, name):
        def view(request, pk):
            if not self.has_moderate_permission(request):
                raise PermissionDenied
            obj = get_object_or_404(self.get_queryset(request), pk=pk)
            response = self.step_page(
                request, self.get_queryset(request).filter(pk=obj.pk), name
            )
            return response or redirect(self.change_url(obj))

        return view

    def change_url(self, obj):
        info = self.opts.app_label, self.opts.model_name
        return reverse("admin:{}_{}_change".format(*info), args=[obj.pk])

    # Relations a step's page shows for each row, read with the rows.
    step_related: tuple[str, ...] = ()

    def step_page(self, request, queryset, name, *, from_list=False):
        """The page of a step: the rows, the reason; run when sent."""
        step = self.steps[name]
        targets = list(
            queryset.filter(**step.only)
            .select_related(*self.step_related)
            .order_by("pk")
        )
        if not targets:
            self.message_user(
                request,
                gettext("None of the chosen rows needs this."),
                messages.WARNING,
            )
            return None
        sent = request.method == "POST" and "apply" in request.POST
        form = step.form_class(
            request.POST if sent else None,
            reason_required=step.reason_required,
            **step.form_kwargs,
        )
        if sent and form.is_valid():
            done = 0
            for target in targets:
                try:
                    step.service(
                        **{self.opts.model_name: target},
                        actor=request.user,
                        **form.service_arguments(),
                    )
                except ValidationError as error:
                    self.message_user(
                        request, f"{target}: {error.messages[0]}", messages.WARNING
                    )
                else:
                    done += 1
            if done:
                self.message_user(
                    request, step.done % {"count": done}, messages.SUCCESS
                )
            return None
        return TemplateResponse(
            request,
            "admin/boards/moderate.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": step.title,
                "targets": [self.describe(target) for target in targets],
                "form": form,
                "adminform": admin_form(form),
                "action": f"step_{name}" if from_list else None,
                "selected": [target.pk for target in targets],
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "back": None if from_list else self.change_url(targets[0]),
            },
        )

    def describe(self, obj):
        """What the step page says of a row it acts on."""
        return str(obj)

    def moderation_links(self, request, obj):
        """(label, url) of the steps the row's page offers."""
        if not self.has_moderate_permission(request):
            return []
        info = self.opts.app_label, self.opts.model_name
        model = type(obj)
        links = []
        for name, step in self.steps.items():
            if model.objects.filter(pk=obj.pk, **step.only).exists():
                links.append(
                    (
                        step.title,
                        reverse("admin:{}_{}_{}".format(*info, name), args=[obj.pk]),
                    )
                )
        return links

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        links = self.moderation_links(request, obj) if obj is not None else []
        # Rows change only through the steps: nothing to save on the page.
        return super().change_view(
            request,
            object_id,
            form_url,
            {
                "moderation_links": links,
                "show_save": False,
                "show_save_and_continue": False,
                "show_save_and_add_another": False,
                **(extra_context or {}),
            },
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


def unanswered_threads(queryset):
    """Threads addressed to wards that no ward has answered for N days.

    N is settings.RENKEI_UNANSWERED_DAYS. Hidden and locked threads, and
    proposals already realised or closed, wait for nobody.
    """
    since = timezone.now() - timedelta(days=settings.RENKEI_UNANSWERED_DAYS)
    addressees = Addressee.objects.filter(thread=OuterRef("pk"))
    return (
        queryset.filter(
            Exists(addressees),
            is_hidden=False,
            is_locked=False,
            created_at__lte=since,
        )
        .exclude(
            Exists(
                addressees.exclude(
                    state__in=[Addressee.State.UNREAD, Addressee.State.READ]
                )
            )
        )
        .exclude(
            proposal__status__in=[Proposal.Status.REALISED, Proposal.Status.CLOSED]
        )
    )


class UnansweredFilter(admin.SimpleListFilter):
    title = _("answers of the wards")
    parameter_name = "unanswered"

    def lookups(self, request, model_admin):
        return [
            (
                "yes",
                _("No ward has answered for %(days)s days")
                % {"days": settings.RENKEI_UNANSWERED_DAYS},
            )
        ]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return unanswered_threads(queryset)
        return queryset


@admin.register(Thread)
class ThreadAdmin(ModerationAdmin):
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
    list_filter = [
        "category",
        "is_pinned",
        "is_locked",
        "is_hidden",
        UnansweredFilter,
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["title", "organisation__name"]
    list_select_related = ["category", "organisation__prefecture"]
    list_joined = ("category",)
    # No date hierarchy: its list of years reads the date of every thread.
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
    # The flags change only through the moderation steps, which log them.
    readonly_fields = fields
    inlines = [PostInline]
    steps = {
        "hide": Step(
            moderation.thread_hide,
            _("Hide from members"),
            _("%(count)s threads hidden."),
            only={"is_hidden": False},
        ),
        "restore": Step(
            moderation.thread_restore,
            _("Show to members again"),
            _("%(count)s threads shown again."),
            only={"is_hidden": True},
        ),
        "lock": Step(
            moderation.thread_lock,
            _("Close to new replies"),
            _("%(count)s threads closed to new replies."),
            only={"is_locked": False},
            reason_required=False,
        ),
        "unlock": Step(
            moderation.thread_unlock,
            _("Reopen to replies"),
            _("%(count)s threads reopened."),
            only={"is_locked": True},
            reason_required=False,
        ),
        "pin": Step(
            moderation.thread_pin,
            _("Pin"),
            _("%(count)s threads pinned."),
            only={"is_pinned": False},
            reason_required=False,
        ),
        "unpin": Step(
            moderation.thread_unpin,
            _("Unpin"),
            _("%(count)s threads unpinned."),
            only={"is_pinned": True},
            reason_required=False,
        ),
    }
    # Pages about one thread with more to choose than a reason.
    thread_pages = {
        "move": (
            AdminThreadMoveForm,
            moderation.thread_move,
            "thread",
            _("Move to another category"),
            _("The thread has been moved."),
        ),
        "split": (
            AdminThreadSplitForm,
            moderation.thread_split,
            "thread",
            _("Split replies off into a new thread"),
            _("The replies are now a thread of their own. This is the new thread."),
        ),
        "merge": (
            AdminThreadMergeForm,
            moderation.thread_merge,
            "source",
            _("Merge into another thread"),
            _("The threads have been merged. This is the thread they are in now."),
        ),
    }

    def has_add_permission(self, request):
        # Threads are started on the board, where files and counts are handled.
        return False

    def get_urls(self):
        return [
            path(
                f"<int:pk>/{name}/",
                self.admin_site.admin_view(self._thread_page(name)),
                name=f"boards_thread_{name}",
            )
            for name in self.thread_pages
        ] + super().get_urls()

    def moderation_links(self, request, obj):
        links = super().moderation_links(request, obj)
        if links and not obj.is_hidden:
            links += [
                (
                    title,
                    reverse(f"admin:boards_thread_{name}", args=[obj.pk]),
                )
                for name, (*_rest, title, _done) in self.thread_pages.items()
            ]
        return links

    def _thread_page(self, name):
        form_class, service, argument, title, done = self.thread_pages[name]

        def view(request, pk):
            if not self.has_moderate_permission(request):
                raise PermissionDenied
            thread = get_object_or_404(
                self.get_queryset(request).select_related("category"), pk=pk
            )
            sent = request.method == "POST"
            form = form_class(request.POST if sent else None, thread=thread)
            if sent and form.is_valid():
                arguments = form.service_arguments()
                if name == "move":
                    arguments["category"] = form.cleaned_data["category"]
                if name == "merge":
                    arguments["target"] = form.cleaned_data["target"]
                try:
                    result = service(
                        **{argument: thread}, actor=request.user, **arguments
                    )
                except ValidationError as error:
                    form_errors(form, error)
                else:
                    self.message_user(request, done, messages.SUCCESS)
                    return redirect(self.change_url(result))
            return TemplateResponse(
                request,
                f"admin/boards/thread_{name}.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.opts,
                    "title": title,
                    "thread": thread,
                    "form": form,
                    "adminform": admin_form(form),
                    "back": self.change_url(thread),
                    **self._page_extra(request, name, thread),
                },
            )

        return view

    def _page_extra(self, request, name, thread):
        """The split page lists the replies; the merge page finds threads."""
        if name == "split":
            return {"posts_total": thread.reply_count}
        if name == "merge":
            words = request.GET.get("q", "").strip()[:100]
            found = []
            if words:
                found = list(
                    Thread.objects.filter(title__icontains=words, is_hidden=False)
                    .exclude(pk=thread.pk)
                    .select_related("category")
                    .order_by("-last_activity_at", "-pk")[:20]
                )
            return {"search_words": words, "found": found}
        return {}


class AttachmentInline(admin.TabularInline):
    model = Attachment
    fields = ["original_name", "kind", "content_type", "size", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Post)
class PostAdmin(ModerationAdmin):
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
    steps = {
        "hide": Step(
            moderation.post_hide,
            _("Hide the post from members"),
            _("%(count)s posts hidden."),
            only={"is_hidden": False, "is_deleted": False},
        ),
        "restore": Step(
            moderation.post_restore,
            _("Show the post to members again"),
            _("%(count)s posts shown again."),
            only={"is_hidden": True},
        ),
    }

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
class ReportAdmin(ModerationAdmin):
    """The queue of reported posts: open ones first, oldest first."""

    list_display = [
        "reported_post",
        "post_excerpt",
        "reason_excerpt",
        "reporter",
        "created_at",
        "post_state",
        "status",
    ]
    # reported_post is itself a link (to the post on the board), which may
    # not sit inside the link to the report.
    list_display_links = ["post_excerpt"]
    list_filter = ["status"]
    search_fields = ["reason", "post__body", "post__thread__title"]
    list_select_related = [
        "post__thread",
        "post__author__organisation__prefecture",
        "reporter__organisation__prefecture",
    ]
    ordering = [
        Case(When(status=Report.Status.OPEN, then=Value(0)), default=Value(1)),
        "created_at",
        "pk",
    ]
    fields = [
        "reported_post",
        "post_shown",
        "reason",
        "reporter",
        "created_at",
        "status",
        "handled_by",
        "handled_at",
        "note",
    ]
    # Reports are closed only through the steps, so each one is logged.
    readonly_fields = fields
    steps = {
        "hide": Step(
            moderation.report_resolve_hiding,
            _("Resolve (hide the post)"),
            _("%(count)s reports resolved; their posts are hidden."),
            only={"status": Report.Status.OPEN, "post__is_hidden": False},
            form_class=ReportHandleForm,
        ),
        "resolve": Step(
            moderation.report_resolve,
            _("Resolve"),
            _("%(count)s reports resolved."),
            only={"status": Report.Status.OPEN},
            form_class=ReportHandleForm,
            form_kwargs={"author_mail": False},
        ),
        "dismiss": Step(
            moderation.report_dismiss,
            _("Dismiss"),
            _("%(count)s reports dismissed."),
            only={"status": Report.Status.OPEN},
            form_class=ReportHandleForm,
            form_kwargs={"author_mail": False},
        ),
    }

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # Joined on a step's page and the change page only: the list reads
    # the posts by the page's keys (members.admin_lists).
    step_related = ("post__thread", "post__author__organisation__prefecture")

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj = (
                type(obj)
                ._base_manager.select_related(*self.step_related)
                .get(pk=obj.pk)
            )
        return obj

    def describe(self, report):
        return f"{report.post} — {excerpt(report.reason, 60)}"

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

    @admin.display(description=_("the post now"))
    def post_state(self, report):
        post = report.post
        if post.is_deleted:
            return gettext("Deleted by its author")
        if post.is_hidden:
            return gettext("Hidden")
        return gettext("Shown to members")

    @admin.display(description=_("the reported post"))
    def post_shown(self, report):
        post = report.post
        return format_html(
            '<div class="reported-post"><p><strong>{}</strong> {}<br>{} · '
            '<a href="{}">{}</a> · <a href="{}">{}</a></p>'
            '<p class="reported-post__state">{}: {}</p>'
            '<div class="reported-post__body">{}</div></div>',
            post.author.signature,
            timezone.localtime(post.created_at).strftime("%Y-%m-%d %H:%M"),
            f"{post.thread.title} #{post.position}",
            reverse("boards:post", args=[post.pk]),
            gettext("See it on the board"),
            reverse("admin:boards_post_change", args=[post.pk]),
            gettext("See it in admin"),
            gettext("the post now"),
            self.post_state(report),
            linebreaks_filter(post.body, autoescape=True),
        )


class ModeratorMailSettingForm(forms.ModelForm):
    class Meta:
        model = ModeratorMailSetting
        fields = ["reports"]


@admin.register(ModeratorMailSetting)
class ModeratorMailSettingAdmin(ModelAdmin):
    """Each moderator's own choice of mail; the list opens one's own row."""

    form = ModeratorMailSettingForm

    def has_view_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or obj.user_id == request.user.pk
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(user=request.user)

    def changelist_view(self, request, extra_context=None):
        if not self.has_change_permission(request):
            raise PermissionDenied
        setting, _created = ModeratorMailSetting.objects.get_or_create(
            user=request.user
        )
        return redirect(
            reverse("admin:boards_moderatormailsetting_change", args=[setting.pk])
        )

    def save_model(self, request, obj, form, change):
        moderation.moderator_mail_set(user=request.user, reports=obj.reports)


# ----- the yearly list of realised collaborations -----


class CollaborationListAdmin(ModelAdmin):
    """Part of the office's 連携事業一覧 (boards.exports); the office's role
    holds the permissions (members.permissions)."""

    @admin.display(description=_("fiscal year"))
    def year(self, obj):
        return obj.realised_on and format_fiscal_year(fiscal_year(obj.realised_on))


@admin.register(RealisedCollaboration)
class RealisedCollaborationAdmin(CollaborationListAdmin):
    """Collaborations that did not start on the board, entered by the office."""

    list_display = ["title", "realised_on", "year", "field"]
    list_filter = ["field", ("realised_on", admin.DateFieldListFilter)]
    search_fields = ["title", "note"]
    filter_horizontal = ["wards", "partners"]
    fields = ["title", "realised_on", "field", "wards", "partners", "note"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Each choice is named with its prefecture (石川県七尾市).
        kwargs["queryset"] = (
            db_field.remote_field.model.objects.with_prefecture()
            .complex_filter(db_field.remote_field.limit_choices_to)
            .order_by("code", "pk")
        )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class ProposalRealisedFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Proposal.Status.choices

    def queryset(self, request, queryset):
        if self.value() in Proposal.Status.values:
            return queryset.filter(status=self.value())
        return queryset


@admin.register(Proposal)
class ProposalAdmin(CollaborationListAdmin):
    """Proposals from the board; the office corrects the day one was realised."""

    list_display = ["thread", "status", "field", "realised_on", "year"]
    list_filter = [ProposalRealisedFilter, "field"]
    search_fields = ["thread__title"]
    list_select_related = ["thread"]
    fields = ["thread", "status", "field", "realised_on"]

    def get_readonly_fields(self, request, obj=None):
        # Only a realised proposal has a day it was realised.
        if obj is not None and obj.status == Proposal.Status.REALISED:
            return ["thread", "status", "field"]
        return self.fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "realised_on" in form.base_fields:
            form.base_fields["realised_on"].required = True
        return form

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# ----- the start page -----


@dataclass(frozen=True)
class Figure:
    """A number on the admin's start page, linking to the rows it counts."""

    label: str
    count: int
    url: str


def _figure(request, model, label, queryset, query):
    model_admin = admin.site._registry[model]
    if not model_admin.has_view_or_change_permission(request):
        return None
    info = model._meta.app_label, model._meta.model_name
    url = reverse("admin:{}_{}_changelist".format(*info)) + "?" + query
    return Figure(label=label, count=queryset.count(), url=url)


def start_figures(request):
    """What waits for the office and moderators, each a link to its rows.

    One query per figure, and only the figures whose list the person may
    open.
    """
    figures = [
        _figure(
            request,
            MembershipApplication,
            _("Membership applications waiting for a decision"),
            MembershipApplication.objects.filter(
                status=MembershipApplication.Status.PENDING
            ),
            "status=pending",
        ),
        _figure(
            request,
            Organisation,
            _("Members that have not confirmed their contact details this year"),
            ConfirmationFilter.unconfirmed(Organisation.objects.all()),
            "confirmation=unconfirmed",
        ),
        _figure(
            request,
            Report,
            _("Reported posts waiting for a moderator"),
            Report.objects.filter(status=Report.Status.OPEN),
            "status__exact=open",
        ),
        _figure(
            request,
            Thread,
            _("Addressed threads no ward has answered for %(days)s days")
            % {"days": settings.RENKEI_UNANSWERED_DAYS},
            unanswered_threads(Thread.objects.all()),
            "unanswered=yes",
        ),
        _figure(
            request,
            User,
            _("People whose mail bounces"),
            MailBouncingFilter.bouncing(User.objects.all()),
            "bouncing=yes",
        ),
        _figure(
            request,
            SignInEvent,
            _("Failed sign-ins today"),
            SignInFailureFilter.failed_today(SignInEvent.objects.all()),
            "failures=today",
        ),
    ]
    return [figure for figure in figures if figure is not None]


_site_index = admin.site.index


def index_with_figures(request, extra_context=None):
    """The admin's start page, with what waits to be done on top."""
    return _site_index(
        request,
        extra_context={"figures": start_figures(request), **(extra_context or {})},
    )


# Like the admin's login and view guards (config/urls.py), replaced on the
# one site before its URLs are read.
admin.site.index = index_with_figures


@admin.register(ModerationLog)
class ModerationLogAdmin(RecordAdmin):
    """Who did what, when and why; a record, so nobody edits it."""

    list_display = ["created_at", "actor", "action", "thread", "post", "reason"]
    list_filter = [
        "action",
        ("actor", admin.RelatedOnlyFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["reason"]
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
    list_filter = [
        "status",
        "attendance",
        ("registered_at", admin.DateFieldListFilter),
    ]
    search_fields = ["name", "department", "event__thread__title"]
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
    list_filter = ["status", "audience", ("deadline_on", admin.DateFieldListFilter)]
    search_fields = ["reference", "title"]
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
    list_filter = [
        "result",
        "reason",
        "channel",
        ("received_at", admin.DateFieldListFilter),
    ]
    search_fields = ["from_address", "recipient", "subject", "message_id"]
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
