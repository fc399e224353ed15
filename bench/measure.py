"""Time the key pages in-process, count their SQL queries, and their throughput.

    python -m bench.measure [--runs 60] [--output docs/benchmarks.md]
                            [--max-queries 12] [--explain-over 100]
                            [--throughput 10] [--connections 4] [--workers 2]

Each page is requested through Django's test Client, signed in as a member
(an account made by bench.seed; the admin lists and the dispatch report as
the office account, the floor not signed in), first --warmup times, then
--runs times. A run's time is the wall-clock time of Client.get():
middleware, view, queries and template rendering in this process, but no
HTTP server and no network. Reported: median and 95th percentile (nearest
rank) in ms, the median time the database took (sum of the queries' times),
the number of queries (BEGIN and COMMIT included) and the size of the page.

Every run renders its page, as a first view does: there is no page cache
(docs/load-test.md, "Earlier findings").

With --throughput, bench.throughput then runs wrk for that many seconds
per page against gunicorn with production settings (bench.server) and
reports requests/s, also as a share of three floors' (bench/urls.py): a
view that does nothing behind the same middleware, the same view for a
signed-in member, and a members-only view rendering a 20 KB template of 50
rows from plain Python data.

With --output, bench.search_times also times the three searches over
--runs runs per word for the report's "Search" section.

The table goes to stdout; --output also writes a Markdown report with the
machine, the PostgreSQL settings, the sizes of the data, the targets met and
missed, and the EXPLAIN ANALYZE of the slowest query of every page slower
than --explain-over ms. With --max-queries, the exit status is 1 when a page
makes more queries; --counts and --compare check that no page makes more
queries on a larger data set. Run it with DJANGO_DEBUG on (static files
need no manifest then).
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# The floor view lives in bench.urls; staff are timed without a second
# factor, as in the throughput runs (bench.server).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("RENKEI_REQUIRE_STAFF_MFA", "0")

from bench import setup_django

setup_django()

import django  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import search_times, throughput  # noqa: E402
from bench.corpus import RARE_WORDS  # noqa: E402
from bench.seed import BENCH_OFFICE_EMAIL, BENCH_PASSWORD  # noqa: E402
from boards import permissions as board_permissions  # noqa: E402
from boards.models import BoardVisit, Category, Thread  # noqa: E402
from boards.pagination import encode_cursor  # noqa: E402
from disaster_support.models import Dispatch  # noqa: E402
from members import permissions  # noqa: E402
from members.models import MembershipStatus, Organisation, User  # noqa: E402

# How deep the "deep page" of a category starts: the thread at this offset
# of the listing (about page 100 at 30 threads a page).
DEEP_OFFSET = 3000
SIZED_TABLES = [
    "boards_post",
    "boards_thread",
    "boards_attachment",
    "members_user",
    "members_organisation",
    "disaster_support_disaster",
    "disaster_support_helprequest",
    "disaster_support_dispatch",
    "disaster_support_seat",
]
# The targets (docs/benchmarks.md, issue 21). Board, category and thread
# pages: at least this share of the template floor's requests/s
# (bench/urls.py) and at most this median in-process. Search under this p95,
# deep pages at most this much slower than page 1.
FIRST_VIEW_SHARE_OF_TEMPLATE_FLOOR = 0.5
FIRST_VIEW_MEDIAN_MS = 15
SEARCH_P95_MS = search_times.P95_TARGET_MS
DEEP_SLOWDOWN = 1.2


@dataclass
class Page:
    name: str
    url: str
    account: str | None = "member"  # who requests it: member, office or nobody
    kind: str = "other"  # board, search, deep:<name of page 1>, other
    rate: bool = True  # also measured under gunicorn with --throughput
    # (ms, sql ms, queries, bytes, CPU ms of this process)
    samples: list = field(default_factory=list)
    slowest_sql: str = ""
    throughput: "throughput.Result | None" = None

    def _times(self, index):
        return sorted(sample[index] for sample in self.samples)

    @property
    def median(self):
        return statistics.median(self._times(0))

    @property
    def p95(self):
        times = self._times(0)
        return times[math.ceil(0.95 * len(times)) - 1]

    @property
    def cpu_median(self):
        return statistics.median(self._times(4))

    @property
    def sql_median(self):
        return statistics.median(self._times(1))

    @property
    def queries(self):
        return max(self._times(2))

    @property
    def queries_text(self):
        counts = self._times(2)
        low, high = counts[0], counts[-1]
        return str(high) if low == high else f"{low}–{high}"

    @property
    def kilobytes(self):
        return statistics.median(self._times(3)) / 1024


def bench_member():
    """A member-staff account of a member organisation, from bench.seed."""
    members = User.objects.filter(
        is_active=True,
        groups__name=permissions.MEMBER_STAFF,
        organisation__membership_status=MembershipStatus.MEMBER,
    ).order_by("pk")
    user = members.filter(email__endswith="@bench.example.jp").first()
    user = user or members.first()
    if user is None:
        sys.exit("No member account found: run `python -m bench.seed` first.")
    return user


def bench_office():
    user = User.objects.filter(email=BENCH_OFFICE_EMAIL).first()
    if user is None:
        sys.exit("No office account found: run `python -m bench.seed` again.")
    return user


def busiest_disaster():
    """The disaster with the most teams, and the middle day of their starts."""
    counted = Dispatch.objects.counted()
    top = (
        counted.values("offer__request__disaster")
        .annotate(teams=Count("pk"))
        .order_by("-teams", "offer__request__disaster")
        .first()
    )
    if top is None:
        return None
    disaster = top["offer__request__disaster"]
    starts = counted.filter(offer__request__disaster=disaster).order_by("start_on")
    middle = starts.values_list("start_on", flat=True)[top["teams"] // 2]
    return disaster, top["teams"], middle


def key_pages(user):
    """The pages to time, as Page objects; the throughput runs reuse them."""
    threads = board_permissions.visible_threads(user, Thread.objects.all())
    category = Category.objects.order_by("-thread_count", "pk").first()
    listing = threads.filter(category=category, is_pinned=False).order_by(
        "-last_activity_at", "-pk"
    )
    size = listing.count()
    offset = min(DEEP_OFFSET, max(size - 31, 0))
    deep = listing[offset] if size else None
    big = threads.order_by("-last_position", "pk").first()
    # A typical thread: about ten replies, recent.
    typical = (
        threads.filter(last_position__range=(8, 12)).order_by("-pk").first() or big
    )
    big_url = reverse("boards:thread", args=[big.pk])
    last_page = big.last_position // 30 + 1
    search = reverse("boards:search")
    category_url = reverse("boards:category", args=[category.slug])
    thread_first = f"thread, page 1 ({big.last_position + 1:,} posts)"
    pages = [
        Page("floor (trivial view)", reverse("bench_floor"), account=None),
        Page(
            "floor, signed in (trivial members-only view)",
            reverse("bench_member_floor"),
            kind="member floor",
        ),
        Page(
            "floor, template (members-only, 50 rows, no database)",
            reverse("bench_template_floor"),
            kind="template floor",
        ),
        Page("site home", reverse("home")),
        Page("board home", reverse("boards:home"), kind="board"),
        Page("category, page 1", category_url, kind="board"),
    ]
    if deep is not None:
        pages.append(
            Page(
                f"category, {offset:,} threads in",
                f"{category_url}?before={encode_cursor(deep)}",
                kind="deep:category, page 1",
            )
        )
    pages += [
        Page(thread_first, f"{big_url}?page=1", kind="board"),
        Page(
            f"thread, last page ({last_page})",
            f"{big_url}?page={last_page}",
            kind=f"deep:{thread_first}",
        ),
        Page(
            f"thread, typical ({typical.last_position + 1} posts)",
            reverse("boards:thread", args=[typical.pk]) + "?page=1",
            kind="board",
        ),
        Page("search 防災", f"{search}?q=防災", kind="search"),
        Page("search 観光物産展", f"{search}?q=観光物産展", kind="search"),
        Page(
            f"search {RARE_WORDS[0][0]} (rare)",
            f"{search}?q={RARE_WORDS[0][0]}",
            kind="search",
        ),
        Page(
            "search 防災, page 10",
            f"{search}?q=防災&page=10",
            kind="deep:search 防災",
            rate=False,
        ),
        Page("member directory", reverse("members:directory")),
    ]
    busiest = busiest_disaster()
    if busiest is not None:
        disaster, teams, as_of = busiest
        url = reverse("disaster_support:disaster_detail", args=[disaster])
        pages.append(
            Page(
                f"dispatch report ({teams:,} teams, as of {as_of:%Y-%m-%d})",
                f"{url}?as_of={as_of:%Y-%m-%d}",
                account="office",
            )
        )
    for label, model in [
        ("posts", "boards_post"),
        ("threads", "boards_thread"),
        ("organisations", "members_organisation"),
        ("dispatches", "disaster_support_dispatch"),
    ]:
        pages.append(
            Page(
                f"admin: {label}",
                reverse(f"admin:{model}_changelist"),
                account="office",
                rate=False,
            )
        )
    return pages


# A page slower than this many seconds over its runs stops after this many.
PAGE_BUDGET_SECONDS = 30
MIN_RUNS = 5


def measure(page, client, *, runs, warmup):
    for _ in range(warmup):
        response = client.get(page.url)
        if response.status_code != 200:
            sys.exit(f"{page.name}: {page.url} answered {response.status_code}")
    started = time.perf_counter()
    for run in range(runs):
        if run >= MIN_RUNS and time.perf_counter() - started > PAGE_BUDGET_SECONDS:
            break
        with CaptureQueriesContext(connection) as queries:
            began, began_cpu = time.perf_counter(), time.process_time()
            response = client.get(page.url)
            elapsed = (time.perf_counter() - began) * 1000
            cpu = (time.process_time() - began_cpu) * 1000
        if response.status_code != 200:
            sys.exit(f"{page.name}: {page.url} answered {response.status_code}")
        sql_ms = sum(float(query["time"]) for query in queries.captured_queries)
        page.samples.append(
            (elapsed, sql_ms * 1000, len(queries), len(response.content), cpu)
        )
        slowest = max(
            queries.captured_queries, key=lambda q: float(q["time"]), default=None
        )
        if slowest is not None:
            page.slowest_sql = slowest["sql"]


def explain(sql):
    """EXPLAIN ANALYZE of a SELECT, in a transaction that is rolled back."""
    if not sql.lstrip().upper().startswith("SELECT"):
        return None
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def share(result, floor):
    """requests/s as a share of a floor's, or None if either is missing."""
    if result is None or floor is None:
        return None
    return result.requests_per_second / floor.requests_per_second


