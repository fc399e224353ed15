from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from members.common.eras import fiscal_year_start
from members.common.views import RenderedInTransactionMixin

from .. import mail_addresses, permissions, selectors
from ..forms import (
    ADDRESSED_TYPES,
    DETAIL_FORMS,
    AddressingForm,
    AnnouncementForm,
    FiscalYearForm,
    ReplyForm,
    ThreadDraftForm,
    ThreadForm,
    ThreadPageForm,
    draft_values,
)
from ..models import (
    Post,
    ThreadType,
)
from ..models.threads import PAGE_POSTS_LIMIT
from ..pagination import decode_cursor, keyset_page
from ..services import collaboration, drafts, posts
from ..services.collaboration import DETAIL_MODELS
from .collaboration import collaboration_context
from .drafts import DraftSaveMixin, draft_form_context
from .registrations import registration_context

POSTS_PER_PAGE = PAGE_POSTS_LIMIT
THREADS_PER_PAGE = 30
NEW_THREADS_SHOWN = 15


def page_of(position):
    """Thread page (1-based) on which the post at `position` appears."""
    return position // POSTS_PER_PAGE + 1


class BoardHomeView(RenderedInTransactionMixin, TemplateView):
    """Categories with counts, and what is new since the last visit."""

    template_name = "boards/home.html"

    def get(self, request, *args, **kwargs):
        self.since = posts.board_visit(user=request.user)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user = self.request.user
        since = self.since
        # Read first: the lists below filter by these categories' ids.
        categories = permissions.readable_category_list(user)
        latest = selectors.thread_rows(user, limit=NEW_THREADS_SHOWN)
        # What is new since the last visit is the start of the latest
        # threads, in the same order: one query for both lists.
        new_threads = (
            []
            if since is None
            else [thread for thread in latest if thread.last_activity_at > since]
        )
        return super().get_context_data(
            categories=categories,
            new_threads=new_threads,
            # With nothing new, the latest threads are still worth a look.
            latest_threads=[] if new_threads else latest,
            since=since,
            important_announcements=selectors.important_unread(user),
            is_ward=user.organisation.kind == "special_ward",
            **kwargs,
        )


class CategoryView(RenderedInTransactionMixin, TemplateView):
    """A category's threads, pinned first, then by latest activity."""

    template_name = "boards/category.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        category = permissions.access_category(user, self.kwargs["slug"])
        can_start = permissions.can_start_thread(user, category)
        year_form = FiscalYearForm(self.request.GET)
        year = year_form.year()
        created = (
            None
            if year is None
            else (fiscal_year_start(year), fiscal_year_start(year + 1))
        )
        before = decode_cursor(self.request.GET.get("before", ""))
        after = decode_cursor(self.request.GET.get("after", ""))
        first_page = before is None and after is None
        page = keyset_page(
            lambda limit: selectors.thread_rows(
                user,
                category=category,
                pinned=False,
                created=created,
                before=before,
                after=after,
                limit=limit,
            ),
            before=before,
            after=after,
            size=THREADS_PER_PAGE,
        )
        is_watching, organisation_follows = selectors.category_follows(user, category)
        return super().get_context_data(
            category=category,
            pinned=selectors.thread_rows(
                user, category=category, pinned=True, created=created
            )
            if first_page
            else [],
            page=page,
            year_form=year_form,
            year=year,
            can_export=permissions.can_export_collaborations(user)
            and category.thread_type == ThreadType.PROPOSAL,
            can_start=can_start,
            mail_address=mail_addresses.category_address(category)
            if can_start and category.accepts_mail and mail_addresses.enabled()
            else "",
            is_watching=is_watching,
            organisation_follows=organisation_follows,
            **kwargs,
        )


