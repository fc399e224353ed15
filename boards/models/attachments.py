"""Files on posts."""

import uuid
from pathlib import PurePosixPath

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .threads import Post


def attachment_path(instance, filename):
    """A non-guessable name; the uploaded name is kept only in the database."""
    suffix = PurePosixPath(filename).suffix.lower()
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """A file on a post: a PDF pamphlet, an image or an office document."""

    class Kind(models.TextChoices):
        PDF = "pdf", _("PDF")
        IMAGE = "image", _("Image")
        DOCUMENT = "document", _("Office document")

    post = models.ForeignKey(
        Post,
        verbose_name=_("post"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    thumbnail = models.FileField(
        _("thumbnail"), upload_to=attachment_path, max_length=200, blank=True
    )
    original_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self):
        return self.original_name
