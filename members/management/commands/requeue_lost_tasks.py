from datetime import timedelta

from django.core.management.base import BaseCommand

from members.common import workers


class Command(BaseCommand):
    help = (
        "Queue again the background tasks whose worker died while running "
        "them (run when a worker starts, and every few minutes)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace",
            type=int,
            default=int(workers.GRACE.total_seconds()),
            help="leave tasks started less than this many seconds ago",
        )

    def handle(self, *args, grace, **options):
        count = workers.requeue_lost_tasks(grace=timedelta(seconds=grace))
        self.stdout.write(f"{count} task(s) queued again.")
