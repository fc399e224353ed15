"""Tasks whose worker died are found and queued again.

django-tasks-db marks a task RUNNING when a worker (`manage.py db_worker`)
takes it, and leaves it so if that worker is killed (SIGKILL, out of memory,
a lost machine): no other worker runs it again. So every worker holds a
PostgreSQL advisory lock named after its worker id, on a connection of its
own, from its first task for as long as it lives; PostgreSQL drops the lock
when the process dies. requeue_lost_tasks() puts RUNNING tasks whose
worker's lock is free back in the queue. The project's tasks are safe to
run again: a repeated run has the effect of one (boards.notifications,
members.tasks.confirmation_reminders_deliver).
"""

import logging
from datetime import timedelta

from django.db import connection, transaction
from django.tasks import TaskResultStatus, task_backends
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

# The first key of the two-key advisory locks, so that they cannot meet
# other advisory locks; the second is a hash of the worker id.
LOCK_CLASS = 0x52454E4B
# A task is taken a moment before its worker's lock exists; a younger task
# is left alone.
GRACE = timedelta(minutes=1)

_held = {}


def hold_worker_lock(sender, task_result, **kwargs):
    """task_started receiver: a db_worker holds its liveness lock while it lives."""
    if not task_result.worker_ids:
        return
    if not isinstance(task_backends[task_result.backend], DatabaseBackend):
        return
    worker_id = task_result.worker_ids[-1]
    held = _held.get(worker_id)
    if held is not None and not held.closed:
        return
    held = connection.get_new_connection(connection.get_connection_params())
    held.autocommit = True
    locked = held.execute(
        "SELECT pg_try_advisory_lock(%s, hashtext(%s))", [LOCK_CLASS, worker_id]
    ).fetchone()[0]
    if not locked:
        logger.warning("Worker id %s is in use by another worker.", worker_id)
    _held[worker_id] = held


@transaction.atomic
def requeue_lost_tasks(*, grace=GRACE):
    """Queue again the running tasks whose worker is gone; returns how many."""
    running = (
        DBTaskResult.objects.running()
        .filter(started_at__lt=timezone.now() - grace)
        .select_for_update(skip_locked=True)
    )
    lost = []
    with connection.cursor() as cursor:
        for result in running:
            worker_id = result.worker_ids[-1] if result.worker_ids else ""
            cursor.execute(
                "SELECT pg_try_advisory_lock(%s, hashtext(%s))",
                [LOCK_CLASS, worker_id],
            )
            if cursor.fetchone()[0]:
                # Nobody holds it: the worker is gone.
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s, hashtext(%s))",
                    [LOCK_CLASS, worker_id],
                )
                lost.append(result.pk)
    DBTaskResult.objects.filter(pk__in=lost).update(
        status=TaskResultStatus.READY, started_at=None
    )
    for pk in lost:
        logger.warning("Task %s lost its worker; queued again.", pk)
    return len(lost)