def floor_page(pages, kind):
    """The floor of that kind (anonymous, member floor, template floor)."""
    return next((page for page in pages if page.kind == kind), None)


def is_board_page(page):
    return page.kind == "board" or page.kind.startswith(
        ("deep:thread", "deep:category")
    )


def targets(page, pages, max_queries):
    """[(target, met)] for a page; see the module's constants."""
    by_name = {other.name: other for other in pages}
    template_floor = floor_page(pages, "template floor")
    checks = []
    if max_queries is not None:
        checks.append((f"≤ {max_queries} queries", page.queries <= max_queries))
    board = is_board_page(page)
    if board:
        checks.append(
            (
                f"first view ≤ {FIRST_VIEW_MEDIAN_MS} ms",
                page.median <= FIRST_VIEW_MEDIAN_MS,
            )
        )
    first = share(page.throughput, template_floor and template_floor.throughput)
    if board and first is not None:
        checks.append(
            (
                f"first view ≥ {FIRST_VIEW_SHARE_OF_TEMPLATE_FLOOR:.0%} of "
                "template floor",
                first >= FIRST_VIEW_SHARE_OF_TEMPLATE_FLOOR,
            )
        )
    if page.kind == "search":
        checks.append((f"p95 < {SEARCH_P95_MS} ms", page.p95 < SEARCH_P95_MS))
    if page.kind.startswith("deep:") and page.kind[5:] in by_name:
        first = by_name[page.kind[5:]]
        checks.append(
            (
                f"≤ {DEEP_SLOWDOWN:g} × page 1",
                page.median <= DEEP_SLOWDOWN * first.median,
            )
        )
    return checks


