"""Several app nodes under load while parts fail, and nothing lost.

    python -m bench.scale [--nodes 2] [--members 20] [--duration 60]
                          [--replica] [--object-store] [--output var/scale-test]

`make scale-test` runs the short form (what CI runs); `make scale-test
SCALE_ARGS="--long"` the long one. What it does, on loopback only:
  1. takes the database in DATABASE_URL (which it empties: make scale-test
     gives it a temporary PostgreSQL of its own), or with --replica starts a
     primary and a streaming replica of its own (config.localreplica);
     migrates it and seeds a small board with an account per member;
  2. starts the cluster of bench.cluster: its own redis-server, N gunicorn
     nodes with production settings and separate media and temp
     directories, HAProxy health-checking /healthz, and the task worker;
     with --object-store also an S3 server (config.localobjects) behind a
     TCP gate that can be made to refuse;
  3. lets the members (bench.members) sign in through HAProxy, browse and
     post (with --object-store some posts carry a file) while, on a fixed
     schedule: one node is killed (SIGKILL, as a machine that is lost) and
     started again; Redis is restarted; with --replica the replica is
     stopped and started again; with --object-store the object store
     refuses connections for 10 s;
  4. checks that nothing was lost: every acknowledged post is in the
     database exactly once, in its thread, is shown by every node (asked
     directly, not through HAProxy), and its file, if any, is stored and
     served by every node with the checksum the member sent; no member was
     ever signed out;
  5. writes the figures to OUTPUT.json and OUTPUT.md: requests served,
     errors by kind, the longest time any member went without a successful
     request, the cost of a page view (CPU, queries per database alias),
     Redis memory and PostgreSQL connections.

It exits with status 1 when anything was lost. Errors while a part is
down are expected and counted, not failed: that is what the figures show.
Like bench.load it runs with DJANGO_DEBUG on; the nodes get production
settings.
"""

import argparse
import contextlib
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

STARTED = time.monotonic()
BUCKET = "renkei-scale-media"


