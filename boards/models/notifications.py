"""Watching, notifications and how people want to hear of them by mail."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .threads import Category, Post, Thread


class Watch(models.Model):
    """A person following a thread or a whole category."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(thread__isnull=False, category__isnull=True)
                | models.Q(thread__isnull=True, category__isnull=False),
                name="boards_watch_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "thread"],
                condition=models.Q(thread__isnull=False),
                name="boards_watch_thread_once",
            ),
            models.UniqueConstraint(
                fields=["user", "category"],
                condition=models.Q(category__isnull=False),
                name="boards_watch_category_once",
            ),
        ]

    def __str__(self):
        return f"{self.user_id} watches {self.thread_id or self.category_id}"


class OrganisationWatch(models.Model):
    """An organisation following a thread or a whole category: its staff
    who hear of their organisation's news hear of it too."""

    organisation = models.ForeignKey(
        "members.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
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
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("organisation follow")
        verbose_name_plural = _("organisation follows")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(thread__isnull=False, category__isnull=True)
                | models.Q(thread__isnull=True, category__isnull=False),
                name="boards_organisationwatch_one_target",
            ),
            models.UniqueConstraint(
                fields=["organisation", "thread"],
                condition=models.Q(thread__isnull=False),
                name="boards_organisationwatch_thread_once",
            ),
            models.UniqueConstraint(
                fields=["organisation", "category"],
                condition=models.Q(category__isnull=False),
                name="boards_organisationwatch_category_once",
            ),
        ]

    def __str__(self):
        return f"{self.organisation_id} follows {self.thread_id or self.category_id}"


class NotificationKind(models.TextChoices):
    REPLY = "reply", _("Replies in threads I watch")
    NEW_THREAD = "new_thread", _("New threads in categories I watch")
    ADDRESSED = "addressed", _("Posts addressed to my ward")
    ANSWER = "answer", _("Answers and interest on my threads")
    MENTION = "mention", _("Mentions of me or my organisation")
    ANNOUNCEMENT = "announcement", _("Important announcements")


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", _("At once")
    DAILY = "daily", _("Daily digest")
    OFF = "off", _("No e-mail")


class NotificationSetting(models.Model):
    """How a person wants to hear about one kind of notification by mail."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    frequency = models.CharField(
        max_length=20, choices=Frequency.choices, default=Frequency.IMMEDIATE
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"], name="boards_notificationsetting_unique"
            ),
        ]

    def __str__(self):
        return f"{self.user_id}: {self.kind} {self.frequency}"


class Notification(models.Model):
    """Something a person should hear about, in the site and by mail.

    Kept until read; the mail side records when it went out, so a failed
    send is simply tried again and nothing is lost.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # The mail frequency chosen when the notification was made.
    mail = models.CharField(max_length=20, choices=Frequency.choices)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One notification per person and event, even if two workers
            # fan out at once; every answer is news of its own.
            models.UniqueConstraint(
                fields=["user", "kind", "thread", "post"],
                condition=~models.Q(kind="answer"),
                nulls_distinct=False,
                name="boards_notification_once",
            ),
            # A person's answers on a thread fold into one unread
            # notification (boards.services.notifications), even when two
            # workers fan out at once.
            models.UniqueConstraint(
                fields=["user", "thread", "actor"],
                condition=models.Q(kind="answer", read_at__isnull=True),
                name="boards_notification_answer_unread_once",
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "-created_at"],
                name="boards_notification_unread",
                condition=models.Q(read_at__isnull=True),
            ),
            models.Index(
                fields=["mail", "created_at"],
                name="boards_notification_to_mail",
                condition=models.Q(mailed_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.user_id}: {self.kind} {self.thread_id}"
