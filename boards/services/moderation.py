"""Moderation: what ward and office staff do to threads and posts, and reports.

Every action leaves a ModerationLog row saying who did what, when and why.
Nothing is deleted: hidden content stays for moderators, split and merged
posts keep their rows, and a merged thread stays behind, hidden.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max
from django.tasks import task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.models import User
from members.permissions import moderator_users
from members.services.mail import site_link
from members.tasks import mail_send, mail_send_on_commit

from .. import permissions
from ..models import (
    Category,
    ModerationLog,
    ModeratorMailSetting,
    Post,
    ReadState,
    Report,
    Thread,
    ThreadType,
)
from .posts import post_reindex

Action = ModerationLog.Action


def _mailable(users):
    """Those of users whom mail reaches: active, the address not bouncing."""
    return users.filter(is_active=True, mail_bouncing_since__isnull=True)


def _thread_link(thread_id):
    return site_link(reverse("boards:thread", kwargs={"pk": thread_id}))


def _authors_mail(entry):
    """Tell the authors a moderation action touched what was done, and why.

    A split tells the authors of the replies moved, with the new thread's
    address; a merge tells the merged thread's author, with the target's.
    """
    shown_thread = entry.thread_id
    if entry.action in (Action.HIDE_POST, Action.RESTORE_POST):
        authors = User.objects.filter(pk=entry.post.author_id)
    elif entry.action == Action.SPLIT:
        authors = User.objects.filter(posts__pk__in=entry.details["posts"])
        shown_thread = entry.details["to"]
    else:
        authors = User.objects.filter(pk=entry.thread.author_id)
        if entry.action == Action.MERGE:
            shown_thread = entry.details["to"]
    thread = Thread.objects.get(pk=shown_thread)
    for author in _mailable(authors).distinct().order_by("pk"):
        mail_send_on_commit(
            to=[author.email],
            template="boards/email/moderation_author",
            context={
                "user": author,
                "action": entry.get_action_display(),
                "thread": thread,
                "post": entry.post,
                "reason": entry.reason,
                "url": _thread_link(thread.pk),
            },
        )


def _log(
    *,
    actor,
    action,
    thread=None,
    post=None,
    reason="",
    details=None,
    notify_author=False,
):
    entry = ModerationLog(
        actor=actor,
        action=action,
        thread_id=thread.pk if thread else post.thread_id,
        post=post,
        reason=reason,
        details=details or {},
    )
    entry.full_clean()
    entry.save()
    if notify_author:
        _authors_mail(entry)
    return entry


# The flag each plain moderation action sets, and what to say when it is
# already so (refused, so that the log stays true).
_FLAG_ACTIONS = {
    Action.HIDE_POST: ("is_hidden", True, gettext_lazy("This post is already hidden.")),
    Action.RESTORE_POST: ("is_hidden", False, gettext_lazy("This post is not hidden.")),
    Action.HIDE_THREAD: (
        "is_hidden",
        True,
        gettext_lazy("This thread is already hidden."),
    ),
    Action.RESTORE_THREAD: (
        "is_hidden",
        False,
        gettext_lazy("This thread is not hidden."),
    ),
    Action.LOCK: (
        "is_locked",
        True,
        gettext_lazy("This thread is already closed to new replies."),
    ),
    Action.UNLOCK: (
        "is_locked",
        False,
        gettext_lazy("This thread is already open to replies."),
    ),
    Action.CLOSE: (
        "is_locked",
        True,
        gettext_lazy("This thread is already closed to new replies."),
    ),
    Action.PIN: ("is_pinned", True, gettext_lazy("This thread is already pinned.")),
    Action.UNPIN: ("is_pinned", False, gettext_lazy("This thread is not pinned.")),
}


def _flag_set(target, action, *, actor, reason, notify_author=False):
    """Set the flag of a plain moderation action on a thread or post, and log it."""
    field, value, unchanged = _FLAG_ACTIONS[action]
    current = (
        type(target)
        .objects.select_for_update()
        .values_list(field, flat=True)
        .get(pk=target.pk)
    )
    if current == value:
        raise ValidationError(str(unchanged), code="unchanged")
    setattr(target, field, value)
    target.save(update_fields=[field])
    kind = "post" if isinstance(target, Post) else "thread"
    _log(
        actor=actor,
        action=action,
        reason=reason,
        notify_author=notify_author,
        **{kind: target},
    )
    return target


@transaction.atomic
def post_hide(
    *, post: Post, actor: User, reason: str = "", notify_author: bool = False
) -> Post:
    """Hide a post: members see a placeholder, moderators the post, marked."""
    return _flag_set(
        post, Action.HIDE_POST, actor=actor, reason=reason, notify_author=notify_author
    )


@transaction.atomic
def post_restore(
    *, post: Post, actor: User, reason: str = "", notify_author: bool = False
) -> Post:
    """Show a hidden post to members again."""
    return _flag_set(
        post,
        Action.RESTORE_POST,
        actor=actor,
        reason=reason,
        notify_author=notify_author,
    )


@transaction.atomic
def thread_hide(
    *, thread: Thread, actor: User, reason: str = "", notify_author: bool = False
) -> Thread:
    """Hide a thread from members: it leaves lists and search; its page is 404."""
    return _flag_set(
        thread,
        Action.HIDE_THREAD,
        actor=actor,
        reason=reason,
        notify_author=notify_author,
    )


@transaction.atomic
def thread_restore(
    *, thread: Thread, actor: User, reason: str = "", notify_author: bool = False
) -> Thread:
    """Show a hidden thread to members again, unless it was merged away."""
    if ModerationLog.objects.filter(thread=thread, action=Action.MERGE).exists():
        raise ValidationError(
            _("This thread was merged into another one; its posts are there now."),
            code="merged",
        )
    return _flag_set(
        thread,
        Action.RESTORE_THREAD,
        actor=actor,
        reason=reason,
        notify_author=notify_author,
    )


@transaction.atomic
def thread_lock(
    *, thread: Thread, actor: User, reason: str = "", notify_author: bool = False
) -> Thread:
    """Close a thread to new replies; what it has stays readable."""
    return _flag_set(
        thread, Action.LOCK, actor=actor, reason=reason, notify_author=notify_author
    )


@transaction.atomic
def thread_close(*, thread: Thread, actor: User, reason: str = "") -> Thread:
    """The organisation that started a thread closes it (募集を締め切る):
    locked like a moderator's lock, logged as its own kind."""
    if not permissions.can_close_thread(actor, thread):
        raise PermissionDenied
    return _flag_set(thread, Action.CLOSE, actor=actor, reason=reason)


