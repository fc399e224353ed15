"""Who may do what on the board. Views, templates and admin ask here."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from members.common.numbers import row_number
from members.common.prepared import (
    PreparedQuery,
    from_row,
    model_columns,
    related_from_row,
    split_row,
)
from members.models import Organisation, User
from members.permissions import (
    can_use_members_area,
    is_office_staff,
    is_special_ward,
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


# ----- who reads a category -----
#
# A category is read by every member, by the 23 special wards only, or by a
# named group of organisations; the office and the moderators read every
# category. Everything else on the board (threads, posts, files, search,
# the calendar, notifications and mail) follows from can_read_category or
# its set-based forms below, which state the same rule.


def _group_ids(user):
    """The ids of the organisation groups of a user's organisation, read once."""
    cached = getattr(user, "_renkei_board_groups", None)
    if cached is None:
        from .models import OrganisationGroup

        cached = frozenset(
            OrganisationGroup.objects.filter(
                organisations=user.organisation_id
            ).values_list("pk", flat=True)
        )
        user._renkei_board_groups = cached
    return cached


def _admits(user, category):
    """Whether a category's readers include the person, active or not."""
    readers = category.readers
    if readers == "members" or is_moderator(user):
        return True
    if readers == "wards":
        return is_special_ward(user.organisation)
    return category.reader_group_id in _group_ids(user)


def can_read_category(user, category):
    """A category is read by all members, the 23 wards or a group of
    organisations, as set; the office and the moderators read every one."""
    return can_use_members_area(user) and _admits(user, category)


def can_hold_thread(category, thread):
    """A thread goes only to a category its author may read."""
    return _admits(thread.author, category)


def _readable_by_organisation(organisation_id, *, special_ward):
    """Q over categories read by the staff of one organisation (no moderator)."""
    from .models import OrganisationGroup

    in_group = OrganisationGroup.organisations.through.objects.filter(
        organisationgroup=OuterRef("reader_group"), organisation=organisation_id
    )
    readable = Q(readers="members") | Q(Exists(in_group), readers="group")
    if special_ward:
        readable |= Q(readers="wards")
    return readable


def readable_categories(user, queryset):
    """The categories among queryset that a user may read."""
    return category_visibility(user).categories(queryset)


def readable_category_list(user):
    """readable_categories of all categories, in their order, read once per
    user object: a request loads its user afresh, so once per request.

    The board home lists them, access_category finds a category among them,
    and the lists of threads that follow filter by their ids (visible_threads):
    one small query a page instead of the rule compiled into every list.
    """
    cached = getattr(user, "_renkei_readable_categories", None)
    if cached is None:
        from .models import Category, OrganisationGroup

        cached = []
        for values in _READABLE_CATEGORIES.rows(visibility=category_visibility(user)):
            category, group, _rest = split_row(values, Category, OrganisationGroup)
            category = from_row(Category, None, category)
            category.reader_group = related_from_row(OrganisationGroup, group)
            cached.append(category)
        user._renkei_readable_categories = cached
    return cached


def _readable_categories(visibility):
    from .models import Category, OrganisationGroup

    return visibility.categories(Category.objects.all()).values_list(
        *model_columns(Category),
        *model_columns(OrganisationGroup, through="reader_group__"),
    )


_READABLE_CATEGORIES = PreparedQuery(_readable_categories)


def _readable_category_pks(user):
    """The categories a user may read, for filtering threads and posts
    (ThreadVisibility.category_pks)."""
    return thread_visibility(user).category_pks()


def category_readers(category):
    """Everyone who may read a category (can_read_category for many people)."""
    users = members_area_users(User.objects.all())
    if category.readers == "members":
        return users
    if category.readers == "wards":
        admitted = Q(organisation__kind=Organisation.Kind.SPECIAL_WARD)
    else:
        admitted = Q(organisation__board_groups=category.reader_group_id)
    return users.filter(admitted | Q(pk__in=moderator_users(User.objects.all())))


def can_start_thread(user, category):
    """Members start threads, except in staff-only categories (お知らせ), in
    the categories they may read."""
    if not can_read_category(user, category):
        return False
    return category.starters == "members" or is_moderator(user)


def can_view_thread(user, thread):
    """Threads are read by the readers of their category; hidden threads by
    moderators only."""
    return can_read_category(user, thread.category) and (
        not thread.is_hidden or is_moderator(user)
    )


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


@dataclass(frozen=True)
class ThreadVisibility:
    """Which threads a person may see (can_view_thread), as plain values.

    visible_threads filters by it; a prepared query binds it
    (members/common/prepared.py), so the rule is compiled once per shape:
    nobody, everybody (moderators), the categories this request has read
    already, or the categories an organisation's staff read.
    """

    nothing: bool = False
    everything: bool = False
    category_ids: tuple[int, ...] | None = None
    organisation_id: int | None = None
    special_ward: bool = False

    def categories(self, queryset):
        """The categories among queryset such a person may read."""
        if self.nothing:
            return queryset.none()
        if self.everything:
            return queryset
        if self.category_ids is not None:
            return queryset.filter(pk__in=self.category_ids)
        return queryset.filter(
            _readable_by_organisation(
                self.organisation_id, special_ward=self.special_ward
            )
        )

    def threads(self, queryset, *, through=""):
        """The rows of queryset in such threads (see visible_threads)."""
        if self.nothing:
            return queryset.none()
        if self.everything:
            return queryset
        prefix = f"{through}__" if through else ""
        return queryset.filter(
            **{
                f"{prefix}is_hidden": False,
                f"{prefix}category__in": self.category_pks(),
            }
        )

    def category_pks(self):
        """The readable categories' ids when known, else a subquery of them:
        no page makes a query of its own only for this."""
        if self.category_ids is not None:
            return list(self.category_ids)
        from .models import Category

        return self.categories(Category.objects.all()).values("pk")


