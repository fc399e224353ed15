"""Who may do what on the board. Views, templates and admin ask here."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from members.models import User
from members.permissions import (
    can_use_members_area,
    is_office_staff,
    is_ward_staff,
    members_area_users,
    moderator_users,
)


def is_moderator(user):
    """Ward and office staff moderate the board."""
    return is_office_staff(user) or is_ward_staff(user)


def can_moderate(user):
    """Moderators hide, lock, pin, move, split and merge, and handle reports."""
    return is_moderator(user)


def can_start_thread(user, category):
    """Members start threads, except in staff-only categories (お知らせ)."""
    if not can_use_members_area(user):
        return False
    return category.starters == "members" or is_moderator(user)


def can_view_thread(user, thread):
    """Hidden threads are for moderators only."""
    return can_use_members_area(user) and (not thread.is_hidden or is_moderator(user))


def can_reply(user, thread):
    """Anyone who can read a thread replies, unless it is locked or hidden."""
    return can_use_members_area(user) and not thread.is_hidden and not thread.is_locked


def can_edit_post(user, post):
    """People edit their own posts while the thread is open."""
    return (
        can_use_members_area(user)
        and post.author_id == user.pk
        and not post.is_deleted
        and not post.is_hidden
        and not post.thread.is_locked
        and not post.thread.is_hidden
    )


def can_delete_post(user, post):
    """People delete their own posts (a placeholder stays in the thread)."""
    return can_edit_post(user, post)


def can_read_post(user, post):
    """A post is read in its thread unless deleted; hidden ones by moderators only."""
    return (
        can_view_thread(user, post.thread)
        and not post.is_deleted
        and (not post.is_hidden or is_moderator(user))
    )


def can_report(user, post):
    """Members report posts of others that they can read, to the moderators."""
    return (
        can_use_members_area(user)
        and post.author_id != user.pk
        and can_view_thread(user, post.thread)
        and not post.is_deleted
        and not post.is_hidden
    )


def can_see_revisions(user, post):
    """Earlier versions are open to everyone who can read the post."""
    return can_read_post(user, post)


def can_download_attachment(user, attachment):
    """Files go with their post: only for those who can read it."""
    return can_read_post(user, attachment.post)


def visible_threads(user, queryset):
    """Threads a user may see in lists and search."""
    if is_moderator(user):
        return queryset
    return queryset.filter(is_hidden=False)


def posts_in_visible_threads(user, queryset):
    """Posts whose thread the user may see: the same rule as visible_threads.

    Written as "not in a hidden thread" for search: hidden threads are few,
    so PostgreSQL checks each match against a small hashed list instead of
    looking up every match's thread.
    """
    if is_moderator(user):
        return queryset
    from .models import Thread

    return queryset.exclude(thread__in=Thread.objects.filter(is_hidden=True))


def visible_posts(user, queryset):
    """Posts a user may find in search: hidden ones for moderators only."""
    if is_moderator(user):
        return queryset
    return queryset.filter(is_hidden=False)


def can_answer_for(user, addressee):
    """Staff of an addressed ward answer for their ward."""
    return (
        can_use_members_area(user)
        and addressee.organisation_id == user.organisation_id
        and not addressee.thread.is_hidden
    )


def acts_for_thread(user, thread):
    """Active staff of the organisation a thread was started for act for it.

    What a thread's author may do, the author's organisation may do: people
    move every April, and their colleagues carry the thread on.
    """
    return can_use_members_area(user) and thread.organisation_id == user.organisation_id


def can_see_answers(user, thread):
    """The table of the wards' answers is for the author's organisation and
    the office."""
    return acts_for_thread(user, thread) or (
        can_use_members_area(user) and is_office_staff(user)
    )


def can_mark_interest(user, thread):
    """Any member organisation but the author's own marks interest."""
    return (
        can_view_thread(user, thread)
        and not thread.is_hidden
        and thread.organisation_id != user.organisation_id
    )


def can_change_proposal_status(user, thread):
    """The author's organisation or the office moves a proposal on."""
    return can_see_answers(user, thread)


