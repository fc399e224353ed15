"""Board search: words in titles, bodies and file names, plus filters."""

import html
from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef
from django.utils.html import strip_tags
from django.utils.safestring import SafeString
from django.views.generic import ListView

from members.common.views import RenderedInTransactionMixin

from .. import search
from ..forms import SearchForm
from ..models import Attachment, Post


@dataclass
class Result:
    post: Post
    title: SafeString
    snippet: SafeString
    files: list[SafeString]


def _plain_text(post):
    """The post as people read it, without Markdown or HTML."""
    return " ".join(html.unescape(strip_tags(post.body_html)).split())


class SearchView(RenderedInTransactionMixin, ListView):
    """Posts with every word typed, most relevant first, narrowed by filters."""

    template_name = "boards/search.html"
    context_object_name = "posts"
    paginate_by = 20

    def get(self, request, *args, **kwargs):
        self.form = SearchForm(request.GET or None, user=request.user)
        self.filters = self.form.cleaned_data if self.form.is_valid() else {}
        self.words = self.filters.get("q", "")
        self.searching = any(self.filters.values())
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if not self.searching:
            return []
        return search.find_post_ids(user=self.request.user, filters=self.filters)

    def paginate_queryset(self, queryset, page_size):
        """A page number out of range shows the nearest page, not a 404."""
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        shown = list(page.object_list)
        # The files' names only, in the posts' own query.
        file_names = (
            Attachment.objects.filter(post=OuterRef("pk"))
            .order_by("pk")
            .values("original_name")
        )
        posts = (
            Post.objects.filter(pk__in=shown)
            .select_related("thread__category", "author", "organisation__prefecture")
            .annotate(file_names=ArraySubquery(file_names))
            .defer("body", "search_vector")
            .in_bulk()
        )
        page.object_list = [posts[pk] for pk in shown if pk in posts]
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        terms = search.search_terms(self.words)
        results = [
            Result(
                post=post,
                title=search.highlight(post.thread.title, terms),
                snippet=search.highlight(_plain_text(post), terms),
                files=[search.highlight(name, terms) for name in post.file_names],
            )
            for post in context["posts"]
        ]
        return {
            **context,
            "form": self.form,
            "results": results,
            "searching": self.searching,
            "ranked": bool(self.words),
            "result_limit": search.RESULT_LIMIT,
        }
