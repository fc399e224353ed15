import email.policy
import smtplib
from datetime import timedelta

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.tasks import default_task_backend
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from boards import mail, mentions, selectors
from boards.models import (
    Addressee,
    Category,
    Frequency,
    Notification,
    NotificationKind,
    NotificationSetting,
    Thread,
    Watch,
)
from boards.services import (
    collaboration,
    moderation,
    notifications,
    posts,
    watching,
)
from members.models import MembershipStatus, User
from members.services import organisations

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what the services queue after their transaction commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def thread(make_thread, member):
    return make_thread(author=member)


@pytest.fixture
def nanao(make_organisation):
    ishikawa = make_organisation(name="石川県", kind="prefecture")
    return make_organisation(name="七尾市", prefecture=ishikawa)


@pytest.fixture
def nanao_staff(make_user, nanao):
    return make_user(organisation=nanao, email="kanko@city.nanao.example.jp")


@pytest.fixture
def smtp_down(monkeypatch):
    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    return monkeypatch


def kinds_by_user():
    return {
        (user_id, kind)
        for user_id, kind in Notification.objects.values_list("user", "kind")
    }


def set_frequency(user, kind, frequency):
    NotificationSetting.objects.create(user=user, kind=kind, frequency=frequency)


# ----- watching -----


def test_starting_or_replying_to_a_thread_watches_it(
    thread, member, other_member, make_reply
):
    make_reply(thread=thread, author=other_member)
    assert selectors.is_watching(member, thread=thread)
    assert selectors.is_watching(other_member, thread=thread)


def test_a_reply_notifies_the_watchers_but_not_its_author(
    thread, member, other_member, make_user, make_reply, on_commit
):
    make_user()  # watches nothing
    with on_commit():
        make_reply(thread=thread, author=other_member)
    assert kinds_by_user() == {(member.pk, NotificationKind.REPLY)}


def test_a_new_thread_notifies_the_watchers_of_its_category(
    member, other_member, make_thread, on_commit
):
    proposals = Category.objects.get(slug="proposals")
    watching.watch(user=other_member, category=proposals)
    watching.watch(user=member, category=Category.objects.get(slug="other"))
    with on_commit():
        thread = make_thread(author=member)
    notification = Notification.objects.get()
    assert (notification.user, notification.kind) == (
        other_member,
        NotificationKind.NEW_THREAD,
    )
    assert (notification.thread, notification.post) == (thread, thread.posts.get())


def test_addressed_wards_hear_of_a_new_thread_as_addressed_only(
    member, ward_staff, on_commit
):
    proposals = Category.objects.get(slug="proposals")
    watching.watch(user=ward_staff, category=proposals)
    with on_commit():
        collaboration.thread_start(
            category=proposals,
            author=member,
            title="観光物産展の共同出展",
            body="ご提案です。",
            details={"field": "tourism"},
            wards=[ward_staff.organisation],
        )
    assert kinds_by_user() == {(ward_staff.pk, NotificationKind.ADDRESSED)}


def test_addressing_a_ward_twice_notifies_its_staff_once(thread, ward_staff, on_commit):
    with on_commit():
        collaboration.addressees_set(thread=thread, wards=[ward_staff.organisation])
        collaboration.addressees_set(thread=thread, wards=[ward_staff.organisation])
    assert kinds_by_user() == {(ward_staff.pk, NotificationKind.ADDRESSED)}
    assert Notification.objects.count() == 1


def test_a_wards_answer_and_an_organisations_interest_notify_the_author(
    thread, member, other_member, ward_staff, on_commit, mailoutbox
):
    collaboration.addressees_set(thread=thread, wards=[ward_staff.organisation])
    with on_commit():
        collaboration.addressee_answer(
            addressee=Addressee.objects.get(),
            actor=ward_staff,
            state=Addressee.State.INTERESTED,
        )
        collaboration.interest_mark(thread=thread, actor=other_member)
    answers = Notification.objects.filter(user=member, kind=NotificationKind.ANSWER)
    assert {n.actor for n in answers} == {ward_staff, other_member}
    assert [message.to for message in mailoutbox] == [[member.email]] * 2
    assert thread.title in mailoutbox[0].body