def _rate(result):
    if result is None:
        return ""
    text = f"{result.requests_per_second:.1f}"
    return text + (f" ({result.errors} errors)" if result.errors else "")


def _share(value):
    """Two decimals, rounded down: 0.499 of a floor is shown as 0.49, never
    as a 0.50 that the target's column then calls missed."""
    return "" if value is None else f"{math.floor(value * 100) / 100:.2f}"


def results_table(pages, max_queries=None):
    floor, member_floor = pages[0], pages[1]
    template_floor = floor_page(pages, "template floor") or member_floor
    lines = [
        "| page | median ms | p95 ms | CPU ms | SQL ms | queries | KB "
        "| requests/s | × floor | × signed-in floor | × template floor "
        "| targets | met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | --- | --- |",
    ]
    for page in pages:
        checks = targets(page, pages, max_queries)
        met = "yes" if all(ok for _target, ok in checks) else "**no**"
        lines.append(
            f"| {page.name} | {page.median:.1f} | {page.p95:.1f} | "
            f"{page.cpu_median:.1f} | {page.sql_median:.1f} | "
            f"{page.queries_text} | {page.kilobytes:.0f} | "
            f"{_rate(page.throughput)} | "
            f"{_share(share(page.throughput, floor.throughput))} | "
            f"{_share(share(page.throughput, member_floor.throughput))} | "
            f"{_share(share(page.throughput, template_floor.throughput))} | "
            f"{'; '.join(t for t, _ok in checks)} | {met if checks else ''} |"
        )
    return "\n".join(lines)


