"""Fill the database with a large, realistic board for the benchmarks.

    python -m bench.seed [--posts 1000000] [--threads 100000] [--users 5000]
                         [--members 330] [--big-thread 5000] [--reset]

What it makes (defaults):
  - the real registry of prefectures and local governments
    (load_local_governments); the 23 wards and 330 others become members,
    with contact details for the directory;
  - 5,000 staff accounts of member organisations (e-mail
    benchNNNNN@bench.example.jp, password BENCH_PASSWORD below, address
    verified); the first account of each ward is ward staff, the rest are
    member staff; and one office account, office@bench.example.jp;
  - 100,000 threads since April 2019 in the default categories, a few pinned,
    locked or hidden;
  - 1,000,000 posts: one opening post per thread, one thread with 5,000
    replies, the rest spread unevenly (most threads get a few replies, some
    a few hundred). 5% of replies quote the post before, 0.3% are deleted,
    2% carry a PDF attachment (a database row only: no file on disk), and
    the rare words of bench.corpus are planted in a handful of posts;
  - 100 disasters with 50,000 dispatches (teams), their requests, offers
    and some 130,000 seats (bench.disasters).

How it stays fast (3 to 4 minutes for the default on two cores):
  - Post bodies rotate through a pool of --pool bodies. Each pool body is
    rendered once with the real Markdown renderer and indexed once with
    boards.search.bigram_tsvector. Posts whose search document differs
    (opening posts, which include the title; posts with an attachment, a
    planted word or a deletion) are indexed one by one, as boards.services.posts
    does.
  - The boards tables are truncated, their secondary indexes and foreign keys
    dropped, and threads, posts and attachments written with COPY ... FREEZE
    in one transaction. The denormalised counters (Thread.reply_count,
    last_position, last_activity_at, last_post_*, Category counts) are then
    set from the posts with set-based UPDATEs, the indexes and constraints
    recreated from their own definitions, and the tables vacuumed and
    analysed.

It refuses a database that already holds threads unless --reset is given,
which empties every boards and disaster-tracker table (work types stay) and
deletes the accounts of an earlier run (nothing else). Like seed_demo, it
only runs with DJANGO_DEBUG on, or with --force.
"""

import argparse
import datetime
import io
import json
import random
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from bench import setup_django

setup_django()

from allauth.account.models import EmailAddress  # noqa: E402
from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench import disasters  # noqa: E402
from bench.corpus import RARE_WORDS, TextMaker  # noqa: E402
from bench.pgcopy import copy_rows, copy_text  # noqa: E402
from boards import markdown, search  # noqa: E402
from boards.models import (  # noqa: E402
    Attachment,
    Category,
    OrganisationGroup,
    Post,
    Thread,
)
from members import permissions  # noqa: E402
from members.models import MembershipStatus, Organisation, User  # noqa: E402
from members.services import accounts  # noqa: E402

BENCH_DOMAIN = "bench.example.jp"
BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 (benchmark accounts only)
# The office account the admin pages and the dispatch report are timed with.
BENCH_OFFICE_EMAIL = f"office@{BENCH_DOMAIN}"
OFFICE_NAME = "公益財団法人特別区協議会"
START = datetime.datetime(2019, 4, 1, tzinfo=datetime.UTC)
BIG_THREAD_TITLE = "東京23区合同 観光物産展 出展自治体募集（通年・随時更新）"

# Share of threads per category slug; unknown slugs get the "other" share.
CATEGORY_WEIGHTS = {
    "proposals": 20,
    "participation": 25,
    "publicity": 20,
    "pamphlets": 12,
    "pr": 13,
    "announcements": 3,
    "other": 7,
}
PINNED_PER_CATEGORY = 2
LOCKED_SHARE = 0.01
HIDDEN_SHARE = 0.002
QUOTE_SHARE = 0.05
DELETED_SHARE = 0.003
ATTACHMENT_SHARE = 0.02
# Replies to an ordinary thread come on average this long after it started.
MEAN_REPLY_DELAY = 3 * 86400
# Every boards table but the categories, which the data migrations made,
# and the groups of organisations that may read some of them (a table the
# categories refer to cannot be truncated without them).
KEPT_MODELS = {
    Category,
    OrganisationGroup,
    OrganisationGroup.organisations.through,
}
BOARDS_TABLES = [
    model._meta.db_table
    for model in apps.get_app_config("boards").get_models(include_auto_created=True)
    if model not in KEPT_MODELS
]
# Tables loaded with COPY, whose indexes and foreign keys are rebuilt.
LOADED_TABLES = [model._meta.db_table for model in (Thread, Post, Attachment)]