def test_the_thread_author_is_not_notified_of_their_own_interest(
    thread, member, on_commit
):
    with on_commit():
        notifications.on_interest(
            interest=thread.interests.create(
                organisation=member.organisation, marked_by=member
            )
        )
    assert not Notification.objects.exists()


def toggle_interest(thread, user, times):
    for _ in range(times):
        collaboration.interest_mark(thread=thread, actor=user)
        collaboration.interest_unmark(thread=thread, actor=user)


def test_interest_toggled_ten_times_notifies_and_mails_the_author_once(
    thread, member, other_member, on_commit, mailoutbox
):
    for _ in range(10):
        with on_commit():
            toggle_interest(thread, other_member, 1)
    assert Notification.objects.filter(user=member).count() == 1
    assert [message.to for message in mailoutbox] == [[member.email]]


def test_a_repeated_answer_moves_the_unread_notification_to_the_top(
    thread, member, other_member, ward_staff, on_commit, mailoutbox
):
    collaboration.addressees_set(thread=thread, wards=[ward_staff.organisation])
    addressee = Addressee.objects.get()
    with on_commit():
        collaboration.addressee_answer(
            addressee=addressee, actor=ward_staff, state=Addressee.State.CONSIDERING
        )
    first = Notification.objects.get(user=member)
    with on_commit():
        collaboration.interest_mark(thread=thread, actor=other_member)
        collaboration.addressee_answer(
            addressee=addressee, actor=ward_staff, state=Addressee.State.INTERESTED
        )
    answers = list(selectors.notifications_of(member))
    assert [n.actor for n in answers] == [ward_staff, other_member]
    assert answers[0].pk == first.pk
    assert answers[0].created_at > first.created_at
    assert len(mailoutbox) == 2


def test_a_repeated_answer_is_mailed_again_after_the_quiet_period(
    thread, member, other_member, on_commit, mailoutbox
):
    with on_commit():
        toggle_interest(thread, other_member, 1)
    Notification.objects.update(
        mailed_at=timezone.now() - notifications.REPEAT_MAIL_AFTER - timedelta(1)
    )
    with on_commit():
        toggle_interest(thread, other_member, 1)
    assert Notification.objects.filter(user=member).count() == 1
    assert len(mailoutbox) == 2


def test_a_repeated_answer_after_the_author_read_the_first_is_news_again(
    thread, member, other_member, on_commit, mailoutbox
):
    with on_commit():
        toggle_interest(thread, other_member, 1)
    notifications.notifications_mark_all_read(user=member)
    with on_commit():
        toggle_interest(thread, other_member, 1)
    assert selectors.unread_count(member) == 1
    assert Notification.objects.filter(user=member).count() == 2
    assert len(mailoutbox) == 2


# ----- mentions -----


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ("@七尾市 様、よろしくお願いします。", ["七尾市"]),
        ("ご確認ください@石川県七尾市さん。", ["石川県七尾市"]),
        (
            "@yamada.taro と @山田太郎、@七尾市御中",
            ["yamada.taro", "山田太郎", "七尾市"],
        ),
        ("@七尾市 @七尾市", ["七尾市"]),
        ("連絡先は kanko@city.nanao.example.jp です。", []),
        ("> @七尾市 さんが書きました\n>\n> @能登町\n\n了解です。", []),
    ],
)
def test_mentions_are_names_after_an_at_sign_outside_quotes(body, names):
    assert mentions.mentions(body) == names


@pytest.mark.parametrize("written", ["@七尾市", "@石川県七尾市"])
def test_mentioning_an_organisation_notifies_its_staff(
    thread, other_member, nanao_staff, make_reply, on_commit, written
):
    with on_commit():
        make_reply(thread=thread, author=other_member, body=f"{written} さん")
    assert (nanao_staff.pk, NotificationKind.MENTION) in kinds_by_user()


def test_mentioning_a_person_by_name_or_address_notifies_them(
    thread, other_member, make_user, make_reply, on_commit
):
    hanako = make_user(display_name="能登 花子", email="Noto.Hanako@example.jp")
    taro = make_user(display_name="輪島 太郎", email="wajima@example.jp")
    with on_commit():
        make_reply(thread=thread, author=other_member, body="@能登花子 @noto.hanako")
    assert (hanako.pk, NotificationKind.MENTION) in kinds_by_user()
    assert not Notification.objects.filter(user=taro).exists()


