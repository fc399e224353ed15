"""{% thread_row %} and {% post_fragments %}: boards/fragments.py's shared fragments."""

from django import template
from django.utils.safestring import mark_safe

from .. import fragments

register = template.Library()

THREAD_ROW = "boards/partials/thread_row.html"
POST = "boards/partials/post.html"


def _render(context, name, **values):
    partial = context.template.engine.get_template(name)
    with context.push(**values):
        return partial.render(context)


@register.simple_tag(takes_context=True)
def thread_row(context, thread):
    """One row of thread_rows.html, rendered once per change of the row."""
    show_category = bool(context.get("show_category"))
    try:
        key = fragments.thread_row_key(thread, show_category)
    except AttributeError:  # a list without the read state: not kept
        return mark_safe(_render(context, THREAD_ROW, thread=thread))  # noqa: S308
    return mark_safe(  # noqa: S308 - rendered by the template, escaped there
        fragments.rows.get_or_render(
            key, lambda: _render(context, THREAD_ROW, thread=thread)
        )
    )


@register.simple_tag(takes_context=True)
def post_fragments(context, posts):
    """The posts of a thread page, each rendered once per change of the post
    and of the reader's marks on it."""
    if context.get("is_moderator"):
        # The moderation forms carry this reader's CSRF token.
        html = (_render(context, POST, post=post) for post in posts)
    else:
        locale = fragments.locale_key()
        thread_pk = context["thread"].pk
        first_unread = context.get("first_unread")
        can_reply = context.get("can_reply")
        html = (
            fragments.posts.get_or_render(
                fragments.post_key(
                    post,
                    thread_pk=thread_pk,
                    first_unread=first_unread,
                    can_reply=can_reply,
                    locale=locale,
                ),
                lambda post=post: _render(context, POST, post=post),
            )
            for post in posts
        )
    return mark_safe("\n".join(html))  # noqa: S308 - rendered by the template
