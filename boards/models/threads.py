"""Categories, threads, posts and the earlier versions of posts."""

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.common.prepared import PreparedQuery, from_row, model_columns
from members.models import Organisation

from ..search import UTCDay


class ThreadType(models.TextChoices):
    """What a category's threads are: each type has its own fields."""

    GENERAL = "general", _("General")
    PROPOSAL = "proposal", _("Proposal")
    EVENT = "event", _("Event")
    PAMPHLET = "pamphlet", _("Pamphlet distribution")
    PUBLICITY = "publicity", _("Newsletter or video PR")
    ANNOUNCEMENT = "announcement", _("Announcement")


class OrganisationGroup(models.Model):
    """A named set of organisations a category can be opened to."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    organisations = models.ManyToManyField(
        "members.Organisation",
        verbose_name=_("organisations"),
        related_name="board_groups",
        blank=True,
    )

    class Meta:
        verbose_name = _("organisation group")
        verbose_name_plural = _("organisation groups")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Category(models.Model):
    """A section of the board, e.g. 連携・交流事業の提案 or お知らせ."""

    class Starters(models.TextChoices):
        MEMBERS = "members", _("All members")
        STAFF = "staff", _("Ward and office staff only")

    class Readers(models.TextChoices):
        MEMBERS = "members", _("All members")
        WARDS = "wards", _("The 23 special wards only")
        GROUP = "group", _("A group of organisations only")

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
    accepts_mail = models.BooleanField(
        _("new threads by mail"),
        default=False,
        db_default=False,
        help_text=_(
            "Members may start a thread by mailing the category's address; "
            "each is posted only after the sender confirms it by a mailed link."
        ),
    )
    # Who reads is decided in boards.permissions (can_read_category); the
    # office and the moderators always read everything.
    readers = models.CharField(
        _("who may read"),
        max_length=20,
        choices=Readers.choices,
        default=Readers.MEMBERS,
        db_default=Readers.MEMBERS,
    )
    reader_group = models.ForeignKey(
        OrganisationGroup,
        verbose_name=_("group that may read"),
        on_delete=models.PROTECT,
        related_name="categories",
        null=True,
        blank=True,
        help_text=_("Only when the category is read by a group of organisations."),
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
        constraints = [
            models.CheckConstraint(
                condition=models.Q(readers="group", reader_group__isnull=False)
                | (~models.Q(readers="group") & models.Q(reader_group__isnull=True)),
                name="category_reader_group_with_group_readers",
                violation_error_message=_(
                    "Choose a group exactly when the category is read by a group."
                ),
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.readers == self.Readers.GROUP and self.reader_group_id is None:
            raise ValidationError(
                {"reader_group": _("Choose the group that may read the category.")},
                code="group_missing",
            )
        if self.readers != self.Readers.GROUP and self.reader_group_id is not None:
            raise ValidationError(
                {
                    "reader_group": _(
                        "A group is chosen only when the category is read by a "
                        "group of organisations."
                    )
                },
                code="group_unused",
            )


class _Named:
    """A category or organisation as a thread row shows it: its name."""

    __slots__ = ("full_name", "name")

    def __init__(self, name):
        self.name = self.full_name = name

    def __str__(self):
        return self.name


class ThreadRow:
    """One row of a thread list: what boards/partials/thread_row.html, its
    fragment key (boards/fragments.py) and the list's cursors read, made
    from a few columns instead of six model instances."""

    # Its columns, in its order (boards.selectors.thread_rows).
    COLUMNS = (
        "pk",
        "title",
        "is_pinned",
        "is_hidden",
        "is_locked",
        "last_position",
        "reply_count",
        "last_activity_at",
        "last_read",
        "category__name",
        *(
            f"{organisation}__{field}"
            for organisation in ("organisation", "last_post_organisation")
            for field in ("name", "kind", "prefecture__name")
        ),
    )

    __slots__ = (
        "category",
        "is_hidden",
        "is_locked",
        "is_pinned",
        "last_activity_at",
        "last_position",
        "last_post_organisation",
        "last_read",
        "organisation",
        "pk",
        "reply_count",
        "title",
    )

    def __init__(self, values):
        (
            self.pk,
            self.title,
            self.is_pinned,
            self.is_hidden,
            self.is_locked,
            self.last_position,
            self.reply_count,
            self.last_activity_at,
            self.last_read,
            category,
            *organisations,
        ) = values
        self.category = _Named(category)
        self.organisation = named_organisation(*organisations[:3])
        self.last_post_organisation = named_organisation(*organisations[3:])

    @property
    def id(self):
        return self.pk

    @property
    def is_unread(self):
        """True when there are posts the reader has not seen."""
        return self.last_read is None or self.last_read < self.last_position

    def __str__(self):
        return self.title


def named_organisation(name, kind, prefecture_name):
    """An organisation as a row shows it (its full name), from its columns."""
    if name is None:
        return None
    return _Named(Organisation.compose_full_name(name, kind, prefecture_name))


class ThreadQuerySet(models.QuerySet):
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
        # reading.py imports Thread from here, so ReadState comes in late.
        from .reading import ReadState

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

    def as_rows(self):
        """The posts as PostRow objects with their files, in one query:
        the columns a thread page reads, and no model instances but the
        files' (few posts have any)."""
        return [PostRow(values) for values in _row_values(self)]

    def page_rows(self, thread_id, start, end):
        """as_rows() of the posts at positions start to end - 1 of a thread,
        in order: a thread page's, compiled once per process."""
        rows = _PAGE_POSTS.rows(thread_id=thread_id, start=start, end=end)
        return [PostRow(values) for values in rows]