def test_a_mentioned_watcher_gets_one_notification(
    thread, member, other_member, make_reply, on_commit
):
    with on_commit():
        make_reply(
            thread=thread, author=other_member, body=f"@{member.organisation.name}"
        )
    assert kinds_by_user() == {(member.pk, NotificationKind.MENTION)}


def test_quoting_a_post_does_not_notify_its_mentions_again(
    thread, other_member, nanao_staff, make_reply, on_commit
):
    with on_commit():
        make_reply(thread=thread, author=other_member, body="> @七尾市\n\n賛成です。")
    assert not Notification.objects.filter(user=nanao_staff).exists()


# ----- who may hear -----


def test_people_outside_the_members_area_are_not_notified(
    thread, other_member, make_user, make_organisation, make_reply, on_commit
):
    left = make_user()
    User.objects.filter(pk=left.pk).update(is_active=False)
    withdrawn = make_user(
        organisation=make_organisation(membership_status=MembershipStatus.WITHDRAWN)
    )
    for user in (left, withdrawn):
        watching.watch(user=user, thread=thread)
    with on_commit():
        make_reply(thread=thread, author=other_member)
    assert not Notification.objects.filter(user__in=[left, withdrawn]).exists()


def test_only_moderators_hear_of_a_hidden_thread(
    thread, member, other_member, ward_staff
):
    watching.watch(user=ward_staff, thread=thread)
    Thread.objects.filter(pk=thread.pk).update(is_hidden=True)
    notifications.fan_out.call(
        kind=NotificationKind.REPLY, thread_id=thread.pk, actor_id=other_member.pk
    )
    assert kinds_by_user() == {(ward_staff.pk, NotificationKind.REPLY)}


@pytest.mark.parametrize(
    ("mail_everyone", "frequency"), [(True, Frequency.IMMEDIATE), (False, "off")]
)
def test_an_important_announcement_reaches_every_member(
    office_staff, member, other_member, on_commit, mailoutbox, mail_everyone, frequency
):
    with on_commit():
        thread = collaboration.thread_start(
            category=Category.objects.get(slug="announcements"),
            author=office_staff,
            title="システム停止のお知らせ",
            body="本文",
            important=True,
            mail_everyone=mail_everyone,
        )
    assert set(Notification.objects.values_list("user", "kind", "mail")) == {
        (member.pk, NotificationKind.ANNOUNCEMENT, frequency),
        (other_member.pk, NotificationKind.ANNOUNCEMENT, frequency),
    }
    assert len(mailoutbox) == (2 if mail_everyone else 0)
    assert selectors.important_unread(member) == [thread]


def test_an_important_announcement_is_shown_until_read(office_staff, member, client):
    thread = collaboration.thread_start(
        category=Category.objects.get(slug="announcements"),
        author=office_staff,
        title="システム停止のお知らせ",
        body="本文",
        important=True,
    )
    client.force_login(member)
    client.get(reverse("boards:thread", args=[thread.pk]))
    assert selectors.important_unread(member) == []


# ----- mail -----


def test_frequency_off_notifies_in_the_site_but_sends_no_mail(
    thread, member, other_member, make_reply, on_commit, mailoutbox
):
    set_frequency(member, NotificationKind.REPLY, Frequency.OFF)
    with on_commit():
        make_reply(thread=thread, author=other_member)
    assert Notification.objects.get().mail == Frequency.OFF
    assert mailoutbox == []
    assert mail.send_pending_mail.call() == 0


def test_daily_notifications_wait_for_one_digest(
    thread, member, other_member, make_reply, on_commit, mailoutbox
):
    set_frequency(member, NotificationKind.REPLY, Frequency.DAILY)
    with on_commit():
        make_reply(thread=thread, author=other_member)
        make_reply(thread=thread, author=other_member, body="追記です。")
    assert mailoutbox == []
    assert mail.send_daily_digests.call() == 1
    assert mail.send_daily_digests.call() == 0
    [digest] = mailoutbox
    assert digest.to == [member.email]
    # Grouped by thread: the title once, each post in full.
    assert digest.body.count(thread.title) == 3
    assert "返信です。" in digest.body and "追記です。" in digest.body
    assert not Notification.objects.filter(mailed_at__isnull=True).exists()