@transaction.atomic
def thread_unlock(
    *, thread: Thread, actor: User, reason: str = "", notify_author: bool = False
) -> Thread:
    """Open a closed thread to replies again."""
    return _flag_set(
        thread, Action.UNLOCK, actor=actor, reason=reason, notify_author=notify_author
    )


@transaction.atomic
def thread_pin(
    *, thread: Thread, actor: User, reason: str = "", notify_author: bool = False
) -> Thread:
    """Pin a thread to the top of its category."""
    return _flag_set(
        thread, Action.PIN, actor=actor, reason=reason, notify_author=notify_author
    )


@transaction.atomic
def thread_unpin(
    *, thread: Thread, actor: User, reason: str = "", notify_author: bool = False
) -> Thread:
    """Let a pinned thread take its place by activity again."""
    return _flag_set(
        thread, Action.UNPIN, actor=actor, reason=reason, notify_author=notify_author
    )


# The thread types whose threads carry a row of details, by its name.
_DETAILS = {
    ThreadType.PROPOSAL: "proposal",
    ThreadType.EVENT: "event",
    ThreadType.PAMPHLET: "pamphlet",
    ThreadType.PUBLICITY: "publicity",
}


def details_type(thread: Thread) -> str | None:
    """The thread type whose details the thread carries, if any."""
    for kind, name in _DETAILS.items():
        details = Thread._meta.get_field(name).related_model
        if details.objects.filter(thread=thread).exists():
            return kind
    return None


