"""Where a first view's milliseconds go, page by page.

    python -m bench.profile [--runs 20] [--output docs/profile.md] [--top 25]

Requests the board pages of bench.measure (board home, a category's first
page and one 3,000 threads in, the long thread's first page and a typical
thread, and the template floor) through Django's test client as first views
(every view is one), under cProfile, signed in as bench.measure's member. For
each page it reports the median wall-clock time without the profiler, how
much of the profiled time went to SQL (the database driver's execute and
fetch), to building model instances, to template rendering and to the rest,
and the functions with the most time of their own. Run it with DJANGO_DEBUG on,
against a database seeded by bench.seed.
"""

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

from django.db import connection
from django.template.response import SimpleTemplateResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import measure  # sets up Django with bench.settings

# (share, functions whose cumulative time is that share); a function counts
# once, in the first share it matches, and shares nest (SQL inside model
# building inside rendering), so each is reported without what the earlier
# ones already took.
SHARES = [
    (
        "SQL (driver execute and fetch)",
        [
            ("psycopg/cursor.py", "execute"),
            ("psycopg/cursor.py", "fetchall"),
            ("psycopg/cursor.py", "fetchmany"),
            ("psycopg/cursor.py", "fetchone"),
            ("psycopg/server_cursor.py", "execute"),
            ("psycopg/server_cursor.py", "fetchmany"),
        ],
    ),
    ("SQL compilation (ORM as_sql)", [("django/db/models/sql/compiler.py", "as_sql")]),
    ("model instances (from_db)", [("django/db/models/base.py", "from_db")]),
    ("template rendering", [("django/template/base.py", "render")]),
]


INTRO = (
    'Written by `python -m bench.profile` (docs/operations.md, "Benchmarks"); run '
    "it again to refresh. Each page is requested as bench.measure's member, a "
    "first view as every view is, after 3 warm-up requests (so thread rows and "
    "posts come from the shared fragments, as for a page others have seen). "
    "cProfile counts "
    "CPU time and multiplies the cost of small calls several times over: compare "
    "the shares within a page, and the unprofiled CPU figures between pages."
)


def pages():
    user = measure.bench_member()
    wanted = {"board", "deep:category, page 1", "member floor", "template floor"}
    chosen = [
        page
        for page in measure.key_pages(user)
        if page.kind in wanted and "last page" not in page.name
    ]
    return user, chosen


RENDER_CPU = []
_rendered_content = SimpleTemplateResponse.rendered_content


def _timed_rendered_content(self):
    began = time.process_time()
    content = _rendered_content.fget(self)
    RENDER_CPU.append((time.process_time() - began) * 1000)
    return content


def timed(client, url, runs):
    """Median wall-clock ms, median CPU ms of this process, SQL ms, queries.

    CPU time leaves out waiting for PostgreSQL and for other processes on a
    busy machine: it is the Python side's cost."""
    times, cpu, sql, render = [], [], [], []
    queries = 0
    for _ in range(runs):
        RENDER_CPU.clear()
        with CaptureQueriesContext(connection) as captured:
            began, began_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
        queries = len(captured.captured_queries)
        sql.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        render.append(sum(RENDER_CPU))
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
    return (
        statistics.median(times),
        statistics.median(cpu),
        statistics.median(render),
        statistics.median(sql),
        queries,
    )


def cumulative(stats, file_part, name):
    total = 0.0
    for (filename, _line, function), row in stats.stats.items():
        if function == name and filename.endswith(file_part):
            total = max(total, row[3])  # cumulative of the outermost call
    return total


def profile(client, url, runs):
    # CPU time: on a shared machine wall-clock time is mostly other processes.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    began = time.process_time()
    for _ in range(runs):
        client.get(url)
    wall = (time.process_time() - began) / runs * 1000
    profiler.disable()
    return pstats.Stats(profiler), wall


def breakdown(stats, runs):
    """ms per request for each share, nested shares subtracted."""
    raw = {}
    for label, functions in SHARES:
        raw[label] = sum(cumulative(stats, f, n) for f, n in functions) / runs * 1000
    total = stats.total_tt / runs * 1000
    return raw, total


