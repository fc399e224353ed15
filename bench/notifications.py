"""Time the notification fan-out for a category with many watchers.

    python -m bench.notifications [--watchers 1000] [--runs 5]

Makes --watchers accounts that follow one category, starts a thread there
and runs boards.services.notifications.fan_out in this process, as the task worker
would, --runs times; then does the same with 10 watchers. Reported: the
median time in ms and the number of SQL queries for each size. The exit
status is 1 when the larger fan-out makes more queries than the small one:
the work must be set-based, not a query per recipient.

Everything happens in one transaction that is rolled back, so any migrated
database will do (e.g. the one `make bench` seeds); nothing is left behind
and no mail is sent.
"""

import argparse
import statistics
import sys
import time

from bench import setup_django

setup_django()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from boards.models import Category, NotificationKind, Watch  # noqa: E402
from boards.services import notifications, posts  # noqa: E402
from members.models import MembershipStatus, Organisation, User  # noqa: E402


def make_watchers(category, count, label):
    organisation = Organisation.objects.create(
        name=f"通知ベンチ{label}",
        kind=Organisation.Kind.BODY,
        membership_status=MembershipStatus.MEMBER,
    )
    users = User.objects.bulk_create(
        User(
            email=f"notify-{label}-{number}@bench.example.jp",
            display_name=f"ベンチ 職員{number}",
            organisation=organisation,
            password=make_password(None),
        )
        for number in range(count + 1)
    )
    Watch.objects.bulk_create(Watch(user=user, category=category) for user in users)
    return users[0]


def measure(watchers, runs):
    """(median ms, queries, notifications) of fan_out to `watchers` people."""
    category = Category.objects.order_by("pk").first()
    Watch.objects.filter(category=category).delete()
    author = make_watchers(category, watchers, watchers)
    thread = posts.thread_create(
        category=category, author=author, title="通知ベンチ", body="本文"
    )
    arguments = {
        "kind": NotificationKind.NEW_THREAD,
        "thread_id": thread.pk,
        "post_id": thread.posts.get().pk,
        "actor_id": author.pk,
    }
    times = []
    for _ in range(runs):
        savepoint = transaction.savepoint()
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            created = notifications.fan_out.call(**arguments)
            times.append((time.perf_counter() - start) * 1000)
        transaction.savepoint_rollback(savepoint)
    return statistics.median(times), len(queries), created


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with transaction.atomic():
        small = measure(10, args.runs)
        large = measure(args.watchers, args.runs)
        transaction.set_rollback(True)
    print(f"{'watchers':>9} {'notifications':>14} {'queries':>8} {'median ms':>10}")
    for watchers, (ms, queries, created) in ((10, small), (args.watchers, large)):
        print(f"{watchers:>9} {created:>14} {queries:>8} {ms:>10.1f}")
    if large[1] > small[1]:
        print("The fan-out makes more queries for more watchers.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
