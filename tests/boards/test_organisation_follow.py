"""Organisations following threads and categories; the news of an
organisation's own threads reaching its staff who chose to hear it."""

import pytest
from django.tasks import default_task_backend
from django.urls import reverse

from boards import selectors
from boards.models import (
    Addressee,
    Category,
    Notification,
    NotificationKind,
    OrganisationWatch,
    Thread,
    Watch,
)
from boards.services import collaboration, notifications, watching
from members.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def colleague(make_user, member):
    return make_user(organisation=member.organisation, email="colleague@example.jp")


@pytest.fixture
def thread(make_thread, member):
    return make_thread(author=member)


def notified(kind=None):
    rows = Notification.objects.all()
    if kind is not None:
        rows = rows.filter(kind=kind)
    return sorted(rows.values_list("user__email", flat=True))


def answer(thread, ward_staff, on_commit):
    collaboration.addressees_set(thread=thread, wards=[ward_staff.organisation])
    Notification.objects.all().delete()
    with on_commit():
        collaboration.addressee_answer(
            addressee=Addressee.objects.get(thread=thread),
            actor=ward_staff,
            state=Addressee.State.INTERESTED,
        )


# ----- the organisation's own threads -----


def test_a_wards_answer_reaches_the_authors_colleagues(
    thread, member, colleague, ward_staff, on_commit
):
    answer(thread, ward_staff, on_commit)
    assert notified(NotificationKind.ANSWER) == [colleague.email, member.email]


def test_interest_reaches_the_authors_colleagues(
    thread, member, colleague, other_member, on_commit
):
    with on_commit():
        collaboration.interest_mark(thread=thread, actor=other_member)
    assert notified(NotificationKind.ANSWER) == [colleague.email, member.email]


def test_a_reply_reaches_the_organisations_staff_once(
    thread, member, colleague, other_member, make_reply, on_commit
):
    # The colleague also follows the thread in person: still one notification.
    watching.watch(user=colleague, thread=thread)
    with on_commit():
        make_reply(thread=thread, author=other_member)
    assert notified() == [colleague.email, member.email]


def test_the_replying_colleague_is_not_told_of_their_own_reply(
    thread, member, colleague, make_reply, on_commit
):
    with on_commit():
        make_reply(thread=thread, author=colleague)
    assert notified() == [member.email]


def test_staff_who_turned_organisation_news_off_hear_nothing(
    thread, colleague, ward_staff, on_commit
):
    User.objects.filter(pk=colleague.pk).update(organisation_news=False)
    answer(thread, ward_staff, on_commit)
    assert colleague.email not in notified()


def test_the_author_hears_of_answers_even_with_organisation_news_off(
    thread, member, ward_staff, on_commit
):
    User.objects.filter(pk=member.pk).update(organisation_news=False)
    answer(thread, ward_staff, on_commit)
    assert notified() == [member.email]


def test_turned_off_colleagues_hear_nothing(thread, colleague, ward_staff, on_commit):
    User.objects.filter(pk=colleague.pk).update(is_active=False)
    answer(thread, ward_staff, on_commit)
    assert colleague.email not in notified()


def test_a_leavers_thread_still_reaches_the_organisation(
    thread, member, colleague, ward_staff, on_commit
):
    User.objects.filter(pk=member.pk).update(is_active=False)
    answer(thread, ward_staff, on_commit)
    assert notified() == [colleague.email]


def test_other_organisations_do_not_hear_of_the_answers(
    thread, other_member, ward_staff, on_commit
):
    answer(thread, ward_staff, on_commit)
    assert other_member.email not in notified()


# ----- following for the organisation -----


def test_an_organisation_following_a_thread_hears_of_its_replies(
    make_thread, member, colleague, other_member, make_reply, make_user, on_commit
):
    thread = make_thread(author=other_member)
    watching.organisation_watch(
        organisation=member.organisation, actor=member, thread=thread
    )
    with on_commit():
        make_reply(thread=thread, author=make_user())
    assert notified() == sorted([colleague.email, member.email, other_member.email])


def test_an_organisation_following_a_category_hears_of_new_threads(
    member, colleague, other_member, make_thread, on_commit
):
    proposals = Category.objects.get(slug="proposals")
    watching.organisation_watch(
        organisation=member.organisation, actor=member, category=proposals
    )
    with on_commit():
        make_thread(author=other_member, category="proposals")
        make_thread(author=other_member, category="other")
    assert notified(NotificationKind.NEW_THREAD) == [colleague.email, member.email]


def test_fan_out_to_many_organisation_staff_is_a_constant_number_of_queries(
    member, make_thread, other_member, django_assert_max_num_queries, settings
):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    category = Category.objects.get(slug="other")
    staff = User.objects.bulk_create(
        User(
            email=f"staff{number}@example.jp",
            display_name=f"職員 {number}",
            organisation=member.organisation,
            password="!",
        )
        for number in range(300)
    )
    watching.organisation_watch(
        organisation=member.organisation, actor=member, category=category
    )
    thread = make_thread(author=other_member, category="other")
    default_task_backend.clear()
    with django_assert_max_num_queries(8):
        created = notifications.fan_out.call(
            kind=NotificationKind.NEW_THREAD,
            thread_id=thread.pk,
            post_id=thread.posts.get().pk,
            actor_id=other_member.pk,
        )
    assert created == len(staff) + 1