def _why(page, target, pages):
    """What the figures say about a missed target."""
    member_floor = pages[1]
    template_floor = floor_page(pages, "template floor") or member_floor
    if target.startswith("first view"):
        return (
            f"rendered afresh it takes {page.median:.1f} ms in-process "
            f"({page.cpu_median:.1f} ms of CPU) against {template_floor.median:.1f} "
            f"ms ({template_floor.cpu_median:.1f} ms) for the template floor, "
            f"{page.sql_median:.1f} ms of it in SQL over {page.queries} queries, "
            "the rest Python (docs/profile.md)"
        )
    if "p95" in target:
        return (
            f"{page.sql_median:.1f} ms of the median is SQL, the rest building "
            f"{page.kilobytes:.0f} KB of results"
        )
    if "page 1" in target:
        first = {other.name: other for other in pages}[page.kind[5:]]
        return f"against {first.median:.1f} ms for page 1"
    return f"see {page.url}"


def missed(pages, max_queries):
    """Sentences on the targets missed, with figures."""
    lines = []
    for page in pages:
        # Targets missed for the same reason share a sentence.
        reasons = {}
        for target, ok in targets(page, pages, max_queries):
            if not ok:
                reasons.setdefault(_why(page, target, pages), []).append(target)
        figures = f"median {page.median:.1f} ms, p95 {page.p95:.1f} ms"
        lines += [
            f"- **{page.name}**: {' and '.join(names)} missed ({figures}): {why}."
            for why, names in reasons.items()
        ]
    return lines


def budget(pages, workers):
    """A paragraph on the two floors and what the board pages reach."""
    floor, member_floor = pages[0].throughput, pages[1].throughput
    board = [
        page
        for page in pages
        if page.throughput and any("floor" in t for t, _ok in targets(page, pages, 0))
    ]
    if not floor or not member_floor or not board:
        return []
    template_floor = floor_page(pages, "template floor")
    first = [share(page.throughput, member_floor) for page in board]
    first_anonymous = [share(page.throughput, floor) for page in board]
    return [
        "",
        f"The two floors: a view that does nothing answers "
        f"{floor.requests_per_second:.0f} requests/s to anyone, and "
        f"{member_floor.requests_per_second:.0f} requests/s "
        f"({member_floor.requests_per_second / floor.requests_per_second:.0%}) "
        "to a signed-in member, for whom the session and the account are read "
        "and checked as on every members-only page. The board, category and "
        "thread pages, each rendered afresh as every view is, reach "
        f"{min(first):.0%}–{max(first):.0%} of the signed-in floor "
        f"({min(first_anonymous):.0%}–{max(first_anonymous):.0%} of the "
        f"anonymous one). With {workers} workers.",
        *_template_floor_text(template_floor, board),
    ]