def test_a_notification_mail_is_text_and_html_with_an_unsubscribe_link(
    thread, member, other_member, make_reply, on_commit, mailoutbox
):
    with on_commit():
        make_reply(thread=thread, author=other_member)
    [message] = mailoutbox
    assert message.subject.endswith(f"Re: {thread.title}")
    assert other_member.display_name in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert thread.title in html
    unsubscribe_url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe_url.startswith("http://testserver/boards/unsubscribe/")
    assert unsubscribe_url in message.body
    assert unsubscribe_url in html
    assert (
        message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    )
    # On one line as written: clients ignore an RFC 2047 encoded URL.
    raw = message.message(policy=email.policy.SMTP).as_bytes()
    assert f"\r\nList-Unsubscribe: <{unsubscribe_url}>\r\n".encode() in raw
    notification = Notification.objects.get()
    open_url = reverse("boards:notification_open", args=[notification.pk])
    assert f"http://testserver{open_url}" in message.body
    assert notification.mailed_at is not None


def test_each_pending_notification_goes_out_in_a_mail_of_its_own(
    thread, member, other_member, make_reply, mailoutbox, settings
):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    for body in ("返信です。", "追記です。"):
        notifications.fan_out.call(
            kind=NotificationKind.REPLY,
            thread_id=thread.pk,
            post_id=make_reply(thread=thread, author=other_member, body=body).pk,
            actor_id=other_member.pk,
        )
    assert mail.send_pending_mail.call() == 2
    first, second = mailoutbox
    assert "返信です。" in first.body and "追記です。" not in first.body
    assert "追記です。" in second.body


def test_a_failed_send_keeps_the_notification_and_a_later_run_sends_it_once(
    thread, member, other_member, make_reply, on_commit, mailoutbox, smtp_down
):
    with on_commit():
        make_reply(thread=thread, author=other_member)
    notification = Notification.objects.get()
    assert notification.mailed_at is None
    smtp_down.undo()
    assert mail.send_pending_mail.call() == 1
    assert mail.send_pending_mail.call() == 0
    assert len(mailoutbox) == 1


@pytest.fixture
def two_pending(thread, member, other_member, make_user, settings):
    """A reply waiting to be mailed to the author and to a third watcher."""
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    third = make_user()
    watching.watch(user=third, thread=thread)
    notifications.fan_out.call(
        kind=NotificationKind.REPLY, thread_id=thread.pk, actor_id=other_member.pk
    )
    return member, third


def fail_for(monkeypatch, address, error):
    send = EmailBackend.send_messages

    def send_or_fail(self, messages):
        if messages[0].to == [address]:
            raise error
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_or_fail)


def test_mail_that_went_out_before_the_server_failed_is_not_sent_again(
    two_pending, monkeypatch, mailoutbox
):
    member, third = two_pending
    fail_for(monkeypatch, third.email, smtplib.SMTPServerDisconnected("gone"))
    with pytest.raises(smtplib.SMTPServerDisconnected):
        mail.send_pending_mail.call()
    assert [message.to for message in mailoutbox] == [[member.email]]
    monkeypatch.undo()
    assert mail.send_pending_mail.call() == 1
    assert [message.to for message in mailoutbox] == [[member.email], [third.email]]


def test_a_refused_address_does_not_hold_up_other_mail(
    two_pending, monkeypatch, mailoutbox
):
    member, third = two_pending
    refused = smtplib.SMTPRecipientsRefused({member.email: (451, b"try later")})
    fail_for(monkeypatch, member.email, refused)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        mail.send_pending_mail.call()
    assert [message.to for message in mailoutbox] == [[third.email]]
    monkeypatch.undo()
    assert mail.send_pending_mail.call() == 1
    assert [message.to for message in mailoutbox] == [[third.email], [member.email]]


def test_the_mail_command_sends_what_is_waiting(
    thread, member, other_member, smtp_down, capsys, mailoutbox
):
    notifications.fan_out.call(
        kind=NotificationKind.REPLY, thread_id=thread.pk, actor_id=other_member.pk
    )
    with pytest.raises(Exception, match="could not be sent"):
        call_command("send_notification_mail")
    smtp_down.undo()
    call_command("send_notification_mail")
    assert "1 mail(s) sent." in capsys.readouterr().out
    assert len(mailoutbox) == 1