def _row_values(posts):
    """values_list() of PostRow.COLUMNS, and each post's files as a list of
    their FILE_COLUMNS (one index probe a post: few have any)."""
    # attachments.py imports Post from here, so Attachment comes in late.
    from .attachments import Attachment

    files = (
        Attachment.objects.filter(post=models.OuterRef("pk"))
        .order_by("pk")
        .values(
            values=JSONObject(
                **{name: name for name in model_columns(Attachment, FILE_COLUMNS)}
            )
        )
    )
    return posts.annotate(file_values=ArraySubquery(files)).values_list(
        *PostRow.COLUMNS, "file_values"
    )


def _page_posts(thread_id, start, end):
    return _row_values(
        Post.objects.filter(
            thread=thread_id, position__gte=start, position__lt=end
        ).order_by("position")[
            # The limit is not for the rows (the positions bound them) but for
            # the plan: PostgreSQL cannot know that "position < 30" of one thread
            # is 30 rows when most threads' posts have such positions, so in a
            # long thread it estimated thousands and chose parallel hash joins
            # (17 ms at 1M posts, 0.2 ms with the limit).
            :PAGE_POSTS_LIMIT
        ]
    )


# A thread page shows at most this many posts (boards.views.threads).
PAGE_POSTS_LIMIT = 30
_PAGE_POSTS = PreparedQuery(_page_posts)
# What post.html and the fragment key read of a file.
FILE_COLUMNS = ("id", "post_id", "kind", "original_name", "width", "height", "size")


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


class _Author:
    """A post's author as a thread page shows them."""

    __slots__ = ("department", "display_name", "is_active")

    def __init__(self, is_active, department, display_name):
        self.is_active = is_active
        self.department = department
        self.display_name = display_name


class _Quoted:
    """The post a reply quotes: its number is enough."""

    __slots__ = ("is_deleted", "pk", "position")

    def __init__(self, pk, position, is_deleted):
        self.pk = pk
        self.position = position
        self.is_deleted = is_deleted


def _attachment(values):
    """An Attachment of FILE_COLUMNS from a PostRow's file values."""
    # attachments.py imports Post from here, so Attachment comes in late.
    from .attachments import Attachment

    names = model_columns(Attachment, FILE_COLUMNS)
    return from_row(Attachment, FILE_COLUMNS, [values[name] for name in names])


class PostRow:
    """One post of a thread page: what boards/partials/post.html, its
    fragment key (boards/fragments.py) and the post permissions read, made
    from one row of columns instead of four model instances
    (PostQuerySet.as_rows). The view sets `thread`."""

    COLUMNS = (
        "pk",
        "position",
        "author_id",
        "organisation_id",
        "body_html",
        "created_at",
        "edited_at",
        "is_deleted",
        "is_hidden",
        "author__is_active",
        "author__department",
        "author__display_name",
        "organisation__name",
        "organisation__kind",
        "organisation__prefecture__name",
        "quoted_id",
        "quoted__position",
        "quoted__is_deleted",
    )

    __slots__ = (
        "attachment_list",
        "author",
        "author_id",
        "body_html",
        "can_edit",
        "can_read",
        "can_report",
        "created_at",
        "edited_at",
        "is_deleted",
        "is_hidden",
        "organisation",
        "organisation_id",
        "pk",
        "position",
        "quoted",
        "thread",
    )

    def __init__(self, values):
        (
            self.pk,
            self.position,
            self.author_id,
            self.organisation_id,
            self.body_html,
            self.created_at,
            self.edited_at,
            self.is_deleted,
            self.is_hidden,
            *author,
        ) = values[:12]
        self.author = _Author(*author)
        self.organisation = named_organisation(*values[12:15])
        quoted_pk, quoted_position, quoted_is_deleted, files = values[15:]
        self.quoted = (
            None
            if quoted_pk is None
            else _Quoted(quoted_pk, quoted_position, quoted_is_deleted)
        )
        self.attachment_list = [_attachment(values) for values in files]

    @property
    def id(self):
        return self.pk

    # The same words as a post's, from the same rule.
    signature = Post.signature

    def __str__(self):
        return f"#{self.position}"


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
