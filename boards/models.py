import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .search import UTCDay


class ThreadType(models.TextChoices):
    """What a category's threads are: each type has its own fields."""

    GENERAL = "general", _("General")
    PROPOSAL = "proposal", _("Proposal")
    EVENT = "event", _("Event")
    PAMPHLET = "pamphlet", _("Pamphlet distribution")
    PUBLICITY = "publicity", _("Newsletter or video PR")
    ANNOUNCEMENT = "announcement", _("Announcement")


class Category(models.Model):
    """A section of the board, e.g. 連携・交流事業の提案 or お知らせ."""

    class Starters(models.TextChoices):
        MEMBERS = "members", _("All members")
        STAFF = "staff", _("Ward and office staff only")

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    starters = models.CharField(
        _("who may start threads"),
        max_length=20,
        choices=Starters.choices,
        default=Starters.MEMBERS,
    )
    thread_type = models.CharField(
        _("thread type"),
        max_length=20,
        choices=ThreadType.choices,
        default=ThreadType.GENERAL,
    )
    # Kept in step by boards.services, so the board home needs no counting.
    thread_count = models.PositiveIntegerField(
        _("number of threads"), default=0, editable=False
    )
    post_count = models.PositiveIntegerField(
        _("number of posts"), default=0, editable=False
    )
    last_activity_at = models.DateTimeField(
        _("last activity"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["order", "pk"]

    def __str__(self):
        return self.name


class ThreadQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(is_hidden=False)

    def for_listing(self):
        # Only what lists show: every join costs planning time on each page.
        return self.select_related(
            "category",
            "organisation__prefecture",
            "last_post_organisation__prefecture",
        )

    def by_activity(self):
        """Most recent activity first; matches the listing indexes."""
        return self.order_by("-last_activity_at", "-pk")

    def with_read_state(self, user):
        """Annotate how far `user` has read each thread (None: never opened)."""
        return self.annotate(
            last_read=models.Subquery(
                ReadState.objects.filter(
                    user=user, thread=models.OuterRef("pk")
                ).values("last_read_position")[:1]
            )
        )


class Thread(models.Model):
    """A topic: its opening post is the post at position 0."""

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="threads",
    )
    title = models.CharField(_("title"), max_length=120)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="threads",
    )
    # The author's organisation when the thread was started: posts keep it
    # even if the person later moves.
    organisation = models.ForeignKey(
        "members.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="threads",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    reply_count = models.PositiveIntegerField(_("replies"), default=0)
    # Position of the newest post, so positions stay unique under deletes.
    last_position = models.PositiveIntegerField(default=0, editable=False)
    last_post_author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    last_post_organisation = models.ForeignKey(
        "members.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    is_pinned = models.BooleanField(_("pinned"), default=False)
    is_locked = models.BooleanField(_("locked"), default=False)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    # お知らせ only: shown on the board home until read.
    is_important = models.BooleanField(_("important"), default=False, db_default=False)
    # Addressed to every ward (the Addressee rows say which wards).
    addressed_to_all_wards = models.BooleanField(
        _("addressed to all 23 wards"), default=False, db_default=False
    )

    objects = ThreadQuerySet.as_manager()

    class Meta:
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        indexes = [
            models.Index(
                "category",
                models.F("is_pinned").desc(),
                models.F("last_activity_at").desc(),
                models.F("id").desc(),
                name="boards_thread_listing",
                condition=models.Q(is_hidden=False),
            ),
            models.Index(
                models.F("last_activity_at").desc(),
                name="boards_thread_recent",
                condition=models.Q(is_hidden=False),
            ),
            models.Index(
                models.F("created_at").desc(),
                name="boards_thread_important",
                condition=models.Q(is_important=True),
            ),
            # The few hidden threads, for search (permissions.posts_in_visible_threads).
            models.Index(
                fields=["id"],
                name="boards_thread_hidden",
                condition=models.Q(is_hidden=True),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_unread(self):
        """True when there are posts the reader has not seen (needs with_read_state)."""
        return self.last_read is None or self.last_read < self.last_position


class PostQuerySet(models.QuerySet):
    def in_order(self):
        return self.order_by("position")

    def with_authors(self):
        return self.select_related(
            "author__organisation__prefecture", "organisation__prefecture"
        ).prefetch_related("attachments")


class PostManager(models.Manager.from_queryset(PostQuerySet)):
    def get_queryset(self):
        # The search vector, a few kilobytes a post, is for PostgreSQL's
        # search only: Python never reads it.
        return super().get_queryset().defer("search_vector")


class Post(models.Model):
    """The opening post of a thread (position 0) or a reply."""

    thread = models.ForeignKey(
        Thread,
        verbose_name=_("thread"),
        on_delete=models.CASCADE,
        related_name="posts",
    )
    position = models.PositiveIntegerField(_("number"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="posts",
    )
    organisation = models.ForeignKey(
        "members.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="posts",
    )
    body = models.TextField(_("body"), max_length=20000)
    # Sanitised HTML rendered from body at save time (boards.markdown).
    body_html = models.TextField(editable=False)
    quoted = models.ForeignKey(
        "self",
        verbose_name=_("quoted post"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    is_deleted = models.BooleanField(_("deleted"), default=False)
    # Hidden by a moderator: gone for members, kept for moderators.
    is_hidden = models.BooleanField(_("hidden"), default=False, db_default=False)
    search_vector = SearchVectorField(null=True, editable=False)

    objects = PostManager()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "position"], name="boards_post_unique_position"
            ),
        ]
        indexes = [
            # With the day in the same GIN index (btree_gin), a search of
            # recent posts skips straight to them in each word's posting
            # list instead of reading the lists whole (search.created_since).
            GinIndex(
                "search_vector",
                UTCDay("created_at"),
                name="boards_post_search_recent",
            ),
            models.Index(models.F("created_at").desc(), name="boards_post_created"),
        ]

    def __str__(self):
        return f"{self.thread} #{self.position}"

    @property
    def is_opening(self):
        return self.position == 0

    @property
    def signature(self):
        """石川県七尾市 観光交流課 山田: the organisation as it was when posted."""
        parts = [
            self.organisation.full_name,
            self.author.department,
            self.author.display_name,
        ]
        return " ".join(part for part in parts if part)


class PostRevision(models.Model):
    """A post as it was before an edit."""

    post = models.ForeignKey(
        Post,
        verbose_name=_("post"),
        on_delete=models.CASCADE,
        related_name="revisions",
    )
    title = models.CharField(_("title"), max_length=120, blank=True)
    body = models.TextField(_("body"))
    body_html = models.TextField(editable=False)
    written_at = models.DateTimeField(_("written at"))
    replaced_at = models.DateTimeField(_("replaced at"), default=timezone.now)

    class Meta:
        verbose_name = _("earlier version")
        verbose_name_plural = _("earlier versions")
        ordering = ["-replaced_at", "-pk"]

    def __str__(self):
        return f"{self.post} ({self.written_at:%Y-%m-%d %H:%M})"


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


# ----- structured thread types -----


class Proposal(models.Model):
    """A proposal of a collaboration or exchange project to the wards."""

    class Field(models.TextChoices):
        INDUSTRY = "industry", _("Industry")
        TOURISM = "tourism", _("Tourism")
        CULTURE = "culture", _("Culture")
        SPORTS = "sports", _("Sports")
        DISASTER = "disaster", _("Disaster prevention")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("proposal status", "Open")
        COORDINATING = "coordinating", _("Coordinating")
        REALISED = "realised", _("Realised")
        CLOSED = "closed", pgettext_lazy("proposal status", "Closed")

    thread = models.OneToOneField(
        Thread, on_delete=models.CASCADE, primary_key=True, related_name="proposal"
    )
    field = models.CharField(
        _("field of collaboration"), max_length=20, choices=Field.choices
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    realised_on = models.DateField(_("realised on"), null=True, blank=True)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")

    def __str__(self):
        return str(self.thread)


class ProposalStatusChange(models.Model):
    """One step of a proposal's status, with who moved it."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="status_changes"
    )
    old_status = models.CharField(
        _("before"), max_length=20, choices=Proposal.Status.choices
    )
    new_status = models.CharField(
        _("after"), max_length=20, choices=Proposal.Status.choices
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["changed_at", "pk"]

    def __str__(self):
        return f"{self.proposal}: {self.old_status} → {self.new_status}"


class EventDetails(models.Model):
    """When and where an event is, and how to take part."""

    thread = models.OneToOneField(
        Thread, on_delete=models.CASCADE, primary_key=True, related_name="event"
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    place = models.CharField(_("place"), max_length=200)
    application_deadline = models.DateField(
        _("application deadline"), null=True, blank=True
    )
    contact = models.CharField(_("contact"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="boards_event_dates_in_order",
            ),
        ]

    def __str__(self):
        return str(self.thread)


class PamphletRequest(models.Model):
    """A request to hand out a pamphlet in the wards."""

    class Placement(models.TextChoices):
        FACILITIES = "facilities", _("Ward facilities")
        COUNTERS = "counters", _("Service counters")
        EVENTS = "events", _("Events")

    thread = models.OneToOneField(
        Thread, on_delete=models.CASCADE, primary_key=True, related_name="pamphlet"
    )
    copies = models.PositiveIntegerField(_("number of copies"))
    wished_from = models.DateField(_("wished from"))
    wished_until = models.DateField(_("wished until"))
    placements = ArrayField(
        models.CharField(max_length=20, choices=Placement.choices),
        verbose_name=_("where"),
    )

    class Meta:
        verbose_name = _("pamphlet request")
        verbose_name_plural = _("pamphlet requests")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(wished_until__gte=models.F("wished_from")),
                name="boards_pamphlet_period_in_order",
            ),
        ]

    def __str__(self):
        return str(self.thread)

    def get_placements_display(self):
        labels = dict(self.Placement.choices)
        return [labels[value] for value in self.placements if value in labels]


class Publicity(models.Model):
    """A newsletter or PR video being promoted."""

    thread = models.OneToOneField(
        Thread, on_delete=models.CASCADE, primary_key=True, related_name="publicity"
    )
    url = models.URLField(_("link to the newsletter or video"))
    period_from = models.DateField(_("from"), null=True, blank=True)
    period_until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("newsletter or video PR")
        verbose_name_plural = _("newsletter or video PR")

    def __str__(self):
        return str(self.thread)


class AddresseeQuerySet(models.QuerySet):
    def unanswered(self):
        return self.filter(state__in=[Addressee.State.UNREAD, Addressee.State.READ])


class Addressee(models.Model):
    """A ward a thread is addressed to, and how that ward has answered."""

    class State(models.TextChoices):
        UNREAD = "unread", _("Unread")
        READ = "read", _("Read")
        CONSIDERING = "considering", _("Considering")
        INTERESTED = "interested", _("Interested")
        DECLINED = "declined", _("Declined")
        # Answers to pamphlet requests.
        ACCEPT = "accept", _("Can accept")
        REFUSE = "refuse", _("Cannot accept")
        DISCUSS = "discuss", _("Needs discussion")

    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="addressees"
    )
    organisation = models.ForeignKey(
        "members.Organisation",
        verbose_name=_("ward"),
        on_delete=models.PROTECT,
        related_name="addressed_threads",
    )
    state = models.CharField(
        _("answer"), max_length=20, choices=State.choices, default=State.UNREAD
    )
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = AddresseeQuerySet.as_manager()

    class Meta:
        verbose_name = _("addressed ward")
        verbose_name_plural = _("addressed wards")
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "organisation"], name="boards_addressee_unique"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "state"])]

    def __str__(self):
        return f"{self.thread} → {self.organisation}"


class Interest(models.Model):
    """An organisation's 関心あり on a thread."""

    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="interests"
    )
    organisation = models.ForeignKey(
        "members.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("interest")
        verbose_name_plural = _("interests")
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "organisation"], name="boards_interest_unique"
            ),
        ]

    def __str__(self):
        return f"{self.organisation} → {self.thread}"


# ----- watching and notifications -----


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
            # notification (boards.notifications), even when two workers
            # fan out at once.
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


# ----- moderation -----


class Report(models.Model):
    """A member's report of a post, waiting for a moderator."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("report status", "Open")
        RESOLVED = "resolved", _("Resolved")
        DISMISSED = "dismissed", _("Dismissed")

    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="reports"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason"), max_length=2000)
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "reporter"],
                condition=models.Q(status="open"),
                name="boards_report_once_while_open",
            ),
        ]

    def __str__(self):
        return f"{self.post} ({self.get_status_display()})"


class ModerationLog(models.Model):
    """Every moderation action: who, what, when and why."""

    class Action(models.TextChoices):
        HIDE_POST = "hide_post", _("Hid a post")
        RESTORE_POST = "restore_post", _("Restored a post")
        HIDE_THREAD = "hide_thread", _("Hid a thread")
        RESTORE_THREAD = "restore_thread", _("Restored a thread")
        LOCK = "lock", _("Locked a thread")
        UNLOCK = "unlock", _("Unlocked a thread")
        PIN = "pin", _("Pinned a thread")
        UNPIN = "unpin", _("Unpinned a thread")
        MOVE = "move", _("Moved a thread")
        SPLIT = "split", _("Split replies into a new thread")
        MERGE = "merge", _("Merged threads")
        RESOLVE_REPORT = "resolve_report", _("Resolved a report")
        DISMISS_REPORT = "dismiss_report", _("Dismissed a report")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderator"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    thread = models.ForeignKey(
        Thread,
        verbose_name=_("thread"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    post = models.ForeignKey(
        Post,
        verbose_name=_("post"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("moderation log entry")
        verbose_name_plural = _("moderation log")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_action_display()} ({self.created_at:%Y-%m-%d %H:%M})"