# ----- mail carries only what the reader may still see -----


@pytest.fixture
def queued(thread, member, other_member, make_reply, settings):
    """A reply waiting to be mailed to the author, the tasks not yet run."""
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }

    def queue(*, frequency=Frequency.IMMEDIATE, watcher=member):
        if frequency != Frequency.IMMEDIATE:
            set_frequency(watcher, NotificationKind.REPLY, frequency)
        watching.watch(user=watcher, thread=thread)
        post = make_reply(thread=thread, author=other_member)
        notifications.fan_out.call(
            kind=NotificationKind.REPLY,
            thread_id=thread.pk,
            post_id=post.pk,
            actor_id=other_member.pk,
        )
        return post

    return queue


def send(frequency):
    if frequency == Frequency.DAILY:
        return mail.send_daily_digests.call()
    return mail.send_pending_mail.call()


@pytest.mark.parametrize("frequency", [Frequency.IMMEDIATE, Frequency.DAILY])
def test_a_thread_hidden_after_the_notification_is_not_mailed(
    queued, thread, member, ward_staff, mailoutbox, frequency
):
    queued(frequency=frequency)
    assert Notification.objects.get(user=member).mailed_at is None
    moderation.thread_hide(thread=thread, actor=ward_staff)
    assert send(frequency) == 0
    assert mailoutbox == []


@pytest.mark.parametrize("frequency", [Frequency.IMMEDIATE, Frequency.DAILY])
def test_staff_of_a_suspended_organisation_get_no_board_mail(
    queued, member, office_staff, mailoutbox, frequency
):
    queued(frequency=frequency)
    organisations.organisation_set_status(
        organisation=member.organisation,
        status=MembershipStatus.SUSPENDED,
        actor=office_staff,
    )
    assert send(frequency) == 0
    assert mailoutbox == []


def test_a_reply_hidden_before_the_notification_is_made_notifies_no_member(
    thread, member, other_member, ward_staff, make_reply, mailoutbox, settings
):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    post = make_reply(thread=thread, author=other_member)
    moderation.post_hide(post=post, actor=ward_staff)
    notifications.fan_out.call(
        kind=NotificationKind.REPLY,
        thread_id=thread.pk,
        post_id=post.pk,
        actor_id=other_member.pk,
    )
    assert not Notification.objects.filter(user=member).exists()
    assert send(Frequency.IMMEDIATE) == 0


@pytest.mark.parametrize("frequency", [Frequency.IMMEDIATE, Frequency.DAILY])
def test_a_reply_hidden_after_the_notification_is_not_mailed(
    queued, ward_staff, mailoutbox, frequency
):
    post = queued(frequency=frequency)
    moderation.post_hide(post=post, actor=ward_staff)
    assert send(frequency) == 0
    assert mailoutbox == []


def test_a_deleted_reply_is_not_mailed(queued, other_member, mailoutbox):
    post = queued()
    posts.post_delete(post=post, actor=other_member)
    assert send(Frequency.IMMEDIATE) == 0
    assert mailoutbox == []


@pytest.mark.parametrize("hidden", ["thread", "post"])
def test_moderators_still_get_mail_of_what_they_see_hidden(
    queued, thread, ward_staff, office_staff, mailoutbox, hidden
):
    post = queued(watcher=ward_staff)
    if hidden == "thread":
        moderation.thread_hide(thread=thread, actor=office_staff)
    else:
        moderation.post_hide(post=post, actor=office_staff)
    assert send(Frequency.IMMEDIATE) == 1
    assert [message.to for message in mailoutbox] == [[ward_staff.email]]


# ----- unsubscribing -----


def unsubscribe_url(user, kinds=(NotificationKind.REPLY,)):
    token = mail.unsubscribe_token(user=user, kinds=kinds)
    return reverse("boards:notification_unsubscribe", args=[token])