def top_functions(stats, runs, count):
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)
    lines = []
    for (filename, line, function), (_cc, calls, tottime, cumtime, _c) in rows[:count]:
        short = filename.split("site-packages/")[-1].replace(str(Path.cwd()), ".")
        lines.append(
            f"| `{short}:{line}({function})` | {calls / runs:,.0f} | "
            f"{tottime / runs * 1000:.2f} | {cumtime / runs * 1000:.2f} |"
        )
    return lines


def conclusion(measured, dtl, jinja):
    """What the figures above say is left, and the decisions taken on it."""
    floor = next(
        (cpu for name, (cpu, *_rest) in measured.items() if "template" in name), None
    )
    pages = {name: values for name, values in measured.items() if "floor" not in name}
    if floor is None or not pages:
        return []

    def share(values, label):
        _cpu, _queries, raw, wall = values
        return raw[label] / wall * 100

    compiling = [share(v, "SQL compilation (ORM as_sql)") for v in pages.values()]
    rendering = [share(v, "template rendering") for v in pages.values()]
    cpus = [cpu for cpu, *_rest in pages.values()]
    queries = [count for _cpu, count, *_rest in pages.values()]
    floor_queries = next(
        count for name, (_cpu, count, *_rest) in measured.items() if "template" in name
    )
    root = Path(__file__).resolve().parent.parent
    templates = sum(1 for _ in (root / "templates").rglob("*.*"))
    libraries = sum(
        1 for path in root.glob("*/templatetags/*.py") if path.name != "__init__.py"
    )
    ratio_low, ratio_high = min(cpus) / floor, max(cpus) / floor
    within = (
        "within the twice its cost that half its requests/s allows"
        if ratio_high <= 2
        else "more than the twice its cost that half its requests/s allows"
    )
    return [
        "## What is left, and what would get there",
        "",
        f"The board, category and thread pages take {min(cpus):.1f}–"
        f"{max(cpus):.1f} ms of this process's CPU against the template "
        f"floor's {floor:.1f} ms ({ratio_low:.1f}–{ratio_high:.1f} times it), "
        f"{within} (the database's CPU counts too: both share the machine's "
        f"two cores). They make {min(queries)}–{max(queries)} queries against "
        f"the template floor's {floor_queries} (BEGIN and COMMIT counted).",
        "",
        "- **Queries**: the ones every page makes (session, account, the "
        "lists of threads, a thread page's thread, posts and the reader's "
        "marks, the header's unread count) are prepared queries "
        '(members/common/prepared.py; docs/operations.md, "Prepared '
        'queries"): built and compiled once per process and planned by '
        "PostgreSQL once per connection, only their values bound per "
        "request. "
        + (
            "No query is built or compiled by the ORM on these pages any "
            "more (under 1 % of the profiled CPU); "
            if max(compiling) < 1
            else f"Building and compiling with the ORM is left at "
            f"{min(compiling):.0f}–{max(compiling):.0f} % of a page's "
            "profiled CPU; "
        )
        + "the queries a page makes only in some states (a reply draft, an "
        "addressed thread's answers, an event's sign-up) still are.",
        f"- **Rendering**: {min(rendering):.0f}–{max(rendering):.0f} % of "
        "the profiled CPU. Thread rows and posts come from the shared "
        "fragments, and so do the parts of a page that are the same for "
        "many readers ({% shared_fragment %}: the menu's links, the footer, "
        "a thread's page links, an empty reply form). What is rendered per "
        "reader is what differs: the header's count and name, the forms "
        "with the reader's CSRF token (follow buttons, sign-out), the "
        "breadcrumbs and the thread's own details. What would take more of "
        "it is the template language's own cost per tag and variable "
        "(below).",
        "",
        "**The template language: staying with Django's.** Jinja2 renders the "
        f"floor's rows {dtl / jinja:.1f} times as fast ({dtl:.2f} against "
        f"{jinja:.2f} ms). Moving the site's {templates} templates and "
        f"{libraries} tag libraries would save roughly that share of the "
        "rendering part on "
        "every page, template floor included, so the ratios would move little, "
        "and two template languages in one project would cost every later "
        "change (the admin, allauth's pages and the mails stay in Django's). "
        "The measurements to repeat before deciding otherwise are these.",
        "",
    ]


