"""Test data builders: plain keyword-only functions, exposed as fixtures."""

import itertools

from members import permissions
from members.models import MembershipStatus, Organisation
from members.services import accounts as services
from members.validators import local_government_check_digit

PASSWORD = "correct-horse-battery"
_sequence = itertools.count(1)


def make_code(number):
    """A valid local government code outside the real ranges: its first two
    digits, 48-99, name no prefecture. 52,000 codes, enough for a session."""
    if not 0 <= number < 52_000:
        raise ValueError(f"no test code for {number}")
    first_five = f"{48 + number // 1000:02d}{number % 1000:03d}"
    return first_five + str(local_government_check_digit(first_five))


def next_code():
    """A code no other test data of this session has."""
    return make_code(next(_sequence))


def make_organisation(
    *,
    name=None,
    kind=Organisation.Kind.CITY,
    prefecture=None,
    membership_status=MembershipStatus.MEMBER,
    **extra,
):
    number = next(_sequence)
    if kind != Organisation.Kind.BODY:
        extra.setdefault("code", make_code(number))
    return Organisation.objects.create(
        name=name or f"テスト市{number}",
        kind=kind,
        prefecture=prefecture,
        membership_status=membership_status,
        **extra,
    )


def make_ward(*, name="千代田区"):
    return make_organisation(name=name, kind=Organisation.Kind.SPECIAL_WARD)


def make_user(
    *,
    organisation=None,
    role=permissions.MEMBER_STAFF,
    email=None,
    display_name="山田 太郎",
    department="観光交流課",
    password=PASSWORD,
    email_verified=True,
):
    number = next(_sequence)
    if organisation is None:
        kind = (
            Organisation.Kind.SPECIAL_WARD
            if role == permissions.WARD_STAFF
            else Organisation.Kind.CITY
        )
        organisation = make_organisation(kind=kind)
    return services.user_create(
        email=email or f"user{number}@example.jp",
        display_name=display_name,
        department=department,
        organisation=organisation,
        role=role,
        password=password,
        email_verified=email_verified,
    )


def make_thread(
    *, author, category="proposals", title="観光物産展への出展について", body="本文"
):
    from boards.models import Category
    from boards.services import posts

    return posts.thread_create(
        category=Category.objects.get(slug=category),
        author=author,
        title=title,
        body=body,
    )


def make_reply(*, thread, author, body="返信です。"):
    from boards.services import posts

    return posts.post_reply(thread=thread, author=author, body=body)


def bulk_threads(*, author, count, category="proposals"):
    """Many threads with an opening post and one reply each, inserted in bulk."""
    from django.utils import timezone

    from boards import search
    from boards.models import Category, Post, Thread

    category = Category.objects.get(slug=category)
    now = timezone.now()
    threads = Thread.objects.bulk_create(
        Thread(
            category=category,
            title=f"一括スレッド{number}",
            author=author,
            organisation=author.organisation,
            last_activity_at=now,
            reply_count=1,
            last_position=1,
            last_post_author=author,
            last_post_organisation=author.organisation,
        )
        for number in range(count)
    )
    Post.objects.bulk_create(
        Post(
            thread=thread,
            position=position,
            author=author,
            organisation=author.organisation,
            body=f"防災と観光の本文{thread.pk}",
            body_html=f"<p>防災と観光の本文{thread.pk}</p>",
            search_vector=search.bigram_tsvector(
                thread.title, f"防災と観光の本文{thread.pk}"
            ),
        )
        for thread in threads
        for position in (0, 1)
    )
    Category.objects.filter(pk=category.pk).update(
        thread_count=category.thread_count + count, last_activity_at=now
    )
    return threads