class ThreadCreateView(DraftSaveMixin, FormView):
    """Start a thread; the category's type adds its own fields and addressing.

    ?draft=<id> (a hidden field once posted) resumes a saved draft.
    """

    form_class = ThreadForm
    template_name = "boards/thread_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.category = permissions.access_category(request.user, kwargs["slug"])
        if not permissions.can_start_thread(request.user, self.category):
            raise PermissionDenied
        self.draft = self.get_draft()
        return super().dispatch(request, *args, **kwargs)

    def get_draft(self):
        query = self.request.POST if self.request.method == "POST" else self.request.GET
        number = query.get("draft")
        if not number:
            return None
        draft = permissions.access_draft(self.request.user, number)
        if draft.category_id != self.category.pk:
            raise Http404
        return draft

    def get_form_class(self):
        return ThreadDraftForm if self.saving_draft() else ThreadForm

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "pdf_required": self.category.thread_type == ThreadType.PAMPHLET,
            "draft": self.draft,
        }

    def get_initial(self):
        if self.draft is None:
            return {}
        return {"title": self.draft.title, "body": self.draft.body}

    def extra_forms(self):
        data = self.request.POST if self.request.method == "POST" else None
        draft = self.draft
        thread_type = self.category.thread_type
        forms = {}
        if thread_type in DETAIL_FORMS:
            forms["details_form"] = DETAIL_FORMS[thread_type](
                data, prefix="details", initial=draft.details if draft else None
            )
        if thread_type in ADDRESSED_TYPES:
            # Announcements may go to nobody in particular.
            forms["addressing_form"] = AddressingForm(
                data,
                prefix="to",
                optional=thread_type == ThreadType.ANNOUNCEMENT,
                initial={"all_wards": draft.all_wards, "wards": draft.ward_ids}
                if draft
                else None,
            )
        return forms

    def get_context_data(self, **kwargs):
        if "details_form" not in kwargs and "addressing_form" not in kwargs:
            kwargs.update(self.extra_forms())
        return super().get_context_data(
            category=self.category, **draft_form_context(self.draft), **kwargs
        )

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        extra = self.extra_forms()
        if self.saving_draft():
            return self.save_draft(form, **extra)
        if form.is_valid() and all(f.is_valid() for f in extra.values()):
            return self.form_valid(form, **extra)
        return self.render_to_response(self.get_context_data(form=form, **extra))

    def store_draft(self, form):
        extra = self.extra_forms()
        details = extra.get("details_form")
        addressing = extra.get("addressing_form")
        to = draft_values(addressing) if addressing else {}
        return drafts.draft_save(
            user=self.request.user,
            category=self.category,
            draft=self.draft,
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            details=draft_values(details) if details else {},
            ward_ids=to.get("wards", ()),
            all_wards=to.get("all_wards", False),
            uploads=form.cleaned_data["attachments"],
            remove=form.cleaned_data.get("remove_files") or (),
        )

    def form_valid(self, form, details_form=None, addressing_form=None):
        details = {}
        important = mail_everyone = False
        if isinstance(details_form, AnnouncementForm):
            important = details_form.cleaned_data["is_important"]
            mail_everyone = details_form.cleaned_data["mail_everyone"]
        elif details_form is not None:
            details = details_form.cleaned_data
        addressing = addressing_form.cleaned_data if addressing_form else {}
        try:
            # The draft goes with the posting, or stays if it fails.
            with transaction.atomic():
                thread = collaboration.thread_start(
                    category=self.category,
                    author=self.request.user,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    uploads=[
                        *drafts.draft_file_uploads(form.kept_files()),
                        *form.cleaned_data["attachments"],
                    ],
                    details=details,
                    wards=addressing.get("wards") or (),
                    all_wards=addressing.get("all_wards", False),
                    important=important,
                    mail_everyone=mail_everyone,
                )
                if self.draft is not None:
                    drafts.draft_delete(draft=self.draft, actor=self.request.user)
        except ValidationError as error:
            # e.g. the attachments could not be written (boards.attachments).
            form.add_error(None, error)
            extra = {"details_form": details_form, "addressing_form": addressing_form}
            return self.render_to_response(
                self.get_context_data(
                    form=form, **{k: v for k, v in extra.items() if v is not None}
                )
            )
        messages.success(self.request, _("Your thread has been posted."))
        return redirect("boards:thread", pk=thread.pk)