def test_the_unsubscribe_link_asks_first_and_needs_no_sign_in(client, member):
    response = client.get(unsubscribe_url(member))
    assert response.status_code == 200
    assert response.templates[0].name == "boards/notification_unsubscribe.html"
    assert str(NotificationKind.REPLY.label) in response.content.decode()
    assert not NotificationSetting.objects.exists()


def test_unsubscribing_turns_that_kind_off_and_stops_waiting_mail(
    client, thread, member, other_member
):
    notifications.fan_out.call(
        kind=NotificationKind.REPLY, thread_id=thread.pk, actor_id=other_member.pk
    )
    Notification.objects.update(mailed_at=None)
    response = client.post(unsubscribe_url(member))
    assert response.status_code == 200
    assert response.context["done"]
    assert selectors.mail_frequencies(member)[NotificationKind.REPLY] == "off"
    assert selectors.mail_frequencies(member)[NotificationKind.MENTION] == (
        Frequency.IMMEDIATE
    )
    assert Notification.objects.get().mail == Frequency.OFF


def test_a_mail_clients_one_click_post_needs_no_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    response = client.post(unsubscribe_url(member), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert NotificationSetting.objects.get(user=member).frequency == Frequency.OFF


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_unsubscribe_link_is_refused(client, member, other_member, method):
    token = mail.unsubscribe_token(user=member, kinds=["reply"])
    forged = mail.unsubscribe_token(user=other_member, kinds=["reply"])
    tampered = forged.split(":", 1)[0] + ":" + token.split(":", 1)[1]
    url = reverse("boards:notification_unsubscribe", args=[tampered])
    response = getattr(client, method)(url)
    assert response.status_code == 400
    assert "このリンクは無効です" in response.content.decode()
    assert not NotificationSetting.objects.exists()


def test_an_expired_unsubscribe_link_is_refused(client, member, monkeypatch):
    monkeypatch.setattr(mail, "UNSUBSCRIBE_MAX_AGE", timedelta(seconds=-1))
    response = client.post(unsubscribe_url(member))
    assert response.status_code == 400
    assert not NotificationSetting.objects.exists()


# ----- fan-out at scale -----


def test_fan_out_to_1000_watchers_is_a_constant_number_of_queries(
    member, make_thread, make_organisation, django_assert_max_num_queries, settings
):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    category = Category.objects.get(slug="other")
    organisation = make_organisation()
    watchers = User.objects.bulk_create(
        User(
            email=f"watcher{number}@example.jp",
            display_name=f"職員 {number}",
            organisation=organisation,
            password="!",
        )
        for number in range(1000)
    )
    Watch.objects.bulk_create(Watch(user=user, category=category) for user in watchers)
    thread = make_thread(author=member, category="other")
    default_task_backend.clear()
    with django_assert_max_num_queries(8):
        created = notifications.fan_out.call(
            kind=NotificationKind.NEW_THREAD,
            thread_id=thread.pk,
            post_id=thread.posts.get().pk,
            actor_id=member.pk,
        )
    assert created == Notification.objects.count() == 1000
    [queued] = default_task_backend.results
    assert queued.task.name == "send_pending_mail"


# ----- in the site -----


def make_notifications(user, thread, count):
    return Notification.objects.bulk_create(
        Notification(
            user=user, kind=NotificationKind.ANSWER, thread=thread, mail=Frequency.OFF
        )
        for _ in range(count)
    )


@pytest.mark.parametrize(("unread", "shown"), [(2, "2"), (99, "99"), (100, "99+")])
def test_the_header_shows_the_unread_count(
    member_client, member, thread, unread, shown
):
    make_notifications(member, thread, unread + 1)
    Notification.objects.filter(pk=Notification.objects.first().pk).update(
        read_at=timezone.now()
    )
    content = member_client.get(reverse("home")).content.decode()
    badge = f'<span class="badge badge--new" aria-hidden="true">{shown}</span>'
    assert badge in content


def test_the_notification_list_makes_as_many_queries_for_many_rows(
    member_client, member, other_member, thread, django_assert_max_num_queries
):
    url = reverse("boards:notification_list")
    make_notifications(member, thread, 2)
    with django_assert_max_num_queries(12) as few:
        member_client.get(url)
    # One answer per person stays unread: the other's actor stays unknown.
    Notification.objects.filter(pk=Notification.objects.first().pk).update(
        actor=other_member
    )
    make_notifications(member, thread, 40)
    with django_assert_max_num_queries(len(few)):
        response = member_client.get(url)
    assert len(response.context["notifications"]) == 30
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_opening_a_notification_marks_it_read_and_goes_to_the_post(
    member_client, member, other_member, thread, make_reply
):
    post = make_reply(thread=thread, author=other_member)
    notifications.fan_out.call(
        kind=NotificationKind.REPLY,
        thread_id=thread.pk,
        post_id=post.pk,
        actor_id=other_member.pk,
    )
    notification = Notification.objects.get()
    response = member_client.get(
        reverse("boards:notification_open", args=[notification.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("boards:post", args=[post.pk])
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_marking_all_read(member_client, member, thread):
    make_notifications(member, thread, 3)
    response = member_client.post(reverse("boards:notification_read_all"))
    assert response.status_code == 302
    assert selectors.unread_count(member) == 0


def test_another_persons_notification_is_not_found(member_client, other_member, thread):
    [notification] = make_notifications(other_member, thread, 1)
    url = reverse("boards:notification_open", args=[notification.pk])
    assert member_client.get(url).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mail_settings_are_saved_per_kind(member_client, member):
    data = {kind.value: Frequency.IMMEDIATE for kind in NotificationKind}
    data[NotificationKind.REPLY] = Frequency.DAILY
    data[NotificationKind.ANNOUNCEMENT] = Frequency.OFF
    data["mail_mode"] = "notices"
    response = member_client.post(reverse("boards:notification_settings"), data)
    assert response.status_code == 302
    chosen = selectors.mail_frequencies(member)
    assert chosen[NotificationKind.REPLY] == Frequency.DAILY
    assert chosen[NotificationKind.ANNOUNCEMENT] == Frequency.OFF
    assert chosen[NotificationKind.MENTION] == Frequency.IMMEDIATE


def test_following_and_unfollowing_a_thread_and_a_category(
    member_client, member, other_member, make_thread
):
    thread = make_thread(author=other_member)
    category = thread.category
    thread_url = reverse("boards:thread_watch", args=[thread.pk])
    category_url = reverse("boards:category_watch", args=[category.slug])
    response = member_client.post(thread_url, {"watch": "1"})
    assert response["Location"] == reverse("boards:thread", args=[thread.pk])
    member_client.post(category_url, {"watch": "1"})
    assert selectors.is_watching(member, thread=thread)
    assert selectors.is_watching(member, category=category)
    member_client.post(thread_url, {"watch": "0"})
    member_client.post(category_url, {"watch": "0"})
    assert not Watch.objects.filter(user=member).exists()


def test_a_hidden_thread_cannot_be_followed_by_members(
    member_client, member, other_member, make_thread
):
    thread = make_thread(author=other_member)
    Thread.objects.filter(pk=thread.pk).update(is_hidden=True)
    response = member_client.post(
        reverse("boards:thread_watch", args=[thread.pk]), {"watch": "1"}
    )
    assert response.status_code == 404
    assert not Watch.objects.filter(user=member).exists()


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("boards:notification_list", [], "get"),
        ("boards:notification_open", [1], "get"),
        ("boards:notification_read_all", [], "post"),
        ("boards:notification_settings", [], "get"),
        ("boards:thread_watch", [1], "post"),
        ("boards:category_watch", ["proposals"], "post"),
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(client, name, args, method):
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(("watching", "posted"), [(False, "1"), (True, "0")])
def test_the_watch_button_asks_for_the_other_state(thread, watching, posted):
    html = render_to_string(
        "boards/partials/watch_button.html",
        {"thread": thread, "is_watching": watching},
    )
    assert reverse("boards:thread_watch", args=[thread.pk]) in html
    assert f'name="watch" value="{posted}"' in html


@pytest.mark.parametrize(
    ("old_path", "task"),
    [
        ("boards.notifications.fan_out", notifications.fan_out),
        ("boards.notifications.send_pending_mail", mail.send_pending_mail),
        ("boards.notifications.send_daily_digests", mail.send_daily_digests),
    ],
)
def test_tasks_queued_under_their_old_path_still_run(old_path, task):
    assert import_string(old_path) is task
