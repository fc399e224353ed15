"""Board search: words in titles, bodies and file names, plus filters."""

import datetime
import html
from dataclasses import dataclass

from django.contrib.postgres.search import SearchRank
from django.db.models import F, FloatField, Q, Value
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.safestring import SafeString
from django.views.generic import ListView

from .. import permissions, search
from ..forms import SearchForm
from ..models import Post
from ..page_cache import CachedPageMixin

# Searches look at the newest RESULT_LIMIT matches only. Ranking and
# counting every post that contains a common word (防災 is in a large share
# of them) would read each one's search vector; the newest thousand are
# found quickly through the date index or the GIN index, whichever is
# cheaper. The page then says 「1,000件以上」.
RESULT_LIMIT = 1000
# Matches are looked for in the newest posts first: those of the last 30
# days, then back to 90 days, then the rest, each span only when the newer
# ones held fewer than RESULT_LIMIT. A frequent phrase (観光物産展) is then
# checked in a thousand or two recent posts instead of in every post that
# has its bigrams. For phrases and several words the recent spans are found
# through the day key of the search index (search.created_since), which
# costs a few ms per span for rare words, more the longer the span: hence
# no span of a year. A single common word is read newest first instead.
RECENT_DAYS = (30, 90)


@dataclass
class Result:
    post: Post
    title: SafeString
    snippet: SafeString
    files: list[SafeString]


def _day_start(day):
    """Midnight at the start of a day, Tokyo time."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _filtered_posts(user, filters):
    posts = permissions.visible_posts(
        user,
        permissions.posts_in_visible_threads(
            user, Post.objects.filter(is_deleted=False)
        ),
    )
    if category := filters.get("category"):
        posts = posts.filter(thread__category=category)
    if organisation := filters.get("organisation"):
        posts = posts.filter(organisation=organisation)
    if prefecture := filters.get("prefecture"):
        # A prefecture's own posts count as posts from that prefecture.
        posts = posts.filter(
            Q(organisation__prefecture=prefecture) | Q(organisation=prefecture)
        )
    if date_from := filters.get("date_from"):
        posts = posts.filter(created_at__gte=_day_start(date_from))
    if date_to := filters.get("date_to"):
        posts = posts.filter(
            created_at__lt=_day_start(date_to + datetime.timedelta(days=1))
        )
    return posts


def _plain_text(post):
    """The post as people read it, without Markdown or HTML."""
    return " ".join(html.unescape(strip_tags(post.body_html)).split())


class SearchView(CachedPageMixin, ListView):
    """Posts with every word typed, most relevant first, narrowed by filters."""

    template_name = "boards/search.html"
    context_object_name = "posts"
    paginate_by = 20

    def get(self, request, *args, **kwargs):
        self.form = SearchForm(request.GET or None)
        self.filters = self.form.cleaned_data if self.form.is_valid() else {}
        self.words = self.filters.get("q", "")
        self.searching = any(self.filters.values())
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        """The ids of the matches, most relevant first: one query.

        The rank is computed in the same query as the matches, on the search
        vectors already read to check them; only the page shown is loaded.
        """
        if not self.searching:
            return []
        matches = _filtered_posts(self.request.user, self.filters)
        if self.words:
            query = search.tsquery(self.words)
            matches = matches.filter(search.Matches(F("search_vector"), query))
            rank = SearchRank(F("search_vector"), query)
        else:
            rank = Value(0.0, output_field=FloatField())
        newest = (
            matches.annotate(rank=rank)
            .order_by("-created_at", "-pk")
            .values_list("pk", "created_at", "rank")
        )
        through_search_index = bool(self.words) and not search.well_estimated(
            self.words
        )
        today, spans, end = timezone.now().astimezone(datetime.UTC).date(), [], None
        for days in RECENT_DAYS:
            start = today - datetime.timedelta(days=days)
            span = newest.filter(
                search.created_since(start, through_search_index=through_search_index)
            )
            spans.append(span.filter(created_at__lt=end) if end else span)
            end = search.utc_day_start(start)
        spans.append(newest.filter(created_at__lt=end))
        # PostgreSQL reads a span only when the newer ones gave fewer rows
        # than the limit (the LIMIT stops the UNION ALL).
        first, *others = (span[:RESULT_LIMIT] for span in spans)
        found = list(first.union(*others, all=True)[:RESULT_LIMIT])
        found.sort(key=lambda row: (row[2], row[1], row[0]), reverse=True)
        return [pk for pk, _created_at, _rank in found]

    def paginate_queryset(self, queryset, page_size):
        """A page number out of range shows the nearest page, not a 404."""
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        shown = list(page.object_list)
        posts = (
            Post.objects.filter(pk__in=shown)
            .select_related("thread__category", "author", "organisation__prefecture")
            .prefetch_related("attachments")
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
                files=[
                    search.highlight(attachment.original_name, terms)
                    for attachment in post.attachments.all()
                ],
            )
            for post in context["posts"]
        ]
        return {
            **context,
            "form": self.form,
            "results": results,
            "searching": self.searching,
            "ranked": bool(self.words),
            "result_limit": RESULT_LIMIT,
        }
