"""Threads and posts: starting, replying, editing, deleting, reading."""

import datetime
from collections.abc import Sequence

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from members.common.prepared import PreparedQuery, from_row, model_columns
from members.models import User

from .. import markdown, search
from ..attachments import PreparedUpload, discard_stored
from ..models import BoardVisit, Category, Post, PostRevision, ReadState, Thread
from . import notifications


def post_reindex(*, post: Post) -> None:
    """Store the search document of a post: title, body and file names."""
    if post.is_deleted:
        document = ""
    else:
        document = search.bigram_tsvector(
            post.body,
            *(attachment.original_name for attachment in post.attachments.all()),
            title=post.thread.title if post.is_opening else "",
        )
    Post.objects.filter(pk=post.pk).update(
        search_vector=Cast(Value(document), SearchVectorField())
    )


def _files_delete(attachments):
    for attachment in attachments:
        discard_stored(attachment.file)
        discard_stored(attachment.thumbnail)


def _attachments_save(post, uploads):
    """Write the files of a post; if any fails, none stays on disk."""
    saved = []
    try:
        for upload in uploads:
            saved.append(upload.save_to(post))
    except BaseException:
        _files_delete(saved)
        raise
    return saved


def _post_add(*, thread, author, body, position, quoted=None, uploads=()):
    post = Post(
        thread=thread,
        position=position,
        author=author,
        organisation=author.organisation,
        body=body,
        body_html=markdown.render(body),
        quoted=quoted,
    )
    post.full_clean()
    post.save()
    saved = _attachments_save(post, uploads)
    try:
        post_reindex(post=post)
    except BaseException:
        _files_delete(saved)
        raise
    return post


def _category_touch(category_id, *, threads, posts, at):
    Category.objects.filter(pk=category_id).update(
        thread_count=F("thread_count") + threads,
        post_count=F("post_count") + posts,
        last_activity_at=at,
    )


def _latest_post(*, author: User, at) -> dict:
    """What a thread keeps of its newest post, for its place in the lists."""
    return {
        "last_activity_at": at,
        "last_post_author": author,
        "last_post_organisation": author.organisation,
    }


@transaction.atomic
def thread_create(
    *,
    category: Category,
    author: User,
    title: str,
    body: str,
    uploads: Sequence[PreparedUpload] = (),
) -> Thread:
    """Start a thread: its opening post, files and counters in one go."""
    now = timezone.now()
    thread = Thread(
        category=category,
        title=title,
        author=author,
        organisation=author.organisation,
        created_at=now,
        **_latest_post(author=author, at=now),
    )
    thread.full_clean()
    thread.save()
    post = _post_add(
        thread=thread, author=author, body=body, position=0, uploads=uploads
    )
    _category_touch(category.pk, threads=1, posts=1, at=now)
    thread_mark_read(thread=thread, user=author, position=0)
    notifications.on_thread_created(thread=thread, post=post)
    return thread


@transaction.atomic
def post_reply(
    *,
    thread: Thread,
    author: User,
    body: str,
    quoted: Post | None = None,
    uploads: Sequence[PreparedUpload] = (),
) -> Post:
    """Add a reply at the end of a thread that is open."""
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if thread.is_locked or thread.is_hidden:
        raise ValidationError(
            _("This thread is closed to new replies."), code="thread_closed"
        )
    if quoted is not None and quoted.thread_id != thread.pk:
        raise ValidationError(_("You can only quote posts of this thread."))
    now = timezone.now()
    position = thread.last_position + 1
    post = _post_add(
        thread=thread,
        author=author,
        body=body,
        position=position,
        quoted=quoted,
        uploads=uploads,
    )
    Thread.objects.filter(pk=thread.pk).update(
        reply_count=F("reply_count") + 1,
        last_position=position,
        **_latest_post(author=author, at=now),
    )
    _category_touch(thread.category_id, threads=0, posts=1, at=now)
    thread_mark_read(thread=thread, user=author, position=position)
    notifications.on_reply(post=post)
    return post


@transaction.atomic
def post_edit(
    *,
    post: Post,
    actor: User,
    body: str,
    title: str | None = None,
    uploads: Sequence[PreparedUpload] = (),
) -> Post:
    """Change a post, keeping what it said before as a revision."""
    post = Post.objects.select_for_update().select_related("thread").get(pk=post.pk)
    thread = post.thread
    PostRevision.objects.create(
        post=post,
        title=thread.title if post.is_opening else "",
        body=post.body,
        body_html=post.body_html,
        written_at=post.edited_at or post.created_at,
    )
    post.body = body
    post.body_html = markdown.render(body)
    post.edited_at = timezone.now()
    post.full_clean()
    post.save(update_fields=["body", "body_html", "edited_at"])
    if post.is_opening and title is not None and title != thread.title:
        thread.title = title
        thread.full_clean()
        thread.save(update_fields=["title"])
    _attachments_save(post, uploads)
    post_reindex(post=post)
    return post


@transaction.atomic
def post_delete(*, post: Post, actor: User) -> Post:
    """Withdraw a post; a placeholder keeps the thread's numbering."""
    post.is_deleted = True
    post.save(update_fields=["is_deleted"])
    post_reindex(post=post)
    return post


def thread_mark_read(*, thread: Thread, user: User, position: int) -> None:
    """Remember that a person has read a thread up to a post (never back)."""
    # One statement, whether or not the person has opened the thread before.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {ReadState._meta.db_table}
                (user_id, thread_id, last_read_position, read_at)
            VALUES (%s, %s, %s, %s)
            ON CONFLICT (user_id, thread_id) DO UPDATE SET
                last_read_position = GREATEST(
                    {ReadState._meta.db_table}.last_read_position,
                    EXCLUDED.last_read_position
                ),
                read_at = EXCLUDED.read_at
            """,  # noqa: S608 (table name from the model, values as parameters)
            [user.pk, thread.pk, position, timezone.now()],
        )


_VISIT = PreparedQuery(
    lambda user_id: BoardVisit.objects.filter(user=user_id).values_list(
        *model_columns(BoardVisit)
    )
)


def _last_visit(user):
    """The person's BoardVisit, read by a query compiled once per process
    (the board home reads it on every visit)."""
    rows = _VISIT.rows(user_id=user.pk)
    return from_row(BoardVisit, None, rows[0]) if rows else None


def board_visit(*, user: User) -> datetime.datetime | None:
    """Record a visit to the board home; returns when the one before was."""
    now = timezone.now()
    visit = _last_visit(user)
    if visit is None:
        visit, created = BoardVisit.objects.get_or_create(
            user=user, defaults={"last_visit_at": now}
        )
        if created:
            return None
    previous = visit.last_visit_at
    # Page reloads within the hour keep the same "since" time.
    if (now - previous).total_seconds() > 3600:
        BoardVisit.objects.filter(pk=visit.pk).update(
            previous_visit_at=previous, last_visit_at=now
        )
        return previous
    return visit.previous_visit_at or previous
