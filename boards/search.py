"""Japanese full-text search with character bigrams.

PostgreSQL's parsers do not split Japanese into words, and trigram indexes
cannot serve one- or two-character words (防災, 森). So every run of letters
and digits is indexed as overlapping two-character lexemes with positions,
plus its last character alone; a query becomes a phrase of its bigrams
(防災訓練 → '防災' <-> '災訓' <-> '訓練'), or a prefix match for a single
character. The result is an exact substring match on NFKC-normalised,
lower-cased text, so ＡＢＣ finds abc and ｶﾀｶﾅ finds カタカナ.
"""

import datetime
import functools
import unicodedata

from django.contrib.postgres.search import SearchQueryField, SearchRank
from django.db.models import DateField, F, FloatField, Func, Lookup, Q, Value
from django.db.models.functions import Cast
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from . import permissions

# tsvector limits: positions stop at 16,383 and 256 are kept per lexeme.
MAX_POSITION = 16383
MAX_POSITIONS_PER_LEXEME = 256

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
# through the day key of the search index (created_since), which costs a
# few ms per span for rare words, more the longer the span: hence no span
# of a year. A single common word is read newest first instead.
RECENT_DAYS = (30, 90)


def normalise(text):
    return unicodedata.normalize("NFKC", text).lower()


def _runs(text):
    run = []
    for character in normalise(text):
        if character.isalnum():
            run.append(character)
        elif run:
            yield "".join(run)
            run = []
    if run:
        yield "".join(run)


def _quote(lexeme):
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def bigram_tsvector(*texts, title=""):
    """The tsvector literal of some texts, as bigram lexemes with positions.

    Lexemes from `title` carry weight A, so ts_rank puts title matches first.
    """
    position = 0
    lexemes = {}
    for text, weight in [(title, "A"), *((text, "") for text in texts)]:
        for run in _runs(text):
            grams = [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]
            for gram in grams:
                position += 1
                if position <= MAX_POSITION:
                    lexemes.setdefault(gram, []).append(f"{position}{weight}")
            # A gap, so a phrase never spans two runs.
            position += 1
    return " ".join(
        f"{_quote(gram)}:{','.join(positions[:MAX_POSITIONS_PER_LEXEME])}"
        for gram, positions in lexemes.items()
    )


def bigram_tsquery(query):
    """The tsquery for what a person typed; "" when there is nothing to find."""
    parts = []
    for run in _runs(query):
        if len(run) == 1:
            parts.append(f"{_quote(run)}:*")
        else:
            parts.append(
                " <-> ".join(_quote(run[i : i + 2]) for i in range(len(run) - 1))
            )
    return " & ".join(f"({part})" for part in parts)


def search_terms(query):
    """The normalised words of a query, for highlighting."""
    return list(_runs(query))


def tsquery(query):
    """What a person typed as a tsquery expression, for Matches and SearchRank.

    A cast rather than to_tsquery(): to_tsquery() would parse each bigram
    again and could split it, while the cast takes the lexemes as written.
    """
    return Cast(Value(bigram_tsquery(query)), SearchQueryField())


class UTCDay(Func):
    """The UTC day of a moment: (timezone('UTC', t))::date.

    Unlike the moment itself it is immutable, so it can be a key of the
    search index next to the words (btree_gin); only conditions written with
    it (created_since) use that key. A day, not the moment: GIN reads every
    distinct key of a span, and a year holds 365 days but many more moments.
    """

    template = "(timezone('UTC', %(expressions)s))::date"
    output_field = DateField()


def created_since(day, *, through_search_index):
    """Posts created on or after a UTC day.

    Through the search index's day key, or as a plain condition that the
    date index serves, for a query PostgreSQL estimates well (well_estimated):
    it then reads a frequent word's posts newest first and stops early.
    """
    if through_search_index:
        return GreaterThanOrEqual(UTCDay("created_at"), Value(day))
    return Q(created_at__gte=utc_day_start(day))


def well_estimated(query):
    """Whether PostgreSQL knows how many posts a query matches.

    A single bigram (or character) has statistics of its own. A phrase or
    several words are guessed by multiplying their parts' frequencies, far
    too few for common ones (観光物産展, 防災 訓練).
    """
    runs = list(_runs(query))
    return len(runs) == 1 and len(runs[0]) <= 2


