"""Drafts of threads and replies, kept on the server for their writer.

A draft keeps what was typed without checking it as a post; its files are
checked as a post's are. Posting, deleting and expiry remove its files from
storage once the transaction has committed.
"""

import datetime
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.common.numbers import row_number
from members.models import Organisation, User

from .. import permissions
from ..attachments import PreparedUpload, max_files_per_post
from ..models import Category, Draft, DraftAttachment, Post, Thread
from .inquiries import _store_files


def _delete_files_on_commit(rows: Iterable[DraftAttachment]) -> None:
    """Remove the files of deleted rows once the deletion has committed."""
    storage = DraftAttachment._meta.get_field("file").storage
    names = [f.name for row in rows for f in (row.file, row.thumbnail) if f]
    if names:
        # robust: a store that is down then leaves the files behind (logged)
        # rather than failing a request whose rows are already committed.
        transaction.on_commit(
            lambda: [storage.delete(name) for name in names], robust=True
        )


def _ward_ids(ids: Iterable[Any]) -> list[int]:
    numbers = {row_number(value) for value in ids} - {None}
    return sorted(
        Organisation.objects.filter(
            kind=Organisation.Kind.SPECIAL_WARD, pk__in=numbers
        ).values_list("pk", flat=True)
    )


@transaction.atomic
def draft_save(
    *,
    user: User,
    category: Category | None = None,
    thread: Thread | None = None,
    draft: Draft | None = None,
    title: str = "",
    body: str = "",
    quoted: Post | None = None,
    details: dict[str, Any] | None = None,
    ward_ids: Iterable[Any] = (),
    all_wards: bool = False,
    uploads: Sequence[PreparedUpload] = (),
    remove: Iterable[DraftAttachment] = (),
) -> Draft:
    """Keep what someone has written so far: a new thread in a category
    (a new draft, or ``draft`` again) or their one reply draft of a thread."""
    if draft is not None:
        draft = Draft.objects.select_for_update().get(pk=draft.pk)
        if not permissions.can_resume_draft(user, draft):
            raise PermissionDenied
    elif thread is not None:
        if not permissions.can_reply(user, thread):
            raise PermissionDenied
        draft, _created = Draft.objects.select_for_update().get_or_create(
            user=user, kind=Draft.Kind.REPLY, thread=thread
        )
    else:
        if category is None or not permissions.can_start_thread(user, category):
            raise PermissionDenied
        draft = Draft(user=user, kind=Draft.Kind.THREAD, category=category)
    draft.title = title if draft.kind == Draft.Kind.THREAD else ""
    draft.body = body
    draft.quoted = (
        quoted if quoted is not None and quoted.thread_id == draft.thread_id else None
    )
    draft.details = details or {}
    draft.ward_ids = _ward_ids(ward_ids)
    draft.all_wards = all_wards
    draft.updated_at = timezone.now()
    draft.full_clean()
    draft.save()
    removed = list(draft.attachments.filter(pk__in=[row.pk for row in remove]))
    kept = draft.attachments.count() - len(removed)
    limit = max_files_per_post()
    if kept + len(uploads) > limit:
        raise ValidationError(
            {
                "attachments": ValidationError(
                    _("A post can have at most %(limit)s attachments."),
                    code="too_many_files",
                    params={"limit": limit},
                )
            }
        )
    DraftAttachment.objects.filter(pk__in=[row.pk for row in removed]).delete()
    _delete_files_on_commit(removed)
    _store_files(uploads, lambda: DraftAttachment(draft=draft))
    return draft


@transaction.atomic
def draft_delete(*, draft: Draft, actor: User) -> None:
    """Their writer deletes a draft (or posts it); its files go with it."""
    if draft.user_id != actor.pk:
        raise PermissionDenied
    rows = list(DraftAttachment.objects.filter(draft=draft))
    Draft.objects.filter(pk=draft.pk).delete()
    _delete_files_on_commit(rows)


def draft_file_uploads(rows: Iterable[DraftAttachment]) -> list[PreparedUpload]:
    """A draft's files, ready to be stored with the post made from it."""
    uploads = []
    for row in rows:
        try:
            with row.file.open("rb") as stored:
                content = stored.read()
            thumbnail = None
            if row.thumbnail:
                with row.thumbnail.open("rb") as stored:
                    thumbnail = stored.read()
        except OSError as error:
            raise ValidationError(
                _(
                    "“%(name)s”, saved with the draft, could not be read. "
                    "Please attach it again."
                ),
                code="draft_file_unreadable",
                params={"name": row.original_name},
            ) from error
        uploads.append(
            PreparedUpload(
                content=content,
                original_name=row.original_name,
                kind=row.kind,
                content_type=row.content_type,
                extension=PurePosixPath(row.file.name).suffix,
                width=row.width,
                height=row.height,
                thumbnail=thumbnail,
            )
        )
    return uploads


@transaction.atomic
def drafts_expire(*, now: datetime.datetime | None = None) -> int:
    """Delete drafts not saved for RENKEI_DRAFT_KEEP_DAYS days, files and all."""
    cutoff = (now or timezone.now()) - datetime.timedelta(
        days=settings.RENKEI_DRAFT_KEEP_DAYS
    )
    ids = list(Draft.objects.saved_before(cutoff).values_list("pk", flat=True))
    rows = list(DraftAttachment.objects.filter(draft_id__in=ids))
    Draft.objects.filter(pk__in=ids).delete()
    _delete_files_on_commit(rows)
    return len(ids)
