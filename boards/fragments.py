"""Thread rows and posts rendered once per change, for everyone who sees them.

Lists and thread pages are mostly the same rows for every reader: what a
row shows changes when its thread or post does, and what differs between
readers is a handful of marks (unread, may edit, may report). A fragment is
kept under a key made of everything its template reads, those marks
included, so a reader is only ever given HTML rendered from the very values
their own request loaded; nothing needs invalidating, and a change of a row
is simply a new key.

Fragments live in each worker's memory, bounded (members/common/fragments.py).
Pages with per-reader forms in a row (moderators' hide buttons carry a CSRF
token) are rendered as before.
"""

from members.common.fragments import Fragments, locale_key

rows = Fragments()
posts = Fragments()


def _organisation(organisation):
    return None if organisation is None else organisation.full_name


def thread_row_key(thread, show_category):
    return (
        *locale_key(),
        thread.pk,
        thread.title,
        thread.is_pinned,
        thread.is_hidden,
        thread.is_locked,
        thread.is_unread,
        thread.last_read is None,
        thread.category.name if show_category else None,
        _organisation(thread.organisation),
        thread.reply_count,
        thread.last_activity_at,
        _organisation(thread.last_post_organisation),
    )


def post_key(post, *, thread_pk, first_unread, can_reply, locale=None):
    """A post's key; `locale` is locale_key(), when the caller has it."""
    author = post.author
    quoted = post.quoted
    return (
        *(locale or locale_key()),
        thread_pk,
        post.pk,
        post.position,
        post.is_deleted,
        post.is_hidden,
        post.created_at,
        post.edited_at,
        post.body_html,
        first_unread == post.position,
        post.can_read,
        post.can_edit,
        post.can_report,
        bool(can_reply),
        post.organisation_id,
        _organisation(post.organisation),
        author.is_active,
        post.signature if author.is_active else None,
        author.department,
        author.display_name,
        None if quoted is None else (quoted.pk, quoted.position, quoted.is_deleted),
        tuple(
            (a.pk, a.kind, a.original_name, a.width, a.height, a.size)
            for a in post.attachment_list
        ),
    )