def _category_shift(category_id, *, threads=0, posts=0):
    """Counters of a category after threads or posts moved in (or out)."""
    latest = Thread.objects.filter(category_id=category_id).aggregate(
        latest=Max("last_activity_at")
    )["latest"]
    Category.objects.filter(pk=category_id).update(
        thread_count=F("thread_count") + threads,
        post_count=F("post_count") + posts,
        last_activity_at=latest,
    )


def _thread_recount(thread):
    """Reply count and last post of a thread, from the posts it holds now.

    The last post shown in lists is the newest by time, which after a merge
    need not be the one with the highest number.
    """
    posts = Post.objects.filter(thread=thread)
    stats = posts.aggregate(count=Count("pk"), last_position=Max("position"))
    newest = posts.order_by("-created_at", "-position").first()
    thread.reply_count = stats["count"] - 1
    thread.last_position = stats["last_position"]
    thread.last_activity_at = newest.created_at
    thread.last_post_author_id = newest.author_id
    thread.last_post_organisation_id = newest.organisation_id
    thread.save(
        update_fields=[
            "reply_count",
            "last_position",
            "last_activity_at",
            "last_post_author",
            "last_post_organisation",
        ]
    )


def _posts_move(posts, *, thread, first_position):
    """Give posts to another thread, numbered in the order given."""
    for offset, post in enumerate(posts):
        post.thread = thread
        post.position = first_position + offset
    Post.objects.bulk_update(posts, ["thread", "position"])
    # The first post of a thread carries its title in the search index.
    for post in posts:
        post_reindex(post=post)


@transaction.atomic
def thread_split(
    *,
    thread: Thread,
    posts: Iterable[Post],
    title: str,
    actor: User,
    reason: str = "",
    notify_author: bool = False,
) -> Thread:
    """Make some replies a thread of their own in the same category.

    The first reply chosen becomes the opening post. The opening post stays,
    and with it the thread's details (proposal, event...), the wards it is
    addressed to and their answers: they are about the opening post. To
    split a thread entirely is to move all its replies. Numbers left behind
    in the old thread may have gaps, as after deleting posts.
    """
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    chosen = {post.pk for post in posts}
    moving = list(
        Post.objects.filter(thread=thread, pk__in=chosen)
        .prefetch_related("attachments")
        .in_order()
    )
    if not moving or len(moving) != len(chosen):
        raise ValidationError(
            _("Choose one or more replies of this thread."), code="no_replies"
        )
    if moving[0].is_opening:
        raise ValidationError(
            _("The opening post stays with its thread; choose replies only."),
            code="opening_post",
        )
    first = moving[0]
    new = Thread(
        category_id=thread.category_id,
        title=title,
        author_id=first.author_id,
        organisation_id=first.organisation_id,
        created_at=first.created_at,
    )
    new.full_clean()
    new.save()
    _posts_move(moving, thread=new, first_position=0)
    # "In reply to #n" links to a post on the same page, so a link to a
    # post now in the other thread would point at the wrong one.
    Post.objects.filter(thread=new, quoted__isnull=False).exclude(
        quoted__thread=new
    ).update(quoted=None)
    Post.objects.filter(thread=thread, quoted__thread=new).update(quoted=None)
    _thread_recount(thread)
    _thread_recount(new)
    # The next reply takes the number after the new last post; readers who
    # had read past it must still see that reply as unread.
    ReadState.objects.filter(
        thread=thread, last_read_position__gt=thread.last_position
    ).update(last_read_position=thread.last_position)
    _category_shift(thread.category_id, threads=1)
    _log(
        actor=actor,
        action=Action.SPLIT,
        thread=thread,
        reason=reason,
        details={"to": new.pk, "posts": sorted(chosen)},
        notify_author=notify_author,
    )
    return new


