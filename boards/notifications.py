"""The board's tasks under their import path from before boards.services.

A queued task is stored by the import path of its function
(django_tasks_db's DBTaskResult.task_path), so tasks queued by an earlier
version name boards.notifications.fan_out and the like. This module keeps
them runnable after an upgrade (docs/operations.md, "Upgrades"); nothing
else imports from it. It goes in a later release, whose notes will say to
let the worker drain the queue before upgrading.
"""

from .mail import send_daily_digests, send_pending_mail
from .services.notifications import fan_out

__all__ = ["fan_out", "send_daily_digests", "send_pending_mail"]
