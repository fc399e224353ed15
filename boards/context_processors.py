from . import selectors


def unread_notifications(request):
    """The header's unread count, counted only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count():
        unread = selectors.unread_count(user)
        return "99+" if unread >= selectors.UNREAD_COUNTED else unread

    return {"unread_notifications": count}
