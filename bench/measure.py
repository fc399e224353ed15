"""Time the key pages of the board in-process and count their SQL queries.

    python -m bench.measure [--runs 20] [--output docs/benchmarks.md]
                            [--max-queries 12] [--explain-over 100]

Each page is requested through Django's test Client, signed in as a member
(an account made by bench.seed), first --warmup times, then --runs times.
A run's time is the wall-clock time of Client.get(): middleware, view,
queries and template rendering in this process, but no HTTP server and no
network. Reported: median and 95th percentile (nearest rank) in ms, the
median time the database took (sum of the queries' times), the number of
queries and the size of the page.

The table goes to stdout; --output also writes a Markdown report with the
machine, the PostgreSQL settings, the sizes of the data and the EXPLAIN
ANALYZE of the slowest query of every page slower than --explain-over ms.
With --max-queries, the exit status is 1 when a page makes more queries.
Run it with DJANGO_DEBUG on (static files need no manifest then).
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

from bench import setup_django

setup_django()

import django  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.corpus import RARE_WORDS  # noqa: E402
from boards import permissions as board_permissions  # noqa: E402
from boards.models import BoardVisit, Category, Thread  # noqa: E402
from boards.pagination import encode_cursor  # noqa: E402
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
]


@dataclass
class Page:
    name: str
    url: str
    samples: list = field(default_factory=list)  # (ms, sql ms, queries, bytes)
    slowest_sql: str = ""

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


def key_pages(user):
    """The pages to time, as (name, URL); the throughput runs reuse this."""
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
    pages = [
        ("health check (floor)", reverse("healthz")),
        ("site home", reverse("home")),
        ("board home", reverse("boards:home")),
        ("category, page 1", reverse("boards:category", args=[category.slug])),
    ]
    if deep is not None:
        url = reverse("boards:category", args=[category.slug])
        pages.append(
            (
                f"category, {offset:,} threads in",
                f"{url}?before={encode_cursor(deep)}",
            )
        )
    pages += [
        (
            f"thread, page 1 ({big.last_position + 1:,} posts)",
            f"{big_url}?page=1",
        ),
        (f"thread, last page ({last_page})", f"{big_url}?page={last_page}"),
        (
            f"thread, typical ({typical.last_position + 1} posts)",
            reverse("boards:thread", args=[typical.pk]) + "?page=1",
        ),
        ("search 防災", f"{search}?q=防災"),
        ("search 観光物産展", f"{search}?q=観光物産展"),
        (f"search {RARE_WORDS[0][0]} (rare)", f"{search}?q={RARE_WORDS[0][0]}"),
        ("search 防災, page 10", f"{search}?q=防災&page=10"),
        ("member directory", reverse("members:directory")),
    ]
    return pages


def measure(page, client, *, runs, warmup):
    for _ in range(warmup):
        response = client.get(page.url)
        if response.status_code != 200:
            sys.exit(f"{page.name}: {page.url} answered {response.status_code}")
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            response = client.get(page.url)
            elapsed = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            sys.exit(f"{page.name}: {page.url} answered {response.status_code}")
        sql_ms = sum(float(query["time"]) for query in queries.captured_queries)
        page.samples.append(
            (elapsed, sql_ms * 1000, len(queries), len(response.content))
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


def results_table(pages):
    lines = [
        "| page | median ms | p95 ms | SQL ms | queries | KB |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for page in pages:
        lines.append(
            f"| {page.name} | {page.median:.1f} | {page.p95:.1f} | "
            f"{page.sql_median:.1f} | {page.queries_text} | {page.kilobytes:.0f} |"
        )
    return "\n".join(lines)


def _first_line(path, prefix):
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


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
        f"In-process (Django test client, signed in as a member), "
        f"{args.warmup} warm-up requests then {args.runs} timed ones per page; "
        "ms of wall-clock time for the whole request (median and 95th "
        "percentile), the median time spent in SQL, queries per request "
        "(DJANGO_DEBUG on, so queries are logged).",
        "",
        results_table(pages),
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


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Time the key pages and count their queries."
    )
    parser.add_argument("--runs", type=int, default=20)
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
    client = Client(headers={"host": "localhost"})
    client.force_login(user)
    pages = [Page(name, url) for name, url in key_pages(user)]
    print(f"Signed in as {user.email}; {args.runs} runs per page.", file=sys.stderr)
    for page in pages:
        measure(page, client, runs=args.runs, warmup=args.warmup)
        print(
            f"  {page.name}: {page.median:.1f} ms, {page.queries_text} queries",
            file=sys.stderr,
        )
    print(results_table(pages))
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
