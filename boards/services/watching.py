"""Watching: people following a thread or a whole category."""

from members.models import User

from ..models import Category, Thread, Watch


def watch(
    *, user: User, thread: Thread | None = None, category: Category | None = None
) -> None:
    """Follow a thread or a category (idempotent)."""
    Watch.objects.bulk_create(
        [Watch(user=user, thread=thread, category=category)], ignore_conflicts=True
    )


def unwatch(
    *, user: User, thread: Thread | None = None, category: Category | None = None
) -> None:
    """Stop following a thread or a category."""
    Watch.objects.filter(user=user, thread=thread, category=category).delete()