def category_visibility(user):
    """A person's ThreadVisibility by the rule itself: nobody, everybody
    (moderators), or the categories their organisation's staff read."""
    if not can_use_members_area(user):
        return ThreadVisibility(nothing=True)
    if is_moderator(user):
        return ThreadVisibility(everything=True)
    return ThreadVisibility(
        organisation_id=user.organisation_id,
        special_ward=is_special_ward(user.organisation),
    )


def thread_visibility(user):
    """category_visibility, by the categories' ids when this request has
    read them (readable_category_list), else by the rule as a subquery, so
    that no page makes a query of its own only for this."""
    visibility = category_visibility(user)
    cached = getattr(user, "_renkei_readable_categories", None)
    if cached is None or visibility.nothing or visibility.everything:
        return visibility
    return ThreadVisibility(category_ids=tuple(c.pk for c in cached))


def visible_threads(user, queryset, *, through=""):
    """Threads a user may see in lists and search: can_view_thread.

    With through, the rows of queryset whose thread (the relation of that
    name) is such a thread: a join, cheaper to build and to run than
    "thread in (the visible threads)" on every page (the header's count).
    """
    return thread_visibility(user).threads(queryset, through=through)


def posts_in_visible_threads(user, queryset):
    """Posts whose thread the user may see: the same rule as visible_threads.

    Written as "not in a hidden thread nor one of a category the user may
    not read" for search: such threads are few, so PostgreSQL checks each
    match against small hashed lists instead of looking up every match's
    thread. Two lists, not one of threads hidden *or* unreadable: each is
    read through an index of its own (the hidden threads' partial index,
    the category's), where the OR read every thread (10-20 ms at 100,000
    threads, on every search).
    """
    if not can_use_members_area(user):
        return queryset.none()
    if is_moderator(user):
        return queryset
    from .models import Category, Thread

    unreadable = Category.objects.exclude(pk__in=_readable_category_pks(user))
    return queryset.exclude(
        thread__in=Thread.objects.filter(is_hidden=True).values("pk")
    ).exclude(thread__in=Thread.objects.filter(category__in=unreadable.values("pk")))


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
        and can_view_thread(user, addressee.thread)
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
    an event's sign-up: open it, see and export every attendee, while they
    may read the thread."""
    return can_view_thread(user, thread) and (
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
    users = category_readers(thread.category)
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
    notification was made keeps it out of the mail, and so does a category
    closed to the recipient since.
    """
    from .models import OrganisationGroup

    users = User.objects.all()
    moderator = Q(user__in=moderator_users(users))
    in_group = OrganisationGroup.organisations.through.objects.filter(
        organisationgroup=OuterRef("thread__category__reader_group"),
        organisation=OuterRef("user__organisation"),
    )
    return queryset.filter(
        Q(thread__category__readers="members")
        | Q(
            thread__category__readers="wards",
            user__organisation__kind=Organisation.Kind.SPECIAL_WARD,
        )
        | Q(Exists(in_group), thread__category__readers="group")
        | moderator,
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


def access_category(user, slug):
    """The category, if the user may read it (404 also when not)."""
    for category in readable_category_list(user):
        if category.slug == slug:
            return category
    raise Http404


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
        Attachment.objects.select_related("post__thread__category"), pk=pk
    )
    if not can_download_attachment(user, attachment):
        raise Http404
    return attachment


# ----- drafts -----
#
# A draft is a private note: only its writer ever sees it, and only while
# it could still be posted (the thread readable and open, the category one
# they may start threads in).


def can_resume_draft(user, draft):
    """People open, save and delete their own drafts while they could post them."""
    if draft.user_id != user.pk or not can_use_members_area(user):
        return False
    if draft.kind == "thread":
        return can_start_thread(user, draft.category)
    return can_view_thread(user, draft.thread) and can_reply(user, draft.thread)


def visible_drafts(user, queryset):
    """The person's own drafts that could still be posted (can_resume_draft)."""
    from .models import Thread

    if not can_use_members_area(user):
        return queryset.none()
    open_threads = Thread.objects.filter(is_hidden=False, is_locked=False)
    startable = Q() if is_moderator(user) else Q(category__starters="members")
    return queryset.filter(user=user).filter(
        (Q(kind="thread", category__in=_readable_category_pks(user)) & startable)
        | Q(kind="reply", thread__in=visible_threads(user, open_threads))
    )


def access_draft(user, pk):
    """The draft, or 404 to anyone but its writer and once it cannot be posted."""
    from .models import Draft

    draft = get_object_or_404(
        Draft.objects.select_related("category", "thread__category"),
        # From the query string: what is no row's number finds no row.
        pk=row_number(pk),
    )
    if not can_resume_draft(user, draft):
        raise Http404
    return draft