def jinja2_comparison(runs=200):
    """The template floor's page rendered by the Django template language and
    by Jinja2 from the same source (tags translated), CPU ms each (median)."""
    import re

    import jinja2
    from django.utils.formats import date_format
    from django.utils.translation import gettext

    from bench import urls

    context = {**urls.floor_context(), "user_pk": 1}
    source = urls.TEMPLATE.read_text().replace("{% load i18n %}", "")
    source = re.sub(r"{% translate ['\"]([^'\"]*)['\"] %}", r'{{ _("\1") }}', source)
    source = re.sub(r"\|date:['\"]([^'\"]*)['\"]", r'|date("\1")', source)
    environment = jinja2.Environment(autoescape=True)
    environment.filters["date"] = date_format
    environment.globals["_"] = gettext
    jinja = environment.from_string(source)
    django_template = urls.floor_template()
    if len(jinja.render(**context)) != len(django_template.render(context)) - 1:
        sys.exit("the Jinja2 version of the template floor renders another page")

    def median_ms(render):
        times = []
        for _ in range(runs):
            began = time.process_time()
            render()
            times.append((time.process_time() - began) * 1000)
        return statistics.median(times)

    return (
        median_ms(lambda: django_template.render(context)),
        median_ms(lambda: jinja.render(**context)),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--output")
    parser.add_argument("--only", help="profile only pages whose name has this")
    args = parser.parse_args(argv)
    user, chosen = pages()
    if args.only:
        chosen = [page for page in chosen if args.only in page.name]
    SimpleTemplateResponse.rendered_content = property(_timed_rendered_content)
    client = Client(headers={"host": "localhost"})
    client.force_login(user)
    out = ["# Where a first view's time goes", "", INTRO, ""]
    measured = {}
    for page in chosen:
        for _ in range(3):
            client.get(page.url)
        median, cpu, render, sql, queries = timed(client, page.url, args.runs)
        stats, wall = profile(client, page.url, args.runs)
        raw, _total = breakdown(stats, args.runs)
        measured[page.name] = (cpu, queries, raw, wall)
        out += [
            f"## {page.name}",
            "",
            f"`{page.url}`: median {median:.1f} ms unprofiled ({cpu:.1f} ms of "
            f"this process's CPU, {render:.1f} ms of it rendering the template "
            "and the queries it runs lazily), "
            f"{queries} queries taking {sql:.1f} ms in the "
            f"query log; under cProfile {wall:.1f} ms of CPU "
            f"a request, of which (cumulative, nested shares overlap):",
            "",
            *(f"- {label}: {ms:.1f} ms" for label, ms in raw.items()),
            "",
            "| function | calls | own ms | cumulative ms |",
            "| --- | ---: | ---: | ---: |",
            *top_functions(stats, args.runs, args.top),
            "",
        ]
        print(
            f"{page.name}: {median:.1f} ms, cpu {cpu:.1f}, render {render:.1f}, "
            f"sql {sql:.1f}, "
            f"{queries} queries, "
            + ", ".join(f"{k.split(' ')[0]} {v:.1f}" for k, v in raw.items()),
            file=sys.stderr,
        )
    dtl, jinja = jinja2_comparison()
    out += [
        "## The template language",
        "",
        f"The template floor's 50 rows (bench/templates/floor.html), rendered "
        f"without a request: {dtl:.2f} ms of CPU by the Django template "
        f"language, {jinja:.2f} ms by Jinja2 from the same source "
        f"({dtl / jinja:.1f} times faster), median of 200.",
        "",
    ]
    out += conclusion(measured, dtl, jinja)
    text = "\n".join(out) + "\n"
    if args.output:
        Path(args.output).write_text(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