def _template_floor_text(template_floor, board):
    if template_floor is None or template_floor.throughput is None:
        return []
    shares = [share(page.throughput, template_floor.throughput) for page in board]
    return [
        "",
        "The template floor, a members-only view rendering a "
        f"{template_floor.kilobytes:.0f} KB page of 50 rows from plain Python "
        "data through the same template engine, context processors and "
        f"middleware, answers {template_floor.throughput.requests_per_second:.0f} "
        f"requests/s in {template_floor.median:.1f} ms in-process: what a "
        "perfectly optimised page would cost. First views of the board, "
        f"category and thread pages reach {min(shares):.0%}–{max(shares):.0%} "
        "of it.",
    ]


def _first_line(path, prefix):
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def _load():
    """1, 5 and 15 minute load averages: other work on the machine skews
    every figure, so the report says how busy it was."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f} ({os.cpu_count()} cores)"


LOAD_AT_START = _load()


def machine():
    memory = _first_line("/proc/meminfo", "MemTotal")
    if memory.endswith("kB"):
        memory = f"{int(memory.split()[0]) / 1024 / 1024:.1f} GiB"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        names = [
            "shared_buffers",
            "work_mem",
            "effective_cache_size",
            "random_page_cost",
            "max_parallel_workers_per_gather",
            "jit",
        ]
        cursor.execute(
            "SELECT name, setting, unit FROM pg_settings WHERE name = ANY(%s)", [names]
        )
        found = {name: (setting, unit) for name, setting, unit in cursor.fetchall()}
    pg_settings = []
    for name in names:
        setting, unit = found.get(name, ("?", None))
        if unit == "8kB":
            setting, unit = f"{int(setting) * 8 // 1024}", "MB"
        elif unit == "kB":
            setting, unit = f"{int(setting) // 1024}", "MB"
        pg_settings.append(f"{name} {setting}{unit or ''}")
    return [
        ("CPU", _first_line("/proc/cpuinfo", "model name")),
        ("Cores", str(os.cpu_count())),
        ("RAM", memory),
        ("PostgreSQL", f"{version} ({', '.join(pg_settings)})"),
        ("Python / Django", f"{platform.python_version()} / {django.get_version()}"),
        ("Load average at the start", LOAD_AT_START),
        ("Load average at the end", _load()),
    ]


def megabytes(size):
    return f"{size / 1024 / 1024:,.1f} MB"


def data_sizes():
    rows = []
    indexes = []
    with connection.cursor() as cursor:
        for table in SIZED_TABLES:
            cursor.execute(
                f"SELECT count(*), pg_relation_size(c.oid),"  # noqa: S608
                " coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0),"
                " pg_indexes_size(c.oid), pg_total_relation_size(c.oid)"
                f" FROM {table}, pg_class c WHERE c.oid = %s::regclass"
                " GROUP BY c.oid, c.reltoastrelid",
                [table],
            )
            count, heap, toast, index_size, total = cursor.fetchone() or (0,) * 5
            rows.append((table, count, heap, toast, index_size, total))
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid)"
            " FROM pg_index WHERE indrelid = ANY(%s::regclass[])"
            " ORDER BY pg_relation_size(indexrelid) DESC",
            [["boards_post", "boards_thread"]],
        )
        indexes = cursor.fetchall()
    return rows, indexes


def shape():
    """A sentence on the data: members, threads, the longest thread."""
    members = Organisation.objects.members().count()
    biggest = Thread.objects.order_by("-last_position").values("last_position").first()
    categories = Category.objects.aggregate(count=Count("pk"))["count"]
    longest = (biggest or {"last_position": -1})["last_position"] + 1
    return (
        f"{members:,} member organisations, {categories} categories; "
        f"the longest thread has {longest:,} posts."
    )


PAGE_CACHE_NOTE = (
    "**Page cache (removed).** The per-person page cache behind the former "
    '"seen again" figures served none of 4,145 cacheable pages on the load '
    "test's mix (members browsing while others post and answer), with the "
    "cache in the database table and in Redis: any post anywhere changed its "
    "key. With the database table, every page it stored cost six more "
    'queries on a first view. It was removed (docs/load-test.md, "Earlier '
    'findings"), so every view is a first view and every figure here is one.'
)


def report(pages, args):
    now = timezone.localtime()
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (bench/measure.py) on {now:%Y-%m-%d %H:%M %Z}; "
        "run it again to refresh, do not edit by hand. How to run it and what "
        "it measures: [operations.md](operations.md#benchmarks).",
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        *(f"| {name} | {value} |" for name, value in machine()),
        "",
        "## Data",
        "",
        shape(),
        "",
        "| table | rows | heap | TOAST | indexes | total |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    rows, indexes = data_sizes()
    for table, count, heap, toast, index_size, total in rows:
        lines.append(
            f"| {table} | {count:,} | {megabytes(heap)} | {megabytes(toast)} | "
            f"{megabytes(index_size)} | {megabytes(total)} |"
        )
    lines += ["", "Indexes of posts and threads:", ""]
    lines += [f"- `{name}` {megabytes(size)}" for name, size in indexes]
    if args.seed_log and Path(args.seed_log).exists():
        log = json.loads(Path(args.seed_log).read_text())
        arguments = " ".join(
            f"--{key.replace('_', '-')} {value}"
            for key, value in log["arguments"].items()
        )
        lines += [
            "",
            f"Seeded with `python -m bench.seed {arguments}` in "
            f"**{log['total_seconds'] / 60:.1f} minutes**:",
            "",
            *(f"- {step}: {seconds:.0f} s" for step, seconds in log["steps"].items()),
        ]
    lines += [
        "",
        "## Pages",
        "",
        f"Server-side time, in-process (Django test client; the admin pages "
        f"and the dispatch report signed in as office staff, the floor not "
        f"signed in, the rest as a member), {args.warmup} warm-up requests "
        f"then {args.runs} timed ones per page (fewer, at least {MIN_RUNS}, for "
        f"a page whose runs take over {PAGE_BUDGET_SECONDS} s): ms of "
        "wall-clock time for the whole request (median and 95th percentile), "
        "the median CPU time of the measuring process (Python's share, which "
        "other work on the machine moves less than wall-clock time), "
        "the median time spent in SQL, queries per request (DJANGO_DEBUG on, "
        "so queries are logged). Each run renders the page as a first view "
        "does; thread rows and posts come from the fragments the process keeps "
        "after the warm-up (boards/fragments.py), as in a worker for a page "
        "others have seen since its last change, and so do the parts of pages "
        "that are the same for many readers (the menu, an empty reply form; "
        "members/common/fragments.py). The queries every page makes are "
        "prepared, compiled once per process and planned once per connection "
        "(members/common/prepared.py), as in a worker that has served a few "
        "pages. The session is read by its "
        "key and the signed-in account as configured (config/cache.py), as for "
        "anyone already browsing.",
        "",
        PAGE_CACHE_NOTE,
        "",
        throughput_text(args),
        "",
        results_table(pages, args.max_queries),
        "",
        "## Targets",
        "",
        f"Every page at most {args.max_queries} queries; board, category and "
        "thread pages (board home, a category's first page and one "
        f"{DEEP_OFFSET:,} threads in, the long thread's first and last pages, "
        "a typical thread) at least "
        f"{FIRST_VIEW_SHARE_OF_TEMPLATE_FLOOR:.0%} of the template floor's "
        "requests/s in the same gunicorn run and at most "
        f"{FIRST_VIEW_MEDIAN_MS} ms median in-process; search p95 under "
        f"{SEARCH_P95_MS} ms (in the table above and over more runs in "
        f'"Search" below); deep pages (a category {DEEP_OFFSET:,} threads in, '
        "the long thread's last page, search page 10) at most "
        f"{DEEP_SLOWDOWN:g} times page 1's median. Every figure is a first "
        "view.",
        "",
        *(missed(pages, args.max_queries) or ["All targets met."]),
        *budget(pages, args.workers),
        *(["", *search] if (search := getattr(args, "search_lines", None)) else []),
        *memory_text(args),
    ]
    slow = [page for page in pages if page.median > args.explain_over]
    if slow:
        lines += [
            "",
            "## Slow pages",
            "",
            f"The slowest query of each page with a median over "
            f"{args.explain_over:g} ms.",
        ]
        for page in slow:
            plan = explain(page.slowest_sql)
            lines += ["", f"### {page.name}", "", "```sql", page.slowest_sql, "```"]
            if plan:
                lines += ["", "```", plan, "```"]
    return "\n".join(lines) + "\n"


def memory_text(args):
    samples = getattr(args, "memory_samples", None)
    if not samples:
        return []
    workers = len(samples[0].rss_mb)
    header = " | ".join(f"worker {n + 1} MB" for n in range(workers))
    lines = [
        "",
        "## Memory",
        "",
        f"Resident memory (RSS) of each of the {workers} gunicorn workers "
        "(production settings; every request renders its page) while "
        f"{samples[-1].requests:,} requests cycle "
        f"through {len(args.memory_mix)} pages (the floors, the board, category "
        "and thread pages, the searches and the member directory, signed in "
        f"as a member) over {args.connections} connections, read every "
        f"{args.memory_every:,} requests; {samples[-1].errors} errors. The "
        "bench's gunicorn never recycles a worker; production's does after "
        "1,000–1,100 requests (config/gunicorn.conf.py), which would hide a "
        "leak.",
        "",
        f"| requests | {header} |",
        "| ---: |" + " ---: |" * workers,
        *(
            f"| {sample.requests:,} | "
            + " | ".join(f"{mb:.1f}" for mb in sample.rss_mb)
            + " |"
            for sample in samples
        ),
    ]
    if len(samples) > 2:
        # Growth after the first round, which loads the code and caches.
        settled, last = samples[1], samples[-1]
        growth = [b - a for a, b in zip(settled.rss_mb, last.rss_mb, strict=True)]
        lines += [
            "",
            f"After {last.requests:,} requests: "
            + ", ".join(f"{mb:.1f} MB" for mb in last.rss_mb)
            + f" per worker; from {settled.requests:,} requests to the end "
            + ", ".join(f"{mb:+.1f} MB" for mb in growth)
            + ".",
        ]
    return lines


def throughput_text(args):
    if not args.throughput:
        return "Throughput not measured (run with --throughput SECONDS)."
    return (
        f"Requests/s: gunicorn with production settings "
        f"(bench.settings, {args.workers} sync workers) on loopback, "
        f"{throughput.client_name()} with {args.connections} connections for "
        f"{args.throughput} s per page on the same machine, signed in as for the "
        "in-process runs, every request a first view; "
        "× floor is the share of the requests/s of the floor, a view that "
        "returns a few bytes through the same middleware, × signed-in floor "
        "the share of the same view's for a signed-in member, which reads "
        "the session and the account (bench/urls.py), × template floor the "
        "share of a members-only view rendering a 20 KB page of 50 rows from "
        "plain Python data (bench/urls.py), in the same run. Board, category "
        "and thread pages are judged on their first views against the "
        "template floor and on their in-process median."
    )


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Time the key pages and count their queries."
    )
    # With 20 runs the p95 is the second slowest: one pause of a shared
    # machine decides it.
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--output", help="write a Markdown report to this file")
    parser.add_argument(
        "--max-queries",
        type=int,
        help="exit with status 1 if a page makes more queries than this",
    )
    parser.add_argument(
        "--explain-over",
        type=float,
        default=100,
        help="EXPLAIN the slowest query of pages slower than this (ms median)",
    )
    parser.add_argument("--seed-log", help="JSON written by bench.seed --log")
    parser.add_argument(
        "--throughput",
        type=int,
        default=0,
        metavar="SECONDS",
        help="also run wrk against gunicorn for this long per page (0: do not)",
    )
    parser.add_argument("--connections", type=int, default=4, help="for wrk")
    parser.add_argument(
        "--memory",
        type=int,
        default=10000,
        metavar="REQUESTS",
        help="with --throughput, send this many requests of a mix of pages "
        "and read the workers' RSS every --memory-every (0: do not)",
    )
    parser.add_argument("--memory-every", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--counts", help="write each page's query count to this JSON file"
    )
    parser.add_argument(
        "--compare",
        help="exit with status 1 if a page makes more queries than in this "
        "--counts file from a smaller data set",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def database_url():
    """The URL gunicorn should use: the one this process uses."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("--throughput needs DATABASE_URL (make bench sets it).")
    return url