def say(message):
    print(f"[{time.monotonic() - STARTED:7.1f}s] {message}", flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--long", action="store_true", help="the long form")
    parser.add_argument("--nodes", type=int, help="app nodes (2)")
    parser.add_argument("--workers", type=int, help="gunicorn workers per node")
    parser.add_argument("--members", type=int, help="simulated members")
    parser.add_argument("--duration", type=int, help="seconds of load")
    parser.add_argument(
        "--replica",
        action="store_true",
        help="a streaming replica (config.localreplica), stopped during the run",
    )
    parser.add_argument(
        "--object-store",
        action="store_true",
        help="media on S3 (config.localobjects), refusing for 10 s in the run",
    )
    parser.add_argument(
        "--store-outage",
        action="store_true",
        help="with --object-store: the store refuses connections for 10 s",
    )
    parser.add_argument(
        "--think",
        type=think_range,
        help="seconds a member waits between actions, e.g. 1-3 (short form) "
        "or 5-15 (long form: a page every ten seconds or so, as in an emergency)",
    )
    parser.add_argument(
        "--file-share", type=float, default=0.25, help="share of posts with a file"
    )
    parser.add_argument(
        "--output",
        default="var/scale-test",
        help="figures go to OUTPUT.json and OUTPUT.md",
    )
    args = parser.parse_args(argv)
    if args.long:
        defaults = {
            "nodes": 2,
            "workers": 3,
            "members": 100,
            "duration": 300,
            "think": (5.0, 15.0),
        }
        args.replica = args.object_store = args.store_outage = True
    else:
        defaults = {
            "nodes": 2,
            "workers": 2,
            "members": 20,
            "duration": 60,
            "think": (1.0, 3.0),
        }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.nodes < 2:
        parser.error("--nodes must be 2 or more: one of them is killed")
    if args.duration < 30:
        parser.error("--duration must be 30 seconds or more")
    return args


def think_range(text):
    try:
        low, high = (float(part) for part in text.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a range such as 1-3: {text}") from None
    return low, high


# ----- the database -----


def start_database(args, stack, workdir):
    """DATABASE_URL for the run (and the replica's URL with --replica)."""
    if not args.replica:
        url = os.environ.get("DATABASE_URL")
        if not url:
            sys.exit("DATABASE_URL is not set (make scale-test gives one)")
        return url, None
    from config.localreplica import PrimaryAndReplica

    say("starting a PostgreSQL primary and its streaming replica ...")
    pair = stack.enter_context(PrimaryAndReplica(workdir / "postgres"))
    os.environ["DATABASE_URL"] = pair.primary_url
    return pair.primary_url, pair


def prepare(args, workdir):
    """A fresh board with an account per member; their e-mails."""
    from bench import setup_django

    setup_django()
    from django.core.management import call_command

    from bench import seed
    from members.models import User

    say("migrating and seeding the database ...")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    with (workdir / "seed.log").open("w") as log, contextlib.redirect_stdout(log):
        code = seed_board(seed, args)
    if code:
        sys.exit(code)
    accounts = list(
        User.objects.filter(email__endswith="@" + seed.BENCH_DOMAIN)
        .order_by("email")
        .values_list("email", flat=True)[: args.members]
    )
    if len(accounts) < args.members:
        sys.exit(f"only {len(accounts)} accounts for {args.members} members")
    say(f"seeded; {len(accounts)} member accounts")
    return accounts, seed.BENCH_PASSWORD


def seed_board(seed, args):
    return seed.main(
        [
            "--reset",
            "--threads",
            "200",
            "--posts",
            "2000",
            "--users",
            str(args.members),
            "--big-thread",
            "100",
            "--pool",
            "100",
            "--disasters",
            "0",
            "--dispatches",
            "0",
        ]
    )


# ----- faults -----


class Schedule(threading.Thread):
    """The faults, at fixed shares of the run, one after another."""

    def __init__(self, events):
        super().__init__(name="faults", daemon=True)
        self.events = sorted(events, key=lambda event: event[0])
        self.log = []
        self.error = None

    def run(self):
        started = time.monotonic()
        try:
            for at, name, action in self.events:
                time.sleep(max(0.0, started + at - time.monotonic()))
                begun = time.monotonic() - started
                action()
                self.log.append(
                    {
                        "event": name,
                        "at": round(begun, 1),
                        "took": round(time.monotonic() - started - begun, 1),
                    }
                )
                say(f"{name} (took {self.log[-1]['took']} s)")
        except Exception as error:
            self.error = f"{type(error).__name__}: {error}"
            say(f"fault schedule failed: {self.error}")


def faults(args, cluster, pair, gate):
    """(seconds, name, action) for this run."""
    duration = args.duration
    victim = cluster.nodes[0]

    def kill_node():
        victim.kill()

    def restart_node():
        victim.spawn()
        victim.wait_healthy()

    events = [
        (duration * 0.2, f"{victim.name} killed (SIGKILL)", kill_node),
        (duration * 0.2 + 5, f"{victim.name} started again", restart_node),
        (duration * 0.55, "Redis restarted", cluster.redis.restart),
    ]
    if pair is not None:
        events += [
            (duration * 0.4, "replica stopped", pair.stop_replica),
            (duration * 0.4 + 15, "replica started again", pair.start_replica),
        ]
    if gate is not None and args.store_outage:
        events += [
            (duration * 0.7, "object store refusing", gate.refuse),
            (duration * 0.7 + 10, "object store back", gate.accept),
        ]
    return events


# ----- sampling -----


class Sampler(threading.Thread):
    """Once a second: PostgreSQL's connections and Redis's memory."""

    def __init__(self, cluster, database_url):
        super().__init__(name="sampler", daemon=True)
        self.cluster = cluster
        self.database_url = database_url
        self.connections = []
        self.redis_memory = []
        # Seconds in which each node was out of HAProxy's pool, and in which
        # none was in it.
        self.down = Counter()
        self.stopping = threading.Event()

    def run(self):
        import psycopg

        while not self.stopping.wait(1):
            try:
                with psycopg.connect(self.database_url, connect_timeout=2) as db:
                    count = db.execute(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database()"
                    ).fetchone()[0]
                self.connections.append(count)
            except psycopg.Error:
                pass
            # Redis may be restarting.
            with contextlib.suppress(Exception):
                self.redis_memory.append(self.cluster.redis.used_memory())
            with contextlib.suppress(OSError):
                servers = self.cluster.balancer.servers()
                for name, server in servers.items():
                    if not server["status"].startswith("UP"):
                        self.down[name] += 1
                if all(not s["status"].startswith("UP") for s in servers.values()):
                    self.down["no node"] += 1


# ----- the check -----

TOKEN = re.compile(r"SCALE-[0-9a-f]{32}")


def check(acknowledged, cluster, accounts, password):
    """Every acknowledged post and file, exactly once, on every node."""
    from django.core.files.storage import default_storage

    from bench.members import session, sign_in
    from boards.models import Post

    problems = []
    tokens = Counter(item["token"] for item in acknowledged)
    problems += [f"{t} acknowledged {n} times" for t, n in tokens.items() if n > 1]
    found = {}
    for post in Post.objects.filter(body__contains="SCALE-").prefetch_related(
        "attachments"
    ):
        for token in TOKEN.findall(post.body):
            found.setdefault(token, []).append(post)
    files_stored = 0
    for item in acknowledged:
        posts = found.get(item["token"], [])
        if len(posts) != 1:
            problems.append(f"{item['token']}: {len(posts)} posts in the database")
            continue
        post = posts[0]
        item["post"] = post.pk
        if post.thread_id != item["thread"]:
            problems.append(f"{item['token']}: in thread {post.thread_id}")
        files = list(post.attachments.all())
        expected = 1 if item["attachment"] else 0
        if len(files) != expected:
            problems.append(f"{item['token']}: {len(files)} files, {expected} sent")
            continue
        for attachment in files:
            item["file_url"] = (
                f"/boards/files/{attachment.pk}/{attachment.original_name}"
            )
            try:
                with default_storage.open(attachment.file.name) as stored:
                    digest = hashlib.sha256(stored.read()).hexdigest()
            except OSError as error:
                problems.append(f"{item['token']}: file not stored ({error})")
                continue
            if digest != item["attachment"]["sha256"]:
                problems.append(f"{item['token']}: stored file differs")
            else:
                files_stored += 1
    unacknowledged = sorted(set(found) - set(tokens))
    # Seen through every node, asked directly.
    shown = Counter()
    for node in cluster.nodes:
        # Asked directly, so both proxies' addresses are sent by hand.
        client = session(node.base_url, "10.255.255.1, 127.0.0.1")
        if not sign_in(client, accounts[0], password):
            problems.append(f"{node.name}: cannot sign in to check")
            continue
        for item in acknowledged:
            if "post" not in item:
                continue
            page = client.get(node.base_url + item["location"], timeout=30)
            if page.status_code != 200 or item["token"] not in page.text:
                problems.append(
                    f"{item['token']}: not shown by {node.name} ({page.status_code})"
                )
                continue
            shown[node.name] += 1
            if item.get("file_url"):
                download = client.get(node.base_url + item["file_url"], timeout=30)
                digest = hashlib.sha256(download.content).hexdigest()
                if download.status_code != 200 or (
                    digest != item["attachment"]["sha256"]
                ):
                    problems.append(
                        f"{item['token']}: file not served by {node.name}"
                        f" ({download.status_code})"
                    )
    return {
        "acknowledged": len(acknowledged),
        "with_files": sum(1 for item in acknowledged if item["attachment"]),
        "found_once": sum(1 for item in acknowledged if "post" in item),
        "files_stored": files_stored,
        "shown_by_node": dict(shown),
        "saved_without_acknowledgement": len(unacknowledged),
        "problems": problems,
    }


# ----- figures -----


def failures_by_5s(timeline, offset):
    """Failures by kind in each 5 s of the run, on the faults' clock."""
    buckets = {}
    for at, ok, kind in timeline:
        if not ok:
            bucket = str(int((at - offset) // 5 * 5))
            buckets.setdefault(bucket, Counter())[kind] += 1
    return {
        bucket: dict(kinds)
        for bucket, kinds in sorted(buckets.items(), key=lambda b: int(b[0]))
    }


def measure_nodes(cluster):
    return {
        "at": time.monotonic(),
        "cpu": sum(node.cpu_seconds() for node in cluster.nodes),
        "responses": sum(
            server["responses"] for server in cluster.balancer.servers().values()
        ),
    }


def node_cost(before, after):
    responses = after["responses"] - before["responses"]
    if responses <= 0:
        return None
    cpu = after["cpu"] - before["cpu"]
    return {
        "seconds": after["at"] - before["at"],
        "cpu_seconds": cpu,
        "responses": responses,
        "ms_per_response": cpu * 1000 / responses,
    }


def cost_figures(tally, cpu_window):
    kinds = sorted(tally.served)
    per_kind = {}
    for kind in kinds:
        served = tally.served[kind]
        if kind == "sign in" or not served:
            continue
        per_kind[kind] = {
            "served": served,
            "cpu_ms": tally.cpu_us[kind] / served / 1000,
            "queries": {
                alias: tally.queries[(k, alias)] / served
                for (k, alias) in tally.queries
                if k == kind
            },
        }
    views = sum(v["served"] for v in per_kind.values())
    total_cpu = sum(tally.cpu_us[kind] for kind in per_kind) / 1000
    queries = Counter()
    for (kind, alias), number in tally.queries.items():
        if kind in per_kind:
            queries[alias] += number
    return {
        "per_kind": per_kind,
        "page_views": views,
        "cpu_ms_per_view_in_django": total_cpu / views if views else None,
        "queries_per_view": {a: n / views for a, n in queries.items()} if views else {},
        "node_cpu": cpu_window,
    }


def machine():
    cpu = platform.machine()
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_before": os.getloadavg()[0],
    }


def markdown(summary):
    run, tally, lost, costs = (
        summary["run"],
        summary["requests"],
        summary["lost"],
        summary["costs"],
    )
    verdict = "passed: nothing lost" if summary["passed"] else "FAILED"
    lines = [
        "# Several nodes under faults",
        "",
        f"`python -m bench.scale` of {run['finished_at']}: **{verdict}**.",
        "",
        f"{run['nodes']} gunicorn nodes × {run['workers']} workers behind HAProxy, "
        f"{run['members']} simulated members for {run['duration']} s, "
        f"{run['think'][0]:g}–{run['think'][1]:g} s between actions; "
        f"replica: {'yes' if run['replica'] else 'no'}; "
        f"media: {'S3 (moto)' if run['object_store'] else 'posts only, no files'}. "
        f"Machine: {summary['machine']['cpu']}, {summary['machine']['cores']} "
        f"cores, load {summary['machine']['load_before']:.1f} before the run.",
        "",
        "| figure | value |",
        "| --- | ---: |",
        f"| requests served | {tally['served']:,} |",
        f"| requests failed | {tally['failed']:,} |",
        f"| longest outage seen by a member | {tally['longest_outage']:.1f} s |",
        f"| median of the members' longest outages | {tally['median_outage']:.1f} s |",
        f"| posts acknowledged | {lost['acknowledged']:,} |",
        f"| of these with a file | {lost['with_files']:,} |",
        f"| found exactly once | {lost['found_once']:,} |",
        f"| files stored with the member's checksum | {lost['files_stored']:,} |",
        "| shown by each node | "
        + ", ".join(f"{k}: {v}" for k, v in sorted(lost["shown_by_node"].items()))
        + " |",
        f"| saved but not acknowledged (cut off mid-request) | "
        f"{lost['saved_without_acknowledgement']} |",
        f"| lost | **{len(lost['problems'])}** |",
        "",
        "Errors by kind:",
        "",
        "| kind | count |",
        "| --- | ---: |",
    ]
    lines += [f"| {k} | {v} |" for k, v in sorted(tally["errors"].items())] or []
    if not tally["errors"]:
        lines.append("| (none) | 0 |")
    lines += [
        "",
        "Faults:",
        "",
        "| at (s) | event | took (s) |",
        "| ---: | --- | ---: |",
    ]
    lines += [f"| {e['at']} | {e['event']} | {e['took']} |" for e in summary["faults"]]
    if summary["failures_by_5s"]:
        lines += [
            "",
            "Failures in time (seconds on the faults' clock):",
            "",
            "| from (s) | failures |",
            "| ---: | --- |",
        ]
        lines += [
            f"| {at} | "
            + ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
            + " |"
            for at, kinds in summary["failures_by_5s"].items()
        ]
    lines += [
        "",
        "Cost of a page view (CPU of the worker inside Django, statements per "
        "database alias):",
        "",
        "| page | served | CPU ms | statements |",
        "| --- | ---: | ---: | --- |",
    ]
    for kind, figures in sorted(costs["per_kind"].items()):
        queries = ", ".join(
            f"{a} {n:.1f}" for a, n in sorted(figures["queries"].items())
        )
        lines.append(
            f"| {kind} | {figures['served']:,} | {figures['cpu_ms']:.1f} | {queries} |"
        )
    node_cpu = costs["node_cpu"]
    if node_cpu:
        lines += [
            "",
            f"Nodes' whole CPU (gunicorn master and workers, from /proc) over "
            f"the last {node_cpu['seconds']:.0f} s (no fault then): "
            f"{node_cpu['cpu_seconds']:.1f} s for {node_cpu['responses']:,} "
            f"responses, **{node_cpu['ms_per_response']:.1f} ms per response**.",
        ]
    lines += [
        "",
        f"PostgreSQL connections (this database): at most "
        f"{summary['resources']['max_connections']}; Redis memory at most "
        f"{summary['resources']['max_redis_mb']:.1f} MB; "
        f"task results: {summary['resources']['tasks']}.",
        "",
        "Seconds out of HAProxy's pool (sampled each second): "
        + (
            ", ".join(
                f"{name} {seconds}"
                for name, seconds in sorted(
                    summary["resources"]["seconds_out_of_pool"].items()
                )
            )
            or "none"
        )
        + ".",
    ]
    if summary["problems"]:
        lines += ["", "## Problems", ""]
        lines += [f"- {p}" for p in summary["problems"][:50]]
    return "\n".join(lines) + "\n"


# ----- the run -----


def object_store(stack):
    """An S3 server behind a gate that can refuse; the nodes' environment."""
    try:
        from config import localobjects
    except ImportError:
        sys.exit(
            "--object-store needs config/localobjects.py (media on S3); "
            "without it media stays on each node's disk, which several nodes "
            "cannot share"
        )
    store = stack.enter_context(localobjects.object_store())
    localobjects.create_private_bucket(store, BUCKET)
    return store, store.environ(BUCKET)


def main(argv=None):
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="renkei-scale-"))
    os.chmod(workdir, 0o755)  # noqa: S103 (PostgreSQL's account walks it)
    summary = {"machine": machine()}
    problems = []
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        database_url, pair = start_database(args, stack, workdir)
        gate, store_env = (None, None)
        if args.object_store:
            gate, store_env = object_store(stack)
            os.environ.update(store_env)
        accounts, password = prepare(args, workdir)

        from django_tasks_db.models import DBTaskResult

        from bench.cluster import Cluster
        from bench.members import Member, Tally

        say(f"starting {args.nodes} nodes, Redis, HAProxy and the task worker ...")
        cluster = stack.enter_context(
            Cluster(
                database_url,
                workdir=workdir,
                nodes=args.nodes,
                workers=args.workers,
                object_store_env=store_env,
                replica_url=pair.replica_url if pair else None,
            )
        )
        say(f"HAProxy on {cluster.base_url}")
        tally = Tally()
        started = time.monotonic()
        deadline = started + args.duration
        members = [
            Member(
                number,
                base_url=cluster.base_url,
                email=email,
                password=password,
                tally=tally,
                deadline=deadline,
                started=started,
                file_share=args.file_share if args.object_store else 0.0,
                think=args.think,
            )
            for number, email in enumerate(accounts)
        ]
        sampler = Sampler(cluster, database_url)
        sampler.start()
        schedule = Schedule(faults(args, cluster, pair, gate))
        for member in members:
            member.start()
            time.sleep(min(0.2, 5 / len(members)))
        schedule.start()
        # The faults' times count from here; the members' from `started`.
        schedule_offset = time.monotonic() - started
        # Nodes' CPU in the last quarter of the run, when every fault is over
        # and every member has long signed in.
        time.sleep(max(0.0, started + args.duration * 0.75 - time.monotonic()))
        before = measure_nodes(cluster)
        time.sleep(max(0.0, deadline - 1 - time.monotonic()))
        cpu_window = node_cost(before, measure_nodes(cluster))
        for member in members:
            member.join(timeout=args.duration + 120)
        schedule.join(timeout=120)
        sampler.stopping.set()
        say(
            f"load over: {sum(tally.served.values())} requests served, "
            f"{sum(tally.errors.values())} failed"
        )
        if schedule.error:
            problems.append(f"fault schedule: {schedule.error}")
        # Every part back before the check.
        if pair is not None:
            pair.wait_for_replay()
        for node in cluster.nodes:
            node.wait_healthy()
            cluster.balancer.wait_status(node.name, "UP")
        say("checking every acknowledged post on every node ...")
        lost = check(tally.acknowledged, cluster, accounts, password)
        tasks = dict(
            Counter(DBTaskResult.objects.values_list("status", flat=True)).items()
        )
        redis_keys = cluster.redis.keys()
    outages = sorted(tally.outages.values())
    signed_out = tally.errors.get("signed out", 0)
    if signed_out:
        problems.append(f"members were signed out {signed_out} times")
    if not tally.acknowledged:
        problems.append("no post was acknowledged: the run proves nothing")
    problems += lost["problems"]
    summary.update(
        run={
            "nodes": args.nodes,
            "workers": args.workers,
            "members": args.members,
            "duration": args.duration,
            "think": args.think,
            "replica": bool(pair),
            "object_store": bool(gate),
            "finished_at": datetime.datetime.now(datetime.UTC)
            .astimezone()
            .strftime("%Y-%m-%d %H:%M %Z"),
        },
        requests={
            "served": sum(tally.served.values()),
            "failed": sum(tally.errors.values()),
            "by_kind": dict(tally.served),
            "errors": dict(tally.errors),
            "longest_outage": outages[-1] if outages else 0.0,
            "median_outage": outages[len(outages) // 2] if outages else 0.0,
        },
        faults=schedule.log,
        failures_by_5s=failures_by_5s(tally.timeline, schedule_offset),
        lost=lost,
        costs=cost_figures(tally, cpu_window),
        resources={
            "max_connections": max(sampler.connections, default=0),
            "max_redis_mb": max(sampler.redis_memory, default=0) / 1024 / 1024,
            "redis_keys_at_end": redis_keys,
            "seconds_out_of_pool": dict(sampler.down),
            "tasks": tasks,
        },
        problems=problems,
        passed=not problems,
    )
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2, default=str)
    )
    report = markdown(summary)
    output.with_suffix(".md").write_text(report)
    print(report)
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