# ----- the buttons -----


def test_following_and_unfollowing_for_the_organisation(
    member_client, member, other_member, make_thread
):
    thread = make_thread(author=other_member)
    category = thread.category
    thread_url = reverse("boards:thread_organisation_watch", args=[thread.pk])
    category_url = reverse("boards:category_organisation_watch", args=[category.slug])
    response = member_client.post(thread_url, {"watch": "1"})
    assert response["Location"] == reverse("boards:thread", args=[thread.pk])
    response = member_client.post(category_url, {"watch": "1"})
    assert response["Location"] == reverse("boards:category", args=[category.slug])
    assert selectors.organisation_follows(member, thread=thread)
    assert selectors.organisation_follows(member, category=category)
    watch = OrganisationWatch.objects.get(thread=thread)
    assert (watch.organisation, watch.created_by) == (member.organisation, member)
    member_client.post(thread_url, {"watch": "0"})
    member_client.post(category_url, {"watch": "0"})
    assert not OrganisationWatch.objects.exists()


def test_following_twice_keeps_one_follow(member_client, member, thread):
    url = reverse("boards:thread_organisation_watch", args=[thread.pk])
    member_client.post(url, {"watch": "1"})
    member_client.post(url, {"watch": "1"})
    assert OrganisationWatch.objects.count() == 1


def test_a_colleagues_follow_is_the_organisations(
    client, member, colleague, other_member, make_thread
):
    thread = make_thread(author=other_member)
    client.force_login(member)
    client.post(
        reverse("boards:thread_organisation_watch", args=[thread.pk]), {"watch": "1"}
    )
    client.force_login(colleague)
    page = client.get(reverse("boards:thread", args=[thread.pk]))
    assert page.context["thread"].organisation_follows
    # Another organisation does not follow it.
    client.force_login(other_member)
    page = client.get(reverse("boards:thread", args=[thread.pk]))
    assert not page.context["thread"].organisation_follows


def test_a_hidden_thread_cannot_be_followed_for_the_organisation(
    member_client, other_member, make_thread
):
    thread = make_thread(author=other_member)
    Thread.objects.filter(pk=thread.pk).update(is_hidden=True)
    response = member_client.post(
        reverse("boards:thread_organisation_watch", args=[thread.pk]), {"watch": "1"}
    )
    assert response.status_code == 404
    assert not OrganisationWatch.objects.exists()


def test_an_unknown_category_is_not_found(member_client):
    response = member_client.post(
        reverse("boards:category_organisation_watch", args=["no-such"]),
        {"watch": "1"},
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("boards:thread_organisation_watch", [1]),
        ("boards:category_organisation_watch", ["proposals"]),
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(client, name, args):
    response = client.post(reverse(name, args=args), {"watch": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not OrganisationWatch.objects.exists()


def test_a_turned_off_account_cannot_follow(client, member, colleague, thread):
    User.objects.filter(pk=colleague.pk).update(is_active=False)
    colleague.refresh_from_db()
    client.force_login(colleague)
    response = client.post(
        reverse("boards:thread_organisation_watch", args=[thread.pk]), {"watch": "1"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not OrganisationWatch.objects.exists()


def test_the_category_page_shows_the_organisation_follow_button(member_client, member):
    proposals = Category.objects.get(slug="proposals")
    url = reverse("boards:category_organisation_watch", args=[proposals.slug])
    page = member_client.get(reverse("boards:category", args=[proposals.slug]))
    assert url in page.content.decode()
    assert not page.context["organisation_follows"]


# ----- the setting -----


def test_the_setting_is_on_by_default_and_saved(member_client, member):
    page = member_client.get(reverse("boards:notification_settings"))
    assert page.context["form"].initial["organisation_news"] is True
    data = {kind.value: "immediate" for kind in NotificationKind}
    data["mail_mode"] = "notices"
    response = member_client.post(reverse("boards:notification_settings"), data)
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.organisation_news is False
    data["organisation_news"] = "on"
    member_client.post(reverse("boards:notification_settings"), data)
    member.refresh_from_db()
    assert member.organisation_news is True


@pytest.mark.parametrize(
    ("mine", "organisations"), [(False, False), (True, False), (False, True)]
)
def test_the_category_page_shows_each_follow_as_it_is(
    member_client, member, other_member, mine, organisations
):
    proposals = Category.objects.get(slug="proposals")
    if mine:
        Watch.objects.create(user=member, category=proposals)
    if organisations:
        OrganisationWatch.objects.create(
            organisation=member.organisation, category=proposals, created_by=member
        )
    # Another person's and another organisation's follows are not the page's.
    Watch.objects.create(user=other_member, category=proposals)
    OrganisationWatch.objects.create(
        organisation=other_member.organisation,
        category=proposals,
        created_by=other_member,
    )
    page = member_client.get(reverse("boards:category", args=[proposals.slug]))
    assert page.context["is_watching"] is mine
    assert page.context["organisation_follows"] is organisations
