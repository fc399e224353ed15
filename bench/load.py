"""Load test: members browsing, searching and posting, against gunicorn.

    python -m bench.load [--users 100] [--spawn-rate 10] [--duration 5m]
                         [--output docs/load-test.md] [--json results.json]

What it does, against the database in DATABASE_URL (which it empties: make
load gives it a temporary PostgreSQL of its own):
  1. migrates it and seeds a modest board with bench.seed --reset (the real
     registry with 330 member organisations, 2,000 threads, 20,000 posts and
     an account per simulated member, password bench.seed.BENCH_PASSWORD)
     and the disaster demo (the Noto earthquake of the newsletter);
  2. starts gunicorn with production settings on 127.0.0.1
     (bench.server.serve with bench.load_settings);
  3. runs locust headless with bench/locustfile.py: each simulated member
     signs in once, then reads, searches and posts, some posts with a file;
  4. checks the run: no request failed; every post the members were told
     was saved is in the database exactly once, in its thread, with its file
     on disk; no other post appeared; the number of posts grew by exactly
     the number created;
  5. writes the figures to --output, and with --json a summary for tests.

It exits with status 1 if any check fails. Like bench.seed it runs with
DJANGO_DEBUG on; the server always gets production settings.
"""

import argparse
import datetime
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench import setup_django

setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Max  # noqa: E402

from bench import seed  # noqa: E402
from bench.server import serve  # noqa: E402
from boards.models import Attachment, Post  # noqa: E402
from members.models import Organisation, User  # noqa: E402

BASE_DIR = Path(__file__).resolve().parent.parent
STARTED = time.monotonic()
TOKEN = re.compile(r"LOAD-[0-9a-f]{32}")
TIMESPAN = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
# Members finishing what they were doing when the time is up, at most.
STOP_TIMEOUT = 60
# An earlier report's part from this heading on is kept (kept_notes).
KEPT = "## Earlier findings"
# Requests that are a member's action, in the order the report lists them.
KINDS = [
    "sign-in form",
    "sign in",
    "board home",
    "category page",
    "thread page",
    "search",
    "member directory",
    "disaster tracker",
    "disaster page",
    "new thread form",
    "post a reply",
    "post a reply with a file",
    "start a thread",
    "start a thread with a file",
    "thread page after posting",
]


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Load-test the site with simulated members (see docstring)."
    )
    parser.add_argument("--users", type=int, default=100, help="simulated members")
    parser.add_argument(
        "--spawn-rate", type=float, default=10, help="members starting per second"
    )
    parser.add_argument(
        "--duration", default="5m", help="how long the load lasts (30s, 5m, 1h30m)"
    )
    parser.add_argument(
        "--workers", type=int, default=3, help="gunicorn workers (as in production)"
    )
    parser.add_argument(
        "--attachment-share",
        type=float,
        default=0.3,
        help="share of posts that carry a file (0 to 1)",
    )
    parser.add_argument(
        "--reply-on-arrival",
        action="store_true",
        help="each member replies to a thread as soon as it has signed in, so "
        "that even a short run on a slow machine posts (the CI smoke test)",
    )
    parser.add_argument("--threads", type=int, default=2_000, help="seeded threads")
    parser.add_argument("--posts", type=int, default=20_000, help="seeded posts")
    parser.add_argument(
        "--output", help="write the figures as Markdown here (docs/load-test.md)"
    )
    parser.add_argument("--json", help="write a summary of the run as JSON here")
    args = parser.parse_args(argv)
    try:
        seconds(args.duration)
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    return args


def say(message):
    print(f"[{time.monotonic() - STARTED:7.1f}s] {message}", flush=True)


def seconds(timespan):
    """Seconds in a locust time span such as 30s, 5m or 1h30m."""
    match = TIMESPAN.fullmatch(timespan)
    if not match or not any(match.groups()):
        raise argparse.ArgumentTypeError(f"not a time span: {timespan}")
    hours, minutes, secs = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + secs


