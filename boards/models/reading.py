"""How far people have read: threads, and the board home."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .threads import Thread


class ReadState(models.Model):
    """How far a person has read a thread."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    last_read_position = models.PositiveIntegerField(default=0)
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "thread"], name="boards_readstate_unique"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} read {self.thread_id} to #{self.last_read_position}"


class BoardVisit(models.Model):
    """When a person last opened the board home, for "new since your last visit"."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    previous_visit_at = models.DateTimeField(null=True, blank=True)
    last_visit_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.user_id} visited {self.last_visit_at:%Y-%m-%d %H:%M}"
