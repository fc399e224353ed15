"""Watching: people following a thread or a whole category."""

from members.models import Organisation, User

from ..models import Category, Notification, OrganisationWatch, Thread, Watch


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


def organisation_watch(
    *,
    organisation: Organisation,
    actor: User,
    thread: Thread | None = None,
    category: Category | None = None,
) -> None:
    """Have an organisation follow a thread or a category (idempotent)."""
    OrganisationWatch.objects.bulk_create(
        [
            OrganisationWatch(
                organisation=organisation,
                thread=thread,
                category=category,
                created_by=actor,
            )
        ],
        ignore_conflicts=True,
    )


def organisation_unwatch(
    *,
    organisation: Organisation,
    thread: Thread | None = None,
    category: Category | None = None,
) -> None:
    """Stop an organisation following a thread or a category."""
    OrganisationWatch.objects.filter(
        organisation=organisation, thread=thread, category=category
    ).delete()


def personal_items_hand_over(*, leaver: User, successor: User) -> dict[str, int]:
    """Give a leaver's follows and unread notifications to a colleague.

    The colleague follows every thread and category the leaver followed,
    and finds the leaver's unread notifications (answers due, replies,
    addressed posts) among their own; what they already had stays once.
    Returns how many of each were handed over.
    """
    watches = list(Watch.objects.filter(user=leaver))
    Watch.objects.bulk_create(
        [
            Watch(user=successor, thread_id=w.thread_id, category_id=w.category_id)
            for w in watches
        ],
        ignore_conflicts=True,
    )
    unread = list(
        Notification.objects.filter(user=leaver, read_at__isnull=True).exclude(
            actor=successor
        )
    )
    Notification.objects.bulk_create(
        [
            Notification(
                user=successor,
                kind=n.kind,
                thread_id=n.thread_id,
                post_id=n.post_id,
                actor_id=n.actor_id,
                created_at=n.created_at,
                mail=n.mail,
                # Already mailed to the leaver; the colleague reads it here.
                mailed_at=n.mailed_at or n.created_at,
            )
            for n in unread
        ],
        ignore_conflicts=True,
    )
    Watch.objects.filter(user=leaver).delete()
    return {"watches": len(watches), "notifications": len(unread)}