def utc_day_start(day):
    """The moment a UTC day starts, to compare with created_at."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


class Matches(Lookup):
    """tsvector @@ tsquery, usable directly in filter()."""

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} @@ {rhs}", (*lhs_params, *rhs_params)


@functools.lru_cache(maxsize=4096)
def _joins_previous(character):
    """Whether NFKC joins a character to the one before (ﾞ after ｶ is ガ)."""
    normalised = unicodedata.normalize("NFKC", character)
    return bool(normalised) and unicodedata.combining(normalised[0]) != 0


# Pieces are mostly single characters: the same few thousand again and again.
_normalise_piece = functools.lru_cache(maxsize=4096)(normalise)


def _normalise_mapped(text):
    """normalise(text), with the span of text each normalised character is from.

    NFKC changes lengths (ｶﾞ → ガ, ㈱ → (株)), so offsets found in the
    normalised text are mapped back to the characters people wrote.
    """
    characters = []
    origins = []
    start = 0
    for end in range(1, len(text) + 1):
        if end < len(text) and _joins_previous(text[end]):
            continue
        for character in _normalise_piece(text[start:end]):
            characters.append(character)
            origins.append((start, end))
        start = end
    return "".join(characters), origins


def _match_spans(text, terms):
    """Sorted, non-overlapping (start, end) spans of text that match a term."""
    normalised = normalise(text)
    if normalised == text:
        # Already normal: offsets need no mapping.
        origins = None
    else:
        normalised, origins = _normalise_mapped(text)
    spans = []
    for term in terms:
        found = normalised.find(term)
        while found != -1:
            if origins is None:
                spans.append((found, found + len(term)))
            else:
                spans.append((origins[found][0], origins[found + len(term) - 1][1]))
            found = normalised.find(term, found + 1)
    merged = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text, terms, width=120):
    """About width characters of text around the first match, as safe HTML.

    The text is escaped first and only then are the matches wrapped in
    <mark>, so nothing in it can become markup.
    """
    spans = _match_spans(text, terms)
    start = 0
    if spans:
        # A little context before the first match; at the end of the text,
        # start earlier so the excerpt stays width characters long.
        start = max(0, min(spans[0][0] - width // 4, len(text) - width))
    end = min(len(text), start + width)
    parts = ["…" if start else ""]
    position = start
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, position), min(span_end, end)
        if span_start >= span_end:
            continue
        parts.append(escape(text[position:span_start]))
        parts.append(format_html("<mark>{}</mark>", text[span_start:span_end]))
        position = span_end
    parts.append(escape(text[position:end]))
    parts.append("…" if end < len(text) else "")
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped above


def _day_start(day):
    """Midnight at the start of a day, Tokyo time."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _filtered_posts(user, filters):
    """The posts a user may find, narrowed by the search form's filters."""
    # Imported here: the models import this module for UTCDay.
    from .models import Post

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


def _newest_first_spans(matches, *, words):
    """The matches split into RECENT_DAYS spans and the rest, newest first."""
    through_search_index = bool(words) and not well_estimated(words)
    today, spans, end = timezone.now().astimezone(datetime.UTC).date(), [], None
    for days in RECENT_DAYS:
        start = today - datetime.timedelta(days=days)
        span = matches.filter(
            created_since(start, through_search_index=through_search_index)
        )
        spans.append(span.filter(created_at__lt=end) if end else span)
        end = utc_day_start(start)
    spans.append(matches.filter(created_at__lt=end))
    return spans


def find_post_ids(*, user, filters):
    """The ids of the posts matching a search, most relevant first: one query.

    `filters` is the search form's cleaned data; its "q" holds the words.
    The rank is computed in the same query as the matches, on the search
    vectors already read to check them; at most RESULT_LIMIT ids come back.
    """
    words = filters.get("q", "")
    matches = _filtered_posts(user, filters)
    if words:
        query = tsquery(words)
        matches = matches.filter(Matches(F("search_vector"), query))
        rank = SearchRank(F("search_vector"), query)
    else:
        rank = Value(0.0, output_field=FloatField())
    newest = (
        matches.annotate(rank=rank)
        .order_by("-created_at", "-pk")
        .values_list("pk", "created_at", "rank")
    )
    spans = _newest_first_spans(newest, words=words)
    # PostgreSQL reads a span only when the newer ones gave fewer rows
    # than the limit (the LIMIT stops the UNION ALL).
    first, *others = (span[:RESULT_LIMIT] for span in spans)
    found = list(first.union(*others, all=True)[:RESULT_LIMIT])
    found.sort(key=lambda row: (row[2], row[1], row[0]), reverse=True)
    return [pk for pk, _created_at, _rank in found]