@transaction.atomic
def thread_merge(
    *,
    source: Thread,
    target: Thread,
    actor: User,
    reason: str = "",
    notify_author: bool = False,
) -> Thread:
    """Add a thread's posts to the end of another, in the order they were posted.

    The emptied thread stays, hidden, and its address leads to the target.
    """
    if source.pk == target.pk:
        raise ValidationError(
            _("A thread cannot be merged into itself."), code="same_thread"
        )
    # Both are locked, in a fixed order, so replies cannot take the numbers.
    locked = Thread.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
    locked = {thread.pk: thread for thread in locked.order_by("pk")}
    source, target = locked[source.pk], locked[target.pk]
    if target.is_hidden:
        raise ValidationError(
            _("Choose a thread that members can see."), code="target_hidden"
        )
    if not permissions.can_hold_thread(target.category, source):
        raise ValidationError(
            _(
                "The thread's author may not read %(category)s, where the "
                "other thread is."
            )
            % {"category": target.category.name},
            code="author_cannot_read",
        )
    moving = list(
        Post.objects.filter(thread=source)
        .prefetch_related("attachments")
        .order_by("created_at", "position")
    )
    if not moving:
        raise ValidationError(_("This thread has no posts to merge."), code="no_posts")
    _posts_move(moving, thread=target, first_position=target.last_position + 1)
    _thread_recount(target)
    source.is_hidden = True
    source.reply_count = 0
    source.save(update_fields=["is_hidden", "reply_count"])
    if source.category_id == target.category_id:
        _category_shift(target.category_id)
    else:
        _category_shift(source.category_id, posts=-len(moving))
        _category_shift(target.category_id, posts=len(moving))
    _log(
        actor=actor,
        action=Action.MERGE,
        thread=source,
        reason=reason,
        details={"to": target.pk, "posts": [post.pk for post in moving]},
        notify_author=notify_author,
    )
    return target


@transaction.atomic
def thread_move(
    *,
    thread: Thread,
    category: Category,
    actor: User,
    reason: str = "",
    notify_author: bool = False,
) -> Thread:
    """Move a thread to another category, with both categories' counters.

    A thread with details of its type (a proposal, an event...) moves only
    to a category of the same type, where they keep their meaning; and only
    to a category its author may read.
    """
    thread = (
        Thread.objects.select_for_update().select_related("category").get(pk=thread.pk)
    )
    old = thread.category
    if old.pk == category.pk:
        raise ValidationError(
            _("The thread is already in this category."), code="same_category"
        )
    kind = details_type(thread)
    if kind is not None and category.thread_type != kind:
        raise ValidationError(
            _(
                "This thread carries the details of a %(kind)s; it can move "
                "only to a category of the same type."
            )
            % {"kind": ThreadType(kind).label},
            code="wrong_type",
        )
    if not permissions.can_hold_thread(category, thread):
        raise ValidationError(
            _(
                "The thread's author may not read %(category)s; a thread moves "
                "only to a category its author can read."
            )
            % {"category": category.name},
            code="author_cannot_read",
        )
    posts = Post.objects.filter(thread=thread).count()
    thread.category = category
    thread.save(update_fields=["category"])
    _category_shift(old.pk, threads=-1, posts=-posts)
    _category_shift(category.pk, threads=1, posts=posts)
    _log(
        actor=actor,
        action=Action.MOVE,
        thread=thread,
        reason=reason,
        details={"from": old.slug, "to": category.slug},
        notify_author=notify_author,
    )
    return thread


def report_create(*, post: Post, reporter: User, reason: str) -> Report:
    """Report a post to the moderators; one open report per person and post."""
    report = Report(post=post, reporter=reporter, reason=reason)
    # The open-report constraint is left to the database, which also
    # catches a form sent twice at once, so the message is always this one.
    report.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        raise ValidationError(
            _("You have already reported this post. The moderators will look at it."),
            code="already_reported",
        ) from None
    transaction.on_commit(lambda: report_mail_moderators.enqueue(report_id=report.pk))
    return report