def prepare(args):
    """A fresh board with an account per simulated member; their e-mails."""
    say("migrating and seeding the database ...")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    code = seed.main(
        [
            "--reset",
            "--threads",
            str(args.threads),
            "--posts",
            str(args.posts),
            "--users",
            str(max(args.users, 1)),
            "--big-thread",
            "500",
            # Distinct bodies, each rendered once: enough to vary the pages.
            "--pool",
            str(max(50, min(1000, args.posts // 10))),
            # The disaster tracker gets the newsletter's data instead.
            "--disasters",
            "0",
            "--dispatches",
            "0",
        ]
    )
    if code:
        sys.exit(code)
    call_command("seed_demo_disaster", stdout=io.StringIO())
    say("seeded")
    return list(
        User.objects.filter(email__endswith="@" + seed.BENCH_DOMAIN)
        .order_by("email")
        .values_list("email", flat=True)[: args.users]
    )


def run_locust(args, base_url, plan_path):
    command = [
        sys.executable,
        "-m",
        "locust",
        "--locustfile",
        str(BASE_DIR / "bench" / "locustfile.py"),
        "--headless",
        "--host",
        base_url,
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        args.duration,
        # Members busy posting when the time is up finish first, so that
        # every post the site saved is also one a member was told about.
        "--stop-timeout",
        str(STOP_TIMEOUT),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    env = {**os.environ, "LOAD_PLAN": str(plan_path)}
    started = time.monotonic()
    # Bounded even if locust hangs: the run, the stop and a margin to start.
    limit = seconds(args.duration) + STOP_TIMEOUT + 120
    subprocess.run(command, cwd=BASE_DIR, env=env, check=False, timeout=limit)
    return time.monotonic() - started


def check_posts(created, last_post_pk, posts_before, attachments_before, media_root):
    """Compare what the members were told with what the database holds."""
    problems = []
    tokens = Counter(item["token"] for item in created)
    problems += [f"token {t} reported {n} times" for t, n in tokens.items() if n > 1]
    found = {}
    files_stored = 0
    for post in (
        Post.objects.filter(pk__gt=last_post_pk)
        .prefetch_related("attachments")
        .only("pk", "thread_id", "position", "body")
    ):
        for token in TOKEN.findall(post.body):
            found.setdefault(token, []).append(post)
    for item in created:
        posts = found.get(item["token"], [])
        if len(posts) != 1:
            problems.append(f"{item['token']}: {len(posts)} posts in the database")
            continue
        post = posts[0]
        if post.thread_id != item["thread"]:
            problems.append(f"{item['token']}: in thread {post.thread_id}")
        if (post.position == 0) != (item["kind"] == "thread"):
            problems.append(f"{item['token']}: at position {post.position}")
        files = list(post.attachments.all())
        expected = 1 if item["attachment"] else 0
        if len(files) != expected:
            problems.append(f"{item['token']}: {len(files)} attachments")
        for attachment in files:
            path = media_root / attachment.file.name
            if path.is_file() and path.stat().st_size == attachment.size:
                files_stored += 1
            else:
                problems.append(f"{item['token']}: file {attachment.file.name} lost")
    unknown = sorted(set(found) - set(tokens))
    problems += [f"{token}: saved, but nobody was told" for token in unknown]
    posts_after = Post.objects.count()
    attachments_after = Attachment.objects.count()
    with_files = sum(1 for item in created if item["attachment"])
    if posts_after - posts_before != len(created):
        problems.append(
            f"posts grew by {posts_after - posts_before}, {len(created)} created"
        )
    if attachments_after - attachments_before != with_files:
        problems.append(
            f"attachments grew by {attachments_after - attachments_before},"
            f" {with_files} sent"
        )
    return {
        "replies": sum(1 for item in created if item["kind"] == "reply"),
        "threads": sum(1 for item in created if item["kind"] == "thread"),
        "with_files": with_files,
        "files_stored": files_stored,
        "posts_before": posts_before,
        "posts_after": posts_after,
        "found": sum(1 for item in created if len(found.get(item["token"], [])) == 1),
        "unknown": len(unknown),
        "problems": problems,
    }


def machine():
    cpu = platform.processor() or platform.machine()
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        memory_kb = int(meminfo.readline().split()[1])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": postgres.split()[0],
        "load_before": os.getloadavg()[0],
    }


def request_table(kinds, total):
    lines = [
        "| request | count | failed | per second | p50 | p95 | p99 | max |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    rows = [(name, kinds[name]) for name in KINDS if name in kinds]
    rows += [(name, kinds[name]) for name in sorted(set(kinds) - set(KINDS))]
    rows.append(("**all**", total))
    lines += [
        f"| {name} | {k['requests']:,} | {k['failures']} | {k['rps']:.2f} "
        f"| {k['p50']:.0f} | {k['p95']:.0f} | {k['p99']:.0f} | {k['max']:.0f} |"
        for name, k in rows
    ]
    return lines


def markdown(summary):
    m, run, posts, total = (
        summary["machine"],
        summary["run"],
        summary["posts"],
        summary["total"],
    )
    verdict = "passed" if summary["passed"] else "FAILED"
    lines = [
        "# Load test",
        "",
        "Written by `python -m bench.load` (`make load`; docs/operations.md, "
        '"Load test"). Simulated member staff sign in once, then browse the board, '
        "read threads, search with Japanese words, look up the member directory "
        "and the disaster tracker, and post replies and new threads, "
        f"{summary['run']['attachment_share']:.0%} of them with a small PDF or PNG "
        "attached (bench/locustfile.py). gunicorn runs "
        "with production settings on 127.0.0.1, behind no proxy: the members send "
        "the proxy's `X-Forwarded-Proto` and `X-Forwarded-For` themselves.",
        "",
        f"Run of {run['finished_at']}: **{verdict}**.",
        "",
    ]
    if m["load_before"] > m["cores"]:
        lines += [
            "The machine was busy with other work during this run (its load "
            "average before the run was above its number of cores), so the "
            "times below are longer than the site's own; what the run shows is the "
            "failures and the posts. Run it again on an otherwise idle machine "
            "for times to compare.",
            "",
        ]
    lines += [
        "## Set-up",
        "",
        "| | |",
        "| --- | --- |",
        f"| machine | {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['os']} |",
        f"| software | Python {m['python']}, PostgreSQL {m['postgresql']} |",
        f"| load average (1 min) at the start and the end | {m['load_before']:.1f}, "
        f"{run['load_after']:.1f} (other work on the machine counts too) |",
        f"| server | gunicorn, {run['workers']} sync workers, production settings |",
        f"| simulated members | {run['users']}, starting {run['spawn_rate']:g} "
        "per second, 2–8 s between actions |",
        f"| duration | {run['duration']} of load ({run['wall_seconds']:.0f} s "
        "with the start and the members finishing what they were doing) |",
        f"| data | {run['organisations']:,} member organisations, "
        f"{run['threads_seeded']:,} threads and {posts['posts_before']:,} posts "
        "before the run |",
        "",
        "## Requests",
        "",
        f"{total['requests']:,} requests, {total['rps']:.1f} per second, "
        f"**{total['failures']} failed**. Times in milliseconds, "
        "measured by the client (redirects followed count as one request).",
        "",
        *request_table(summary["kinds"], total),
    ]
    steady = summary["steady"]
    if steady:
        lines += [
            "",
            "### Once every member had signed in",
            "",
            f"Every member had signed in {steady['seconds_to_sign_in']:.0f} s "
            "after the start: a sign-in costs the server a PBKDF2 hash, and "
            "while the members sign in, the other requests wait for them. "
            f"From then on: {steady['total']['requests']:,} requests, "
            f"{steady['total']['rps']:.1f} per second, "
            f"{steady['total']['failures']} failed.",
            "",
            *request_table(steady["kinds"], steady["total"]),
        ]
    lines += [
        "",
        "## Posts",
        "",
        "Each post carries a token; a post counts as created when the site "
        "answered with the redirect to it. Afterwards every token is looked up "
        "in the database.",
        "",
        "| | |",
        "| --- | ---: |",
        f"| replies created | {posts['replies']:,} |",
        f"| threads created | {posts['threads']:,} |",
        f"| of these with a file | {posts['with_files']:,} |",
        f"| files found in the media directory, of the size recorded "
        f"| {posts['files_stored']:,} |",
        f"| found exactly once in the database, with their files "
        f"| {posts['found']:,} |",
        f"| posts in the database that no member was told about | {posts['unknown']} |",
        f"| posts before → after | {posts['posts_before']:,} → "
        f"{posts['posts_after']:,} (+{posts['posts_after'] - posts['posts_before']:,})"
        " |",
        "",
    ]
    if summary["problems"]:
        lines += ["## Problems", ""]
        lines += [f"- {problem}" for problem in summary["problems"][:50]]
        lines.append("")
    return "\n".join(lines)


def kept_notes(path):
    """The end of an earlier report from the KEPT heading on, if it has one:
    findings of other runs, which a new run does not replace."""
    earlier = path.read_text() if path.exists() else ""
    start = earlier.find(KEPT)
    return "" if start < 0 else "\n" + earlier[start:]


def main(argv=None):
    args = parse_args(argv)
    accounts = prepare(args)
    if len(accounts) < args.users:
        sys.exit(f"only {len(accounts)} accounts for {args.users} members")
    posts_before = Post.objects.count()
    attachments_before = Attachment.objects.count()
    last_post_pk = Post.objects.aggregate(last=Max("pk"))["last"] or 0
    summary = {"machine": machine()}
    work = Path(tempfile.mkdtemp(prefix="renkei-load-"))
    media_root = work / "media"
    media_root.mkdir()
    # bench.load_settings reads it; bench.server passes it to gunicorn.
    os.environ["BENCH_LOAD_MEDIA_ROOT"] = str(media_root)
    plan = work / "plan.json"
    results = work / "results.json"
    plan.write_text(
        json.dumps(
            {
                "accounts": accounts,
                "password": seed.BENCH_PASSWORD,
                "attachment_share": args.attachment_share,
                "reply_on_arrival": args.reply_on_arrival,
                "results": str(results),
            }
        )
    )
    try:
        with serve(
            os.environ["DATABASE_URL"],
            workers=args.workers,
            settings="bench.load_settings",
        ) as base_url:
            say(f"{args.users} members for {args.duration} against {base_url} ...")
            wall = run_locust(args, base_url, plan)
            load_after = os.getloadavg()[0]
        if not results.exists():
            sys.exit("locust wrote no results: see its output above")
        outcome = json.loads(results.read_text())
        say("checking the posts ...")
        posts = check_posts(
            outcome["created"],
            last_post_pk,
            posts_before,
            attachments_before,
            media_root,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = outcome["total"]
    problems = [*outcome["errors"], *posts.pop("problems")]
    if total["requests"] == 0:
        problems.append("no requests were made")
    summary.update(
        run={
            "users": args.users,
            "spawn_rate": args.spawn_rate,
            "duration": args.duration,
            "workers": args.workers,
            "attachment_share": args.attachment_share,
            "load_after": load_after,
            "wall_seconds": wall,
            "organisations": Organisation.objects.members().count(),
            "threads_seeded": args.threads,
            "finished_at": datetime.datetime.now(datetime.UTC)
            .astimezone()
            .strftime("%Y-%m-%d %H:%M %Z"),
        },
        total=total,
        kinds=outcome["kinds"],
        steady=outcome["steady"],
        posts=posts,
        problems=problems,
        passed=not problems and total["failures"] == 0,
    )
    report = markdown(summary)
    print(report)
    if args.output:
        Path(args.output).write_text(report + kept_notes(Path(args.output)))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