class ThreadView(RenderedInTransactionMixin, TemplateView):
    """One page of a thread; a first visit jumps to the first unread post.

    The page is read, and rendered, before the read marker is written: a
    request that has written reads the primary from then on
    (config/db_router.py), so a page that writes last is read whole from
    the replica when there is one.
    """

    template_name = "boards/thread.html"

    def get(self, request, *args, **kwargs):
        user = request.user
        thread = selectors.thread_page(kwargs["pk"])
        # A merged thread's posts are in the other thread now.
        if (target := selectors.merged_into(thread)) is not None:
            return redirect("boards:thread", pk=target)
        if not permissions.can_view_thread(user, thread):
            raise Http404
        marks = selectors.reader_marks(user, thread)
        thread.last_read = marks.last_read
        thread.is_watching = marks.is_watching
        thread.has_reply_draft = marks.has_reply_draft
        thread.organisation_follows = marks.organisation_follows
        self.thread = thread
        last_page = page_of(thread.last_position)
        if "page" not in request.GET and thread.last_read is not None:
            first_unread = thread.last_read + 1
            if first_unread <= thread.last_position:
                url = reverse("boards:thread", args=[thread.pk])
                return redirect(
                    f"{url}?page={page_of(first_unread)}#post-{first_unread}"
                )
        page_form = ThreadPageForm(request.GET)
        page = page_form.cleaned_data["page"] if page_form.is_valid() else None
        self.page_number = min(max(page or 1, 1), last_page)
        self.last_page = last_page
        self.read_up_to = None
        response = super().get(request, *args, **kwargs)
        if self.read_up_to is not None:
            posts.thread_mark_read(thread=thread, user=user, position=self.read_up_to)
        return response

    def get_context_data(self, **kwargs):
        user = self.request.user
        thread = self.thread
        page_posts = _posts_on_page(thread, user, self.page_number)
        last_read = thread.last_read if thread.last_read is not None else -1
        if page_posts and page_posts[-1].position > last_read:
            self.read_up_to = page_posts[-1].position
        can_reply = permissions.can_reply(user, thread)
        return super().get_context_data(
            thread=thread,
            posts=page_posts,
            page_number=self.page_number,
            last_page=self.last_page,
            page_range=list(
                Paginator(
                    range(thread.last_position + 1), POSTS_PER_PAGE
                ).get_elided_page_range(self.page_number)
            ),
            ellipsis=Paginator.ELLIPSIS,
            can_reply=can_reply,
            **self.reply_form(can_reply),
            first_unread=(thread.last_read + 1)
            if thread.last_read is not None
            else None,
            **collaboration_context(user, thread),
            **registration_context(user, thread),
            is_moderator=permissions.can_moderate(user),
            can_edit_details=thread.category.thread_type in DETAIL_MODELS
            and permissions.can_edit_thread_details(user, thread),
            can_close=permissions.can_close_thread(user, thread),
            **kwargs,
        )

    def reply_form(self, can_reply):
        """The reply form at the end of the last page, with the person's draft."""
        if not can_reply or self.page_number != self.last_page:
            return {"reply_form": None}
        draft = (
            selectors.reply_draft(self.request.user, self.thread)
            if self.thread.has_reply_draft
            else None
        )
        initial = {"body": draft.body, "quoted": draft.quoted_id} if draft else {}
        return {
            "reply_form": ReplyForm(initial=initial, draft=draft),
            **draft_form_context(draft),
        }


def _posts_on_page(thread, user, page_number):
    """The posts on a thread page, each with what the user may do to it."""
    start = (page_number - 1) * POSTS_PER_PAGE
    page_posts = Post.objects.page_rows(thread.pk, start, start + POSTS_PER_PAGE)
    for post in page_posts:
        post.thread = thread
        post.can_edit = permissions.can_edit_post(user, post)
        post.can_read = permissions.can_read_post(user, post)
        post.can_report = permissions.can_report(user, post)
    return page_posts