def report_recipients():
    """The moderators mailed of a new report: all but those who said no."""
    return _mailable(moderator_users(User.objects.all())).exclude(
        moderator_mail_setting__reports=False
    )


@task
def report_mail_moderators(*, report_id: int) -> None:
    """Mail each moderator who wants it that a post was reported."""
    report = (
        Report.objects.select_related("post__thread", "reporter__organisation")
        .filter(pk=report_id, status=Report.Status.OPEN)
        .first()
    )
    if report is None:
        return
    url = site_link(reverse("admin:boards_report_change", args=[report.pk]))
    recipients = report_recipients().exclude(pk=report.reporter_id)
    for moderator in recipients.order_by("pk"):
        mail_send(
            to=[moderator.email],
            template="boards/email/report_arrived",
            context={"user": moderator, "report": report, "url": url},
        )


def moderator_mail_set(*, user: User, reports: bool) -> ModeratorMailSetting:
    """A moderator's choice of being mailed new reports."""
    setting, _created = ModeratorMailSetting.objects.update_or_create(
        user=user, defaults={"reports": reports}
    )
    return setting


def _reporter_mail(report):
    if not _mailable(User.objects.filter(pk=report.reporter_id)).exists():
        return
    mail_send_on_commit(
        to=[report.reporter.email],
        template="boards/email/report_handled",
        context={
            "user": report.reporter,
            "report": report,
            "url": _thread_link(report.post.thread_id),
        },
    )


def _report_close(report, *, actor, note, status, action, notify_reporter=False):
    report = (
        Report.objects.select_for_update(of=("self",))
        .select_related("post__thread", "reporter")
        .get(pk=report.pk)
    )
    if report.status != Report.Status.OPEN:
        raise ValidationError(
            _("This report has already been handled."), code="handled"
        )
    report.status = status
    report.handled_by = actor
    report.handled_at = timezone.now()
    report.note = note
    report.full_clean()
    report.save(update_fields=["status", "handled_by", "handled_at", "note"])
    _log(
        actor=actor,
        action=action,
        post=report.post,
        reason=note,
        details={"report": report.pk},
    )
    if notify_reporter:
        _reporter_mail(report)
    return report


@transaction.atomic
def report_resolve(
    *, report: Report, actor: User, note: str = "", notify_reporter: bool = False
) -> Report:
    """Close a report as dealt with (the post was hidden, or the like)."""
    return _report_close(
        report,
        actor=actor,
        note=note,
        status=Report.Status.RESOLVED,
        action=Action.RESOLVE_REPORT,
        notify_reporter=notify_reporter,
    )


@transaction.atomic
def report_resolve_hiding(
    *,
    report: Report,
    actor: User,
    note: str,
    notify_reporter: bool = False,
    notify_author: bool = False,
) -> Report:
    """Hide the reported post (unless hidden already) and close the report.

    The other open reports of the same post are closed with it: the post
    they are about is gone for members.
    """
    report = Report.objects.select_related("post").get(pk=report.pk)
    if report.status != Report.Status.OPEN:
        raise ValidationError(
            _("This report has already been handled."), code="handled"
        )
    post = Post.objects.select_for_update().get(pk=report.post_id)
    if not post.is_hidden:
        post_hide(post=post, actor=actor, reason=note, notify_author=notify_author)
    others = Report.objects.filter(post=post, status=Report.Status.OPEN).exclude(
        pk=report.pk
    )
    for other in others.order_by("pk"):
        report_resolve(
            report=other, actor=actor, note=note, notify_reporter=notify_reporter
        )
    return report_resolve(
        report=report, actor=actor, note=note, notify_reporter=notify_reporter
    )


@transaction.atomic
def report_dismiss(
    *, report: Report, actor: User, note: str = "", notify_reporter: bool = False
) -> Report:
    """Close a report as needing nothing done."""
    return _report_close(
        report,
        actor=actor,
        note=note,
        status=Report.Status.DISMISSED,
        action=Action.DISMISS_REPORT,
        notify_reporter=notify_reporter,
    )
