"""Watching and notifications: who hears about what, in the site and by mail.

The board's services call the on_* functions inside their transaction;
the work of finding recipients and sending mail happens in tasks.
"""

from .models import Watch


def watch(*, user, thread=None, category=None):
    """Follow a thread or a category (idempotent)."""
    Watch.objects.get_or_create(user=user, thread=thread, category=category)


def on_thread_created(*, thread, post):
    """A new thread: its author watches it; category watchers hear of it."""
    watch(user=post.author, thread=thread)


def on_reply(*, post):
    """A reply: its author watches the thread; the thread's watchers hear of it."""
    watch(user=post.author, thread=post.thread)


def on_addressed(*, thread, organisations):
    """A thread addressed to wards: their staff hear of it."""


def on_answer(*, addressee):
    """A ward answered an addressed thread: the author hears of it."""


def on_interest(*, interest):
    """An organisation marked interest: the author hears of it."""


def on_important_announcement(*, thread, mail_everyone):
    """An important お知らせ: everyone hears of it (by mail if asked)."""