class Progress:
    """Prints what is being done with the time since the start."""

    def __init__(self):
        self.started = time.perf_counter()
        self.steps = {}

    def say(self, message):
        elapsed = time.perf_counter() - self.started
        print(f"[{elapsed:7.1f}s] {message}", flush=True)

    @contextmanager
    def step(self, name):
        self.say(f"{name} ...")
        began = time.perf_counter()
        yield
        self.steps[name] = round(time.perf_counter() - began, 1)
        self.say(f"{name}: {self.steps[name]:.1f}s")

    @property
    def total(self):
        return round(time.perf_counter() - self.started, 1)


@contextmanager
def without_secondary_indexes(cursor, tables, progress):
    """Drop indexes and unique/foreign-key constraints; recreate them after.

    Primary keys stay (other tables refer to them). Definitions are read
    from the catalogue, so whatever the migrations created is rebuilt as
    it was, with the same names.
    """
    constraints = []
    indexes = []
    for table in tables:
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype IN ('u', 'f')",
            [table],
        )
        constraints += [(table, *row) for row in cursor.fetchall()]
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid)"
            " FROM pg_index WHERE indrelid = %s::regclass AND NOT indisprimary"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint"
            "  WHERE conindid = indexrelid AND conrelid = indrelid)",
            [table],
        )
        indexes += cursor.fetchall()
    # Django's foreign keys are deferred; run the checks still pending for
    # the accounts made earlier, or the referenced tables cannot be altered.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table, name, _kind, _definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    progress.say(
        f"dropped {len(indexes)} indexes and {len(constraints)} constraints "
        f"on {', '.join(tables)}"
    )
    yield
    with progress.step("indexes and constraints"):
        _recreate(cursor, constraints, indexes, progress)


def _recreate(cursor, constraints, indexes, progress):
    # Unique constraints (which build indexes) first, foreign keys last:
    # each foreign key is then checked with one join instead of row by row.
    order = {"u": 0, "f": 2}
    work = [
        (order[kind], table, name, definition)
        for table, name, kind, definition in constraints
    ]
    work += [(1, None, name, definition) for name, definition in indexes]
    for _rank, table, name, definition in sorted(work, key=lambda item: item[0]):
        began = time.perf_counter()
        if table is None:
            cursor.execute(definition)
        else:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        progress.say(f"  {name}: {time.perf_counter() - began:.1f}s")


def check_database(args):
    if not settings.DEBUG and not args.force:
        sys.exit("bench.seed only runs with DJANGO_DEBUG on, or with --force.")
    if Thread.objects.exists() and not args.reset:
        sys.exit(
            "The database already has threads. Run again with --reset to empty "
            "the boards tables (and delete the benchmark accounts) first."
        )


def empty_boards(cursor):
    """Empty every boards table; counters of the categories back to zero."""
    cursor.execute(f"TRUNCATE {', '.join(BOARDS_TABLES)} RESTART IDENTITY")
    Category.objects.update(thread_count=0, post_count=0, last_activity_at=None)
    User.objects.filter(email__endswith=f"@{BENCH_DOMAIN}").delete()


