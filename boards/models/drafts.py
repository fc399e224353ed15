"""Drafts: a thread or reply someone has begun and not yet posted.

A draft is its writer's own note: nobody else sees it, not colleagues and
not the office. It holds what the form held, unchecked, so that an
unfinished post can be saved; posting checks everything as usual.
"""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .inquiries import StoredFile
from .threads import Category, Post, Thread


def draft_file_path(instance, filename):
    """A non-guessable name; the uploaded name is kept only in the database."""
    suffix = PurePosixPath(filename).suffix.lower()
    return f"drafts/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class DraftQuerySet(models.QuerySet):
    def for_listing(self) -> "DraftQuerySet":
        """With what a list shows: the category or thread, and the file count."""
        return (
            self.select_related("category", "thread")
            .annotate(file_count=Count("attachments"))
            .order_by("-updated_at", "-pk")
        )

    def saved_before(self, moment) -> "DraftQuerySet":
        return self.filter(updated_at__lt=moment)


class Draft(models.Model):
    """A new thread (any number per person) or a reply (one per thread)."""

    class Kind(models.TextChoices):
        THREAD = "thread", _("New thread")
        REPLY = "reply", _("Reply")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="board_drafts",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    thread = models.ForeignKey(
        Thread,
        verbose_name=_("thread"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    quoted = models.ForeignKey(
        Post,
        verbose_name=_("quoted post"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    title = models.CharField(
        _("title"),
        max_length=Thread._meta.get_field("title").max_length,
        blank=True,
    )
    body = models.TextField(
        _("body"), max_length=Post._meta.get_field("body").max_length, blank=True
    )
    # The thread type's fields as typed (boards.forms.draft_values).
    details = models.JSONField(_("details"), default=dict, blank=True)
    ward_ids = ArrayField(
        models.BigIntegerField(), verbose_name=_("wards"), default=list, blank=True
    )
    all_wards = models.BooleanField(_("all 23 wards"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("saved at"), default=timezone.now)

    objects = DraftQuerySet.as_manager()

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="thread", category__isnull=False, thread__isnull=True)
                | Q(kind="reply", category__isnull=True, thread__isnull=False),
                name="draft_kind_target",
            ),
            models.UniqueConstraint(
                fields=["user", "thread"],
                condition=Q(kind="reply"),
                name="draft_one_reply_per_thread",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-updated_at"], name="draft_user_recent"),
            models.Index(fields=["updated_at"], name="draft_updated"),
        ]

    def __str__(self):
        return self.title or self.body[:30]

    def get_absolute_url(self):
        """The form the draft is resumed in."""
        if self.kind == self.Kind.REPLY:
            return reverse("boards:reply", args=[self.thread_id])
        url = reverse("boards:thread_create", args=[self.category.slug])
        return f"{url}?draft={self.pk}"


class DraftAttachment(StoredFile):
    """A file saved with a draft, checked as a post's files are."""

    file = models.FileField(_("file"), upload_to=draft_file_path, max_length=200)
    thumbnail = models.FileField(
        _("thumbnail"), upload_to=draft_file_path, max_length=200, blank=True
    )
    draft = models.ForeignKey(
        Draft,
        verbose_name=_("draft"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )

    class Meta(StoredFile.Meta):
        verbose_name = _("draft attachment")
        verbose_name_plural = _("draft attachments")
