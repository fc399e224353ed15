"""Org A's private rows are never reachable by guessing ids (issue 7)."""

from django.urls import reverse

from boards.models import Thread
from disaster_support.models import HelpRequest
from members.models import Organisation, User

from .test_authorisation_matrix import outcome


def _as(client, user):
    client.logout()
    client.force_login(user)
    return client


def test_org_b_cannot_open_org_a_private_pages(client, world):
    _as(client, world.users["b"])
    a = world.users["a"]
    pages = {
        reverse("members:organisation_history", args=[world.org_a.pk]): 404,
        reverse("members:organisation_staff", args=[world.org_a.pk]): 404,
        reverse("members:organisation_contact", args=[world.org_a.pk]): 404,
        reverse("boards:thread", args=[world.hidden_thread.pk]): 404,
        reverse("boards:post", args=[world.hidden_thread.posts.get().pk]): 404,
        reverse("boards:post_history", args=[world.deleted_post.pk]): 404,
        reverse("boards:notification_open", args=[world.notification.pk]): 404,
        reverse(
            "boards:attachment_download",
            args=[
                world.deleted_attachment.pk,
                world.deleted_attachment.original_name,
            ],
        ): 404,
        reverse("boards:attachment_thumbnail", args=[world.deleted_attachment.pk]): 404,
    }
    for url, status in pages.items():
        response = client.get(url)
        assert response.status_code == status, url
        body = response.content.decode(errors="replace")
        for secret in [
            a.email,
            world.a2.email,
            "非公開の秘密スレッド",
            "削除される本文",
        ]:
            assert secret not in body, (url, secret)


def test_org_b_reads_org_a_request_but_not_the_names_of_people_sent(client, world):
    # Any member reads every request for help, so that any member can
    # answer it; the names of the people sent stay with their sender.
    _as(client, world.users["b"])
    url = reverse("disaster_support:request_detail", args=[world.help_request.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "職員0" not in response.content.decode()


def test_the_author_cannot_reach_a_hidden_thread_or_deleted_files(client, world):
    _as(client, world.users["a"])
    att = world.deleted_attachment
    for url in [
        reverse("boards:thread", args=[world.hidden_thread.pk]),
        reverse("boards:attachment_download", args=[att.pk, att.original_name]),
        reverse("boards:attachment_thumbnail", args=[att.pk]),
        reverse("boards:post_history", args=[world.deleted_post.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    # Moderators still see the hidden thread.
    _as(client, world.users["ward"])
    assert (
        client.get(reverse("boards:thread", args=[world.hidden_thread.pk])).status_code
        == 200
    )


def test_posting_to_org_a_rows_as_org_b_changes_nothing(client, world):
    _as(client, world.users["b"])
    before = HelpRequest.objects.get(pk=world.help_request.pk).status
    for url in [
        reverse("members:staff_deactivate", args=[world.org_a.pk, world.a2.pk]),
        reverse("members:organisation_confirm", args=[world.org_a.pk]),
    ]:
        assert client.post(url, {"status": "closed"}).status_code == 404, url
    # B reads org A's request (any member may answer it) but may not change it.
    url = reverse("disaster_support:request_status", args=[world.help_request.pk])
    assert client.post(url, {"status": "closed"}).status_code == 403
    assert User.objects.get(pk=world.a2.pk).is_active
    assert HelpRequest.objects.get(pk=world.help_request.pk).status == before
    # B's own staff page cannot deactivate org A's people either.
    url = reverse("members:staff_deactivate", args=[world.org_b.pk, world.a2.pk])
    assert client.post(url).status_code == 404
    assert User.objects.get(pk=world.a2.pk).is_active


def test_walking_the_ids_finds_only_ones_own(client, world):
    """Sequential ids around this test's rows: B opens only its own.

    Ids keep growing across the suite (sequences are not reset), so the walk
    covers this test's organisations and a margin, not everything from 1.
    """
    _as(client, world.users["b"])
    ids = Organisation.objects.filter(
        pk__in=[world.org_a.pk, world.org_b.pk, world.ward_org.pk]
    ).values_list("pk", flat=True)
    last_org = Organisation.objects.order_by("-pk").first().pk
    for pk in range(max(min(ids) - 20, 1), last_org + 3):
        for name in ("members:organisation_history", "members:organisation_staff"):
            got = outcome(client.get(reverse(name, args=[pk])))
            assert got == (200 if pk == world.org_b.pk else 404), (name, pk, got)
    # Requests for help are read by every member, so only ids that exist open.
    last_request = HelpRequest.objects.order_by("-pk").first().pk
    existing = set(HelpRequest.objects.values_list("pk", flat=True))
    for pk in range(max(world.help_request.pk - 20, 1), last_request + 3):
        got = client.get(reverse("disaster_support:request_detail", args=[pk]))
        assert got.status_code == (200 if pk in existing else 404), pk


def test_search_does_not_list_hidden_or_deleted_posts(client, world):
    _as(client, world.users["b"])
    for word in ["ひみつ", "秘密", "削除される"]:
        body = client.get(reverse("boards:search"), {"q": word}).content.decode()
        assert "非公開の秘密スレッド" not in body
        assert "削除される本文" not in body
    assert Thread.objects.filter(pk=world.hidden_thread.pk, is_hidden=True).exists()