def make_members(rng, count):
    """The 23 wards and `count` other organisations become members."""
    call_command("load_local_governments", stdout=io.StringIO())
    Kind = Organisation.Kind
    Organisation.objects.filter(kind=Kind.SPECIAL_WARD).update(
        membership_status=MembershipStatus.MEMBER
    )
    others = Organisation.objects.exclude(kind__in=[Kind.SPECIAL_WARD, Kind.BODY])
    members = list(others.members().values_list("pk", flat=True))
    candidates = list(
        others.exclude(pk__in=members).order_by("code").values_list("pk", flat=True)
    )
    chosen = rng.sample(candidates, max(0, min(count - len(members), len(candidates))))
    others.filter(pk__in=chosen).update(membership_status=MembershipStatus.MEMBER)
    maker = TextMaker(rng, municipalities=[], wards=[], prefectures=[])
    updated = []
    for organisation in Organisation.objects.members().filter(department=""):
        organisation.department = rng.choice(
            ["観光交流課", "企画調整課", "地域振興課", "秘書広報課", "政策推進課"]
        )
        organisation.contact_person = maker.person()
        organisation.contact_email = f"contact{organisation.pk}@{BENCH_DOMAIN}"
        organisation.phone = f"0{rng.randint(100, 999)}-{rng.randint(10, 99)}-1111"
        organisation.joined_on = datetime.date(2015 + rng.randint(0, 10), 4, 1)
        updated.append(organisation)
    Organisation.objects.bulk_update(
        updated,
        ["department", "contact_person", "contact_email", "phone", "joined_on"],
        batch_size=500,
    )
    return list(Organisation.objects.members().with_prefecture())


def make_users(rng, count, organisations):
    """Accounts spread over the members, wards three times as many each."""
    maker = TextMaker(rng, municipalities=[], wards=[], prefectures=[])
    weights = [
        3 if o.kind == Organisation.Kind.SPECIAL_WARD else 1 for o in organisations
    ]
    homes = rng.choices(organisations, weights=weights, k=count)
    # Each ward's first account is ward staff.
    wards = {o.pk for o in organisations if o.kind == Organisation.Kind.SPECIAL_WARD}
    password = make_password(BENCH_PASSWORD)  # hashed once, shared by all
    departments = ["観光交流課", "企画調整課", "地域振興課", "防災課", "広報課"]
    users = User.objects.bulk_create(
        [
            User(
                email=f"bench{number:05d}@{BENCH_DOMAIN}",
                display_name=maker.person(),
                department=rng.choice(departments),
                organisation=home,
                password=password,
            )
            for number, home in enumerate(homes, start=1)
        ],
        batch_size=1000,
    )
    groups = dict(Group.objects.values_list("name", "pk"))
    memberships = []
    ward_staff = set()
    for user in users:
        role = permissions.MEMBER_STAFF
        if user.organisation_id in wards and user.organisation_id not in ward_staff:
            ward_staff.add(user.organisation_id)
            role = permissions.WARD_STAFF
        user.role = role
        memberships.append(User.groups.through(user_id=user.pk, group_id=groups[role]))
    User.groups.through.objects.bulk_create(memberships, batch_size=2000)
    office, _created = Organisation.objects.get_or_create(
        name=OFFICE_NAME,
        kind=Organisation.Kind.BODY,
        defaults={"membership_status": MembershipStatus.MEMBER},
    )
    accounts.user_create(
        email=BENCH_OFFICE_EMAIL,
        display_name=maker.person(),
        department="事務局",
        organisation=office,
        role=permissions.OFFICE_STAFF,
        password=BENCH_PASSWORD,
        email_verified=True,
    )
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user=user, email=user.email, primary=True, verified=True)
            for user in users
        ],
        batch_size=2000,
    )
    return users