def can_edit_thread_details(user, thread):
    """The author's organisation and the office keep a thread's details
    (dates, place, copies, ...) current while it is open; the text of a
    post stays its author's."""
    return (
        can_see_answers(user, thread) and not thread.is_hidden and not thread.is_locked
    )


def can_close_thread(user, thread):
    """The author's organisation closes its own thread (募集を締め切る);
    moderators lock any thread through moderation."""
    return (
        acts_for_thread(user, thread)
        and not thread.is_hidden
        and not (thread.is_locked)
    )


def can_follow_for_organisation(user):
    """Any member's staff may have their organisation follow a thread or
    a category for all its staff."""
    return can_use_members_area(user)


def can_export_collaborations(user):
    """The office exports the yearly list of realised collaborations."""
    return is_office_staff(user)


def can_manage_registration(user, thread):
    """The organiser (the event thread's organisation) and the office run
    an event's sign-up: open it, see and export every attendee."""
    return can_use_members_area(user) and (
        thread.organisation_id == user.organisation_id or is_office_staff(user)
    )


def can_register_for(user, thread):
    """Anyone who may read an event signs up people of their organisation,
    unless the thread is hidden or locked."""
    return (
        can_view_thread(user, thread) and not thread.is_hidden and not thread.is_locked
    )


def can_cancel_attendee(user, attendee):
    """An attendee's own organisation, and the organiser, cancel them."""
    return can_use_members_area(user) and (
        attendee.organisation_id == user.organisation_id
        or can_manage_registration(user, attendee.event.thread)
    )


def thread_readers(thread):
    """Everyone who may read a thread (can_view_thread for many people)."""
    users = members_area_users(User.objects.all())
    return moderator_users(users) if thread.is_hidden else users


def post_readers(post):
    """Everyone who may read a post (can_read_post for many people)."""
    if post.is_deleted:
        return User.objects.none()
    users = thread_readers(post.thread)
    return moderator_users(users) if post.is_hidden else users


def readable_notifications(queryset):
    """Notifications whose own recipient may still read their thread and post.

    can_view_thread and can_read_post for many people at once, asked again
    when mail goes out: a thread hidden or a membership suspended since the
    notification was made keeps it out of the mail.
    """
    users = User.objects.all()
    moderator = Q(user__in=moderator_users(users))
    return queryset.filter(
        Q(thread__is_hidden=False) | moderator,
        Q(post=None)
        | Q(post__is_deleted=False) & (Q(post__is_hidden=False) | moderator),
        user__in=members_area_users(users),
    )


# ----- fetch and check in one call -----
#
# Views load what a URL names through these. What the user may not see is
# a 404, so ids cannot be probed; what they may see but not change is a 403.
# The models are imported in the functions: boards.models imports
# boards.search, which imports this module.


def access_thread(user, pk, *, for_reply=False):
    """The thread, if the user may see it (404) and, for_reply, reply (403)."""
    from .models import Thread

    thread = get_object_or_404(Thread.objects.select_related("category"), pk=pk)
    if not can_view_thread(user, thread):
        raise Http404
    if for_reply and not can_reply(user, thread):
        raise PermissionDenied
    return thread


def access_post(user, pk, *, for_edit=False, for_report=False, for_revisions=False):
    """The post, if the user may see its thread (404) and do what is asked.

    for_edit and for_report are 403 when refused; for_revisions is 404,
    as the earlier versions of a post one may not read do not exist for one.
    """
    from .models import Post

    post = get_object_or_404(
        Post.objects.select_related(
            "thread__category",
            "author__organisation__prefecture",
            "organisation__prefecture",
        ),
        pk=pk,
    )
    if not can_view_thread(user, post.thread):
        raise Http404
    if for_revisions and not can_see_revisions(user, post):
        raise Http404
    if (for_edit and not can_edit_post(user, post)) or (
        for_report and not can_report(user, post)
    ):
        raise PermissionDenied
    return post


def access_attachment(user, pk):
    """The attachment, or 404 also when the user may not download it."""
    from .models import Attachment

    attachment = get_object_or_404(
        Attachment.objects.select_related("post__thread"), pk=pk
    )
    if not can_download_attachment(user, attachment):
        raise Http404
    return attachment