def count_key(name):
    """A page's name without the sizes in it, to compare runs of any size."""
    return re.sub(r"[\d,]+", "N", name)


def main(argv=None):
    args = parse_args(argv)
    user = bench_member()
    # Last visit a week ago, so the board home lists a week of new threads.
    BoardVisit.objects.update_or_create(
        user=user,
        defaults={
            "previous_visit_at": None,
            "last_visit_at": timezone.now() - datetime.timedelta(days=7),
        },
    )
    office = bench_office()
    clients = {None: Client(headers={"host": "localhost"})}
    for account, person in [("member", user), ("office", office)]:
        clients[account] = Client(headers={"host": "localhost"})
        clients[account].force_login(person)
    pages = key_pages(user)
    print(
        f"Signed in as {user.email} and {office.email}; {args.runs} runs per page.",
        file=sys.stderr,
    )
    for page in pages:
        measure(page, clients[page.account], runs=args.runs, warmup=args.warmup)
        print(
            f"  {page.name}: {page.median:.1f} ms, {page.queries_text} queries",
            file=sys.stderr,
        )
    if args.output:
        print(f"Search, {args.runs} runs per word:", file=sys.stderr)
        args.search_lines = search_times.lines(
            clients["member"], runs=args.runs, warmup=args.warmup
        )
        print("\n".join(args.search_lines), file=sys.stderr)
    if args.throughput:
        accounts = {
            "member": (user.email, BENCH_PASSWORD),
            "office": (office.email, BENCH_PASSWORD),
        }
        print("Throughput (wrk against gunicorn):", file=sys.stderr)
        rated = [page for page in pages[1:] if page.rate]
        results = throughput.run(
            database_url(),
            [(page.name, page.url, page.account) for page in rated],
            accounts,
            seconds=args.throughput,
            connections=args.connections,
            workers=args.workers,
            say=lambda text: print(text, file=sys.stderr),
        )
        pages[0].throughput = results["floor"]
        for page in rated:
            page.throughput = results[page.name]
    if args.throughput and args.memory:
        mix = [page.url for page in pages if page.rate and page.account == "member"]
        print(
            f"Memory: {args.memory:,} requests of {len(mix)} pages, first views:",
            file=sys.stderr,
        )
        args.memory_samples = throughput.memory(
            database_url(),
            mix,
            (user.email, BENCH_PASSWORD),
            total=args.memory,
            every=args.memory_every,
            connections=args.connections,
            workers=args.workers,
            say=lambda text: print(text, file=sys.stderr),
        )
        args.memory_mix = mix
    print(results_table(pages, args.max_queries))
    if args.output:
        Path(args.output).write_text(report(pages, args))
        print(f"Wrote {args.output}.", file=sys.stderr)
    counts = {count_key(page.name): page.queries for page in pages}
    if args.counts:
        Path(args.counts).write_text(json.dumps(counts, ensure_ascii=False))
    if args.compare:
        smaller = json.loads(Path(args.compare).read_text())
        grown = {
            key: (smaller[key], queries)
            for key, queries in counts.items()
            if key in smaller and queries > smaller[key]
        }
        for key, (before, after) in grown.items():
            print(f"{key}: {before} → {after} queries as data grew", file=sys.stderr)
        if grown:
            return 1
    if args.max_queries is not None:
        over = [page for page in pages if page.queries > args.max_queries]
        for page in over:
            print(
                f"{page.name} makes {page.queries} queries (limit "
                f"{args.max_queries}): {page.url}",
                file=sys.stderr,
            )
        if over:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
