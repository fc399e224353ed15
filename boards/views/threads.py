from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from .. import permissions, services
from ..forms import ReplyForm, ThreadForm
from ..models import Category, Post, Thread
from ..pagination import decode_cursor, keyset_page

POSTS_PER_PAGE = 30
THREADS_PER_PAGE = 30
NEW_THREADS_SHOWN = 15


def page_of(position):
    """Thread page (1-based) on which the post at `position` appears."""
    return position // POSTS_PER_PAGE + 1


class BoardHomeView(TemplateView):
    """Categories with counts, and what is new since the last visit."""

    template_name = "boards/home.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        since = services.board_visit(user=user)
        threads = (
            permissions.visible_threads(user, Thread.objects.all())
            .for_listing()
            .with_read_state(user)
            .by_activity()
        )
        new_threads = []
        if since is not None:
            new_threads = list(
                threads.filter(last_activity_at__gt=since)[:NEW_THREADS_SHOWN]
            )
        return super().get_context_data(
            categories=Category.objects.all(),
            new_threads=new_threads,
            # With nothing new, the latest threads are still worth a look.
            latest_threads=[] if new_threads else threads[:NEW_THREADS_SHOWN],
            since=since,
            **kwargs,
        )


class CategoryView(TemplateView):
    """A category's threads, pinned first, then by latest activity."""

    template_name = "boards/category.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        category = get_object_or_404(Category, slug=self.kwargs["slug"])
        threads = (
            permissions.visible_threads(user, category.threads.all())
            .for_listing()
            .with_read_state(user)
        )
        before = decode_cursor(self.request.GET.get("before", ""))
        after = decode_cursor(self.request.GET.get("after", ""))
        first_page = before is None and after is None
        page = keyset_page(
            threads.filter(is_pinned=False),
            before=before,
            after=after,
            size=THREADS_PER_PAGE,
        )
        return super().get_context_data(
            category=category,
            pinned=list(threads.filter(is_pinned=True).by_activity())
            if first_page
            else [],
            page=page,
            can_start=permissions.can_start_thread(user, category),
            **kwargs,
        )


class ThreadCreateView(FormView):
    form_class = ThreadForm
    template_name = "boards/thread_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.category = get_object_or_404(Category, slug=kwargs["slug"])
        if not permissions.can_start_thread(request.user, self.category):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(category=self.category, **kwargs)

    def form_valid(self, form):
        thread = services.thread_create(
            category=self.category,
            author=self.request.user,
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            uploads=form.cleaned_data["attachments"],
        )
        messages.success(self.request, _("Your thread has been posted."))
        return redirect("boards:thread", pk=thread.pk)


class ThreadView(TemplateView):
    """One page of a thread; a first visit jumps to the first unread post."""

    template_name = "boards/thread.html"

    def get(self, request, *args, **kwargs):
        user = request.user
        thread = get_object_or_404(
            Thread.objects.select_related("category").with_read_state(user),
            pk=kwargs["pk"],
        )
        if not permissions.can_view_thread(user, thread):
            raise Http404
        self.thread = thread
        last_page = page_of(thread.last_position)
        if "page" not in request.GET and thread.last_read is not None:
            first_unread = thread.last_read + 1
            if first_unread <= thread.last_position:
                url = reverse("boards:thread", args=[thread.pk])
                return redirect(
                    f"{url}?page={page_of(first_unread)}#post-{first_unread}"
                )
        try:
            self.page_number = min(max(int(request.GET.get("page", 1)), 1), last_page)
        except ValueError:
            self.page_number = 1
        self.last_page = last_page
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user = self.request.user
        thread = self.thread
        start = (self.page_number - 1) * POSTS_PER_PAGE
        posts = list(
            Post.objects.filter(
                thread=thread, position__gte=start, position__lt=start + POSTS_PER_PAGE
            )
            .with_authors()
            .prefetch_related(Prefetch("quoted", Post.objects.with_authors()))
            .in_order()
        )
        for post in posts:
            post.thread = thread
            post.can_edit = permissions.can_edit_post(user, post)
        if posts:
            services.thread_mark_read(
                thread=thread, user=user, position=posts[-1].position
            )
        can_reply = permissions.can_reply(user, thread)
        return super().get_context_data(
            thread=thread,
            posts=posts,
            page_number=self.page_number,
            last_page=self.last_page,
            page_range=list(
                Paginator(
                    range(thread.last_position + 1), POSTS_PER_PAGE
                ).get_elided_page_range(self.page_number)
            ),
            ellipsis=Paginator.ELLIPSIS,
            can_reply=can_reply,
            reply_form=ReplyForm()
            if can_reply and self.page_number == self.last_page
            else None,
            first_unread=(thread.last_read + 1)
            if thread.last_read is not None
            else None,
            **kwargs,
        )