class Board:
    """The plan of threads and posts, in memory, before it is written."""

    def __init__(self, rng, args, users, organisations, now):
        self.rng = rng
        self.now = now
        names = []
        Kind = Organisation.Kind
        wards = [o.name for o in organisations if o.kind == Kind.SPECIAL_WARD]
        for organisation in organisations:
            if organisation.kind not in {Kind.PREFECTURE, Kind.SPECIAL_WARD}:
                names.append(organisation.name)
                names.append(organisation.full_name)
        self.maker = TextMaker(
            rng,
            municipalities=names,
            wards=wards,
            prefectures=list(
                Organisation.objects.prefectures().values_list("name", flat=True)
            ),
        )
        self.members = [u for u in users if u.role == permissions.MEMBER_STAFF]
        self.ward_staff = [u for u in users if u.role == permissions.WARD_STAFF]
        self.categories = list(Category.objects.all())
        self.plan_threads(args.threads, args.big_thread)
        self.plan_posts(args.posts, args.big_thread)

    def plan_threads(self, count, big_replies):
        rng = self.rng
        span = (self.now - START).total_seconds() - 3600
        created = sorted(rng.uniform(0, span) for _ in range(count))
        weights = [CATEGORY_WEIGHTS.get(c.slug, 7) for c in self.categories]
        staff_only = {c.pk for c in self.categories if c.starters == "staff"}
        by_slug = {c.slug: c for c in self.categories}
        self.threads = []
        for offset in created:
            category = rng.choices(self.categories, weights=weights)[0]
            pool = self.ward_staff if category.pk in staff_only else self.members
            author = rng.choice(pool or self.members)
            self.threads.append(
                {
                    "category": category.pk,
                    "title": self.maker.title(),
                    "author": author,
                    "created": START.timestamp() + offset,
                    "pinned": False,
                    "locked": rng.random() < LOCKED_SHARE,
                    "hidden": rng.random() < HIDDEN_SHARE,
                }
            )
        # The long-running thread starts early in the period and stays open.
        self.big = min(count // 10, count - 1) if big_replies else None
        if self.big is not None:
            big = self.threads[self.big]
            big["title"] = BIG_THREAD_TITLE
            big["category"] = by_slug.get("participation", self.categories[0]).pk
            big.update(locked=False, hidden=False)
        for category in self.categories:
            mine = [t for t in self.threads if t["category"] == category.pk]
            for thread in rng.sample(mine, min(PINNED_PER_CATEGORY, len(mine))):
                thread.update(pinned=True, hidden=False)

    def plan_posts(self, count, big_replies):
        """(time, thread index) of every post, in time order."""
        rng = self.rng
        now = self.now.timestamp()
        threads = self.threads
        events = [(thread["created"], index) for index, thread in enumerate(threads)]
        if self.big is not None:
            start = threads[self.big]["created"]
            events += [
                (rng.uniform(start + 60, now), self.big) for _ in range(big_replies)
            ]
        # Most threads get a few replies, some a few hundred: a capped
        # log-normal share per thread.
        weights = [min(rng.lognormvariate(0, 1), 60.0) for _ in threads]
        if self.big is not None:
            weights[self.big] = 0
        replies = count - len(events)
        for index in rng.choices(range(len(threads)), weights=weights, k=replies):
            start = threads[index]["created"]
            moment = start + max(120.0, rng.expovariate(1 / MEAN_REPLY_DELAY))
            if moment > now:
                moment = rng.uniform(start + 60, now)
            events.append((moment, index))
        events.sort()
        self.events = events


def build_pool(maker, size, progress):
    """Bodies with their HTML and search document, escaped for COPY."""
    pool = []
    for number in range(size):
        body = maker.body()
        pool.append(
            (
                body,
                copy_text(body),
                copy_text(markdown.render(body)),
                copy_text(search.bigram_tsvector(body)),
            )
        )
        if (number + 1) % 5000 == 0:
            progress.say(f"  {number + 1:,} pool bodies")
    return pool


def timestamp(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).isoformat()


def thread_lines(board):
    for number, thread in enumerate(board.threads, start=1):
        author = thread["author"]
        moment = timestamp(thread["created"])
        yield (
            f"{number}\t{thread['category']}\t{copy_text(thread['title'])}\t"
            f"{author.pk}\t{author.organisation_id}\t{moment}\t{moment}\t"
            f"0\t0\t{'t' if thread['pinned'] else 'f'}\t"
            f"{'t' if thread['locked'] else 'f'}\t{'t' if thread['hidden'] else 'f'}\n"
        )


THREAD_FIELDS = [
    "id",
    "category",
    "title",
    "author",
    "organisation",
    "created_at",
    "last_activity_at",
    "reply_count",
    "last_position",
    "is_pinned",
    "is_locked",
    "is_hidden",
]
POST_FIELDS = [
    "id",
    "thread",
    "position",
    "author",
    "organisation",
    "body",
    "body_html",
    "quoted",
    "created_at",
    "is_deleted",
    "search_vector",
]
ATTACHMENT_FIELDS = [
    "post",
    "file",
    "thumbnail",
    "original_name",
    "kind",
    "content_type",
    "size",
    "created_at",
]


def post_lines(board, pool, attachments):
    """The posts as COPY lines; attachments planned on the way are appended.

    Most posts take a pool body as it is. Opening posts (indexed with their
    title), and posts with a planted word, an attachment or a deletion get
    their own search document, computed as boards.services.posts would.
    """
    rng = board.rng
    events = board.events
    total = len(events)
    # Posts that get a rare word: distinct, anywhere in the board.
    wanted = [word for word, count in RARE_WORDS for _ in range(count)]
    chosen = rng.sample(range(total), min(len(wanted), total))
    planted = dict(zip(chosen, wanted, strict=False))
    members = board.members
    next_position = [0] * len(board.threads)
    last_post = [0] * len(board.threads)
    for number, (moment, index) in enumerate(events):
        post_id = number + 1
        thread = board.threads[index]
        position = next_position[index]
        next_position[index] += 1
        author = thread["author"] if position == 0 else rng.choice(members)
        body, body_text, html_text, vector_text = rng.choice(pool)
        quoted = "\\N"
        if position >= 2 and rng.random() < QUOTE_SHARE:
            quoted = last_post[index]
        last_post[index] = post_id
        created = timestamp(moment)
        deleted = position > 0 and rng.random() < DELETED_SHARE
        word = planted.get(number)
        if word:
            body = f"{body}\n\n{word}について{board.maker.sentence()}"
            body_text = copy_text(body)
            html_text = copy_text(markdown.render(body))
        texts = [body]
        if rng.random() < ATTACHMENT_SHARE:
            name = board.maker.attachment_name()
            attachments.append((post_id, name, created))
            texts.append(name)
        if position == 0:
            texts.insert(0, thread["title"])
        if deleted:
            vector_text = ""
        elif len(texts) > 1 or word:
            vector_text = copy_text(search.bigram_tsvector(*texts))
        yield (
            f"{post_id}\t{index + 1}\t{position}\t{author.pk}\t"
            f"{author.organisation_id}\t{body_text}\t{html_text}\t{quoted}\t"
            f"{created}\t{'t' if deleted else 'f'}\t{vector_text}\n"
        )


def attachment_lines(attachments, rng):
    for post_id, name, created in attachments:
        path = f"attachments/{created[:4]}/{created[5:7]}/{uuid.uuid4().hex}.pdf"
        size = rng.randint(80_000, 8_000_000)
        yield (
            f"{post_id}\t{path}\t\t{copy_text(name)}\tpdf\tapplication/pdf\t"
            f"{size}\t{created}\n"
        )


COUNTERS_SQL = [
    # Threads: replies, newest post and its author, as boards.services.posts
    # keeps them (deleted replies still count, as post_delete leaves them).
    """
    UPDATE boards_thread AS t
       SET reply_count = s.replies,
           last_position = s.position,
           last_activity_at = s.created_at,
           last_post_author_id = s.author_id,
           last_post_organisation_id = s.organisation_id
      FROM (SELECT DISTINCT ON (thread_id)
                   thread_id, position, created_at, author_id, organisation_id,
                   count(*) OVER (PARTITION BY thread_id) - 1 AS replies
              FROM boards_post
             ORDER BY thread_id, position DESC) AS s
     WHERE s.thread_id = t.id
    """,
    """
    UPDATE boards_category AS c
       SET thread_count = s.threads,
           post_count = s.posts,
           last_activity_at = s.last_activity_at
      FROM (SELECT category_id, count(*) AS threads,
                   sum(reply_count + 1) AS posts,
                   max(last_activity_at) AS last_activity_at
              FROM boards_thread GROUP BY category_id) AS s
     WHERE s.category_id = c.id
    """,
]


def reset_sequences(cursor):
    for table in LOADED_TABLES:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
            f" coalesce(max(id), 1), max(id) IS NOT NULL) FROM {table}"
        )


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Fill the database with a large board for benchmarks."
    )
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=5_000)
    parser.add_argument(
        "--members", type=int, default=330, help="member organisations besides wards"
    )
    parser.add_argument(
        "--big-thread",
        type=int,
        default=5_000,
        help="replies in the one long thread (capped at half the replies)",
    )
    parser.add_argument(
        "--pool", type=int, default=5_000, help="distinct bodies posts rotate through"
    )
    parser.add_argument("--disasters", type=int, default=100)
    parser.add_argument(
        "--dispatches",
        type=int,
        default=50_000,
        help="teams sent, spread over the disasters",
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed")
    parser.add_argument(
        "--reset",
        action="store_true",
        help="empty the boards tables and delete earlier benchmark accounts first",
    )
    parser.add_argument(
        "--force", action="store_true", help="run even though DJANGO_DEBUG is off"
    )
    parser.add_argument("--log", help="write the parameters and timings to this JSON")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.users < 1 or args.posts < args.threads:
        parser.error("need at least one thread and user, and a post per thread")
    args.big_thread = max(0, min(args.big_thread, (args.posts - args.threads) // 2))
    args.pool = max(1, min(args.pool, args.posts))
    args.dispatches = max(args.dispatches, args.disasters)
    return args


def main(argv=None):
    args = parse_args(argv)
    check_database(args)
    rng = random.Random(args.seed)  # noqa: S311 (test data, not secrets)
    progress = Progress()
    progress.say(
        f"seeding {args.posts:,} posts in {args.threads:,} threads by "
        f"{args.users:,} accounts"
    )
    # One transaction: COPY FREEZE needs the tables truncated in it, and a
    # failure leaves the database as it was.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        with progress.step("organisations and accounts"):
            empty_boards(cursor)
            disasters.empty(cursor)
            organisations = make_members(rng, args.members)
            users = make_users(rng, args.users, organisations)
            progress.say(
                f"  {len(organisations)} member organisations, {len(users):,} accounts"
            )
        with progress.step("plan"):
            now = datetime.datetime.now(datetime.UTC)
            board = Board(rng, args, users, organisations, now=now)
            pool = build_pool(board.maker, args.pool, progress)
        with without_secondary_indexes(cursor, LOADED_TABLES, progress):
            with progress.step("copy threads"):
                copy_rows(cursor, Thread, THREAD_FIELDS, thread_lines(board))
            attachments = []
            with progress.step("copy posts"):
                copy_rows(
                    cursor,
                    Post,
                    POST_FIELDS,
                    post_lines(board, pool, attachments),
                    progress,
                )
            with progress.step("copy attachments"):
                copy_rows(
                    cursor,
                    Attachment,
                    ATTACHMENT_FIELDS,
                    attachment_lines(attachments, rng),
                )
            with progress.step("disasters"):
                tracker = disasters.Plan(
                    rng,
                    disasters=args.disasters,
                    dispatches=args.dispatches,
                    maker=board.maker,
                    today=now.date(),
                )
                disasters.write(cursor, tracker)
                progress.say(
                    "  " + ", ".join(f"{n:,} {k}" for k, n in tracker.counts.items())
                )
            # Before the indexes exist, so the UPDATEs need not maintain them.
            with progress.step("counters"):
                for sql in COUNTERS_SQL:
                    cursor.execute(sql)
                reset_sequences(cursor)
        progress.say("commit ...")
    with progress.step("vacuum and analyze"), connection.cursor() as cursor:
        tables = [*LOADED_TABLES, "boards_category", "members_user"]
        tables += ["members_organisation", *disasters.TABLES]
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
    progress.say(f"done in {progress.total:.1f}s")
    if args.log:
        Path(args.log).parent.mkdir(parents=True, exist_ok=True)
        Path(args.log).write_text(
            json.dumps(
                {
                    "arguments": {
                        key: value
                        for key, value in vars(args).items()
                        if key not in {"log", "force", "reset"}
                    },
                    "steps": progress.steps,
                    "total_seconds": progress.total,
                    "finished_at": datetime.datetime.now(datetime.UTC).isoformat(),
                },
                indent=2,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
