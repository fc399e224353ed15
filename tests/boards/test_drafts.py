"""Drafts kept on the server: saved without JavaScript by the 「下書き保存」
button or by the page's autosave, resumed from any computer, private to
their writer, gone once posted, deleted, or expired."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from boards import selectors
from boards.models import Category, Draft, DraftAttachment, Thread
from boards.sample_pdf import minimal_pdf
from boards.services import drafts, moderation
from members.models import MembershipStatus, Organisation
from tests import factories

pytestmark = pytest.mark.django_db


def png(name="会場写真.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 80, 140)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf(name="案内.pdf"):
    data = minimal_pdf([b"<< /Type /Catalog /Pages 2 0 R >>"])
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def new_thread_url(slug="other"):
    return reverse("boards:thread_create", args=[slug])


def stored_draft_files(settings):
    root = settings.MEDIA_ROOT / "drafts"
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def proposal_draft_data(ward, **extra):
    return {
        "title": "",
        "body": "物産展の共同開催を考えています。",
        "details-field": "tourism",
        "to-wards": [str(ward.pk)],
        "save_draft": "1",
        **extra,
    }


# ----- saving without JavaScript -----


def test_saving_a_thread_draft_keeps_every_field_and_returns_to_the_form(
    member_client, member
):
    ward = factories.make_ward()
    response = member_client.post(
        new_thread_url("proposals"),
        proposal_draft_data(ward, attachments=[png()]),
    )
    draft = Draft.objects.get()
    assert response.status_code == 302
    assert response.url == f"{new_thread_url('proposals')}?draft={draft.pk}"
    assert (draft.user, draft.kind, draft.category.slug) == (
        member,
        Draft.Kind.THREAD,
        "proposals",
    )
    assert draft.title == ""
    assert draft.body == "物産展の共同開催を考えています。"
    assert draft.details["field"] == "tourism"
    assert draft.ward_ids == [ward.pk]
    assert [row.original_name for row in draft.attachments.all()] == ["会場写真.png"]


def test_the_form_comes_back_filled_with_the_draft(member_client, member):
    ward = factories.make_ward()
    member_client.post(
        new_thread_url("proposals"),
        proposal_draft_data(ward, title="物産展", attachments=[png()]),
    )
    draft = Draft.objects.get()
    page = member_client.get(draft.get_absolute_url()).content.decode()
    assert 'value="物産展"' in page
    assert "物産展の共同開催を考えています。" in page
    assert '<option value="tourism" selected>' in page
    assert f'value="{ward.pk}" id="id_to-wards_0" checked' in page
    assert "会場写真.png" in page
    assert 'name="remove_files"' in page
    assert f'name="draft" value="{draft.pk}"' in page
    assert "下書きを保存しました" in page


def test_a_new_computer_resumes_the_draft(member_client, member):
    member_client.post(
        new_thread_url(), {"title": "続きは別のPCで", "body": "", "save_draft": "1"}
    )
    draft = Draft.objects.get()
    other_pc = Client()
    other_pc.force_login(member)
    assert "続きは別のPCで" in other_pc.get(draft.get_absolute_url()).content.decode()
    assert (
        "続きは別のPCで" in other_pc.get(reverse("boards:draft_list")).content.decode()
    )


def test_saving_again_updates_the_same_thread_draft(member_client, member):
    draft = factories.make_draft(user=member, title="一回目")
    member_client.post(
        new_thread_url(),
        {"draft": draft.pk, "title": "二回目", "body": "", "save_draft": "1"},
    )
    draft.refresh_from_db()
    assert Draft.objects.count() == 1
    assert draft.title == "二回目"


def test_a_person_keeps_several_thread_drafts(member):
    factories.make_draft(user=member, title="一つ目")
    factories.make_draft(user=member, title="二つ目")
    assert Draft.objects.filter(user=member).count() == 2


def test_a_reply_draft_is_saved_and_shown_on_the_thread_page(
    member_client, member, other_member
):
    thread = factories.make_thread(author=other_member)
    response = member_client.post(
        reverse("boards:reply", args=[thread.pk]),
        {"body": "書きかけの返信", "save_draft": "1"},
    )
    assert response.status_code == 302
    assert response.url == reverse("boards:reply", args=[thread.pk])
    page = member_client.get(reverse("boards:thread", args=[thread.pk]) + "?page=1")
    assert "書きかけの返信" in page.content.decode()


def test_a_person_has_one_reply_draft_per_thread(member_client, member, other_member):
    thread = factories.make_thread(author=other_member)
    url = reverse("boards:reply", args=[thread.pk])
    member_client.post(url, {"body": "一回目", "save_draft": "1"})
    member_client.post(url, {"body": "二回目", "save_draft": "1"})
    assert list(Draft.objects.values_list("body", flat=True)) == ["二回目"]


# ----- autosave -----


def test_autosave_answers_with_json_and_the_draft_number(member_client, member):
    response = member_client.post(
        new_thread_url(),
        {"title": "", "body": "自動保存", "save_draft": "1", "draft": ""},
        headers={"Accept": "application/json"},
    )
    draft = Draft.objects.get()
    data = response.json()
    assert data["draft"] == draft.pk
    assert data["url"] == draft.get_absolute_url()
    saved = timezone.localtime(draft.updated_at)
    assert data["message"] == f"下書きを保存しました {saved:%H:%M}"


def test_autosave_of_an_over_long_body_is_refused_with_json(member_client, settings):
    response = member_client.post(
        new_thread_url(),
        {"title": "x" * 500, "body": "", "save_draft": "1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert "title" in response.json()["errors"]
    assert not Draft.objects.exists()


def test_autosave_needs_the_csrf_token(member):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    response = browser.post(
        new_thread_url(),
        {"body": "トークンなし", "save_draft": "1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 403
    assert not Draft.objects.exists()


# ----- bad input: the text stays, nothing is half saved -----


def test_an_invalid_attachment_keeps_the_text_and_saves_nothing(
    member_client, settings
):
    bad = SimpleUploadedFile("ウイルス.exe", b"MZ\x90\x00", "application/x-msdownload")
    response = member_client.post(
        new_thread_url(),
        {
            "title": "",
            "body": "消えてはいけない本文",
            "save_draft": "1",
            "attachments": [png(), bad],
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "消えてはいけない本文" in page
    assert "ウイルス.exe" in page
    assert not Draft.objects.exists()
    assert stored_draft_files(settings) == []


def test_too_many_files_with_the_saved_ones_are_refused(
    member_client, member, settings
):
    settings.BOARDS_MAX_FILES_PER_POST = 2
    thread = factories.make_thread(author=member)
    url = reverse("boards:reply", args=[thread.pk])
    member_client.post(
        url, {"body": "一枚目", "save_draft": "1", "attachments": [png()]}
    )
    response = member_client.post(
        url,
        {"body": "三枚目まで", "save_draft": "1", "attachments": [png(), png()]},
    )
    assert response.status_code == 200
    draft = Draft.objects.get()
    assert draft.body == "一枚目"
    saved = draft.attachments.get()
    root = settings.MEDIA_ROOT
    assert sorted(stored_draft_files(settings)) == sorted(
        [root / saved.file.name, root / saved.thumbnail.name]
    )


def test_ticked_files_are_removed_from_the_draft_on_commit(
    member_client, member, settings, django_capture_on_commit_callbacks
):
    member_client.post(
        new_thread_url(),
        {"title": "", "body": "", "save_draft": "1", "attachments": [png()]},
    )
    draft = Draft.objects.get()
    saved = draft.attachments.get()
    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(
            new_thread_url(),
            {
                "draft": draft.pk,
                "title": "",
                "body": "",
                "save_draft": "1",
                "remove_files": [saved.pk],
            },
        )
    assert not draft.attachments.exists()
    assert stored_draft_files(settings) == []


# ----- posting -----


def test_posting_from_a_draft_deletes_the_draft_and_posts_its_files(
    member_client, member, settings, django_capture_on_commit_callbacks
):
    ward = factories.make_ward()
    member_client.post(
        new_thread_url("proposals"), proposal_draft_data(ward, attachments=[png()])
    )
    draft = Draft.objects.get()
    data = proposal_draft_data(ward, title="物産展のご提案", draft=draft.pk)
    del data["save_draft"]
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(new_thread_url("proposals"), data)
    thread = Thread.objects.get()
    assert response.url == reverse("boards:thread", args=[thread.pk])
    assert [a.original_name for a in thread.posts.get().attachments.all()] == [
        "会場写真.png"
    ]
    assert thread.addressees.get().organisation == ward
    assert not Draft.objects.exists()
    assert not DraftAttachment.objects.exists()
    assert stored_draft_files(settings) == []


def test_posting_still_checks_everything_and_keeps_the_draft(member_client, member):
    ward = factories.make_ward()
    member_client.post(new_thread_url("proposals"), proposal_draft_data(ward))
    draft = Draft.objects.get()
    data = proposal_draft_data(ward, draft=draft.pk)  # no title
    del data["save_draft"]
    response = member_client.post(new_thread_url("proposals"), data)
    assert response.status_code == 200
    assert "このフィールドは必須です。" in response.content.decode()
    assert not Thread.objects.exists()
    assert Draft.objects.filter(pk=draft.pk).exists()


def test_a_pamphlet_pdf_saved_with_the_draft_counts_as_the_pamphlet(
    member_client, member
):
    factories.make_ward()
    base = {
        "title": "観光パンフレットの配布依頼",
        "body": "配布をお願いします。",
        "details-copies": "100",
        "details-wished_from": "2026-04-01",
        "details-wished_until": "2026-04-30",
        "details-placements": ["facilities"],
        "to-all_wards": "on",
    }
    member_client.post(
        new_thread_url("pamphlets"), {**base, "save_draft": "1", "attachments": [pdf()]}
    )
    draft = Draft.objects.get()
    assert draft.all_wards is True
    response = member_client.post(
        new_thread_url("pamphlets"), {**base, "draft": draft.pk}
    )
    thread = Thread.objects.get()
    assert response.url == reverse("boards:thread", args=[thread.pk])
    assert thread.pamphlet.copies == 100
    assert not Draft.objects.exists()


def test_posting_a_reply_deletes_the_reply_draft(
    member_client, member, other_member, settings, django_capture_on_commit_callbacks
):
    thread = factories.make_thread(author=other_member)
    url = reverse("boards:reply", args=[thread.pk])
    member_client.post(
        url, {"body": "下書き", "save_draft": "1", "attachments": [png()]}
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(url, {"body": "完成した返信"})
    assert response.status_code == 302
    reply = thread.posts.get(position=1)
    assert reply.attachments.count() == 1
    assert not Draft.objects.exists()
    assert stored_draft_files(settings) == []


def test_an_empty_reply_is_still_refused_with_a_draft(
    member_client, member, other_member
):
    thread = factories.make_thread(author=other_member)
    factories.make_draft(user=member, thread=thread, body="下書き")
    response = member_client.post(
        reverse("boards:reply", args=[thread.pk]), {"body": ""}
    )
    assert response.status_code == 200
    assert thread.posts.count() == 1
    assert Draft.objects.count() == 1


# ----- private to their writer -----


@pytest.mark.parametrize("who", ["colleague", "other_org", "ward", "office"])
def test_nobody_else_opens_or_deletes_a_draft(
    client, member, who, office_staff, settings
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    draft = factories.make_draft(user=member)
    others = {
        "colleague": lambda: factories.make_user(organisation=member.organisation),
        "other_org": lambda: factories.make_user(),
        "ward": lambda: factories.make_user(role="ward_staff"),
        "office": lambda: office_staff,
    }
    client.force_login(others[who]())
    assert client.get(draft.get_absolute_url()).status_code == 404
    delete = client.post(reverse("boards:draft_delete", args=[draft.pk]))
    assert delete.status_code == 404
    save = client.post(
        new_thread_url(), {"draft": draft.pk, "body": "上書き", "save_draft": "1"}
    )
    assert save.status_code == 404
    assert (
        "書きかけの提案"
        not in client.get(reverse("boards:draft_list")).content.decode()
    )
    draft.refresh_from_db()
    assert draft.body == "下書きの本文"


def test_a_draft_opens_only_in_its_own_category(member_client, member):
    draft = factories.make_draft(user=member, category="other")
    url = f"{new_thread_url('proposals')}?draft={draft.pk}"
    assert member_client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, member):
    draft = factories.make_draft(user=member)
    for response in (
        client.get(reverse("boards:draft_list")),
        client.post(reverse("boards:draft_delete", args=[draft.pk])),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    assert Draft.objects.filter(pk=draft.pk).exists()


def test_a_suspended_organisation_sees_no_drafts(client, member):
    draft = factories.make_draft(user=member)
    Organisation.objects.filter(pk=member.organisation_id).update(
        membership_status=MembershipStatus.SUSPENDED
    )
    client.force_login(member)
    assert client.get(reverse("boards:draft_list")).status_code == 403
    assert client.get(draft.get_absolute_url()).status_code == 403


def test_a_thread_draft_in_a_staff_only_category_is_not_listed(member):
    draft = Draft.objects.create(
        user=member,
        kind=Draft.Kind.THREAD,
        category=Category.objects.get(slug="announcements"),
    )
    assert draft not in selectors.drafts_of(member)


def test_a_thread_draft_goes_out_of_sight_when_its_category_closes_to_the_writer(
    member_client, member
):
    category = factories.make_category(readers="members")
    draft = factories.make_draft(
        user=member, category=category.slug, title="区間の下書き"
    )
    Category.objects.filter(pk=category.pk).update(readers="wards")
    assert draft not in selectors.drafts_of(member)
    assert member_client.get(draft.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("change", ["hide", "lock"])
def test_a_reply_draft_goes_out_of_sight_when_the_thread_closes(
    member_client, member, ward_staff, other_member, change
):
    thread = factories.make_thread(author=other_member, title="閉じるスレッド")
    draft = factories.make_draft(user=member, thread=thread, body="返信の下書き")
    if change == "hide":
        moderation.thread_hide(thread=thread, actor=ward_staff, reason="test")
    else:
        Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    page = member_client.get(reverse("boards:draft_list")).content.decode()
    assert "返信の下書き" not in page
    assert "返信の下書き" not in member_client.get("/").content.decode()
    assert member_client.get(draft.get_absolute_url()).status_code in (403, 404)


# ----- the lists -----


def test_the_list_shows_the_persons_drafts_latest_first(member_client, member):
    factories.make_draft(user=member, title="古い下書き")
    factories.make_draft(user=member, title="新しい下書き")
    factories.make_draft(user=factories.make_user(), title="他人の下書き")
    page = member_client.get(reverse("boards:draft_list")).content.decode()
    assert page.index("新しい下書き") < page.index("古い下書き")
    assert "他人の下書き" not in page


def test_the_home_page_shows_the_latest_drafts(member_client, member):
    factories.make_draft(user=member, title="ホームに出る下書き")
    page = member_client.get("/").content.decode()
    assert "ホームに出る下書き" in page
    assert reverse("boards:draft_list") in page


def test_deleting_from_the_list_removes_the_draft_and_its_files(
    member_client, member, settings, django_capture_on_commit_callbacks
):
    member_client.post(
        new_thread_url(), {"title": "消す", "save_draft": "1", "attachments": [png()]}
    )
    draft = Draft.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(reverse("boards:draft_delete", args=[draft.pk]))
    assert response.url == reverse("boards:draft_list")
    assert not Draft.objects.exists()
    assert stored_draft_files(settings) == []


def test_deleting_by_get_is_not_allowed(member_client, member):
    draft = factories.make_draft(user=member)
    assert (
        member_client.get(reverse("boards:draft_delete", args=[draft.pk])).status_code
        == 405
    )
    assert Draft.objects.exists()


@pytest.mark.parametrize("url", [reverse("boards:draft_list"), "/"])
def test_draft_lists_have_flat_query_counts(
    member_client, member, other_member, django_assert_max_num_queries, url, uncached
):
    thread = factories.make_thread(author=other_member)
    factories.make_draft(user=member, thread=thread)
    member_client.get(url)
    with django_assert_max_num_queries(20) as few:
        assert member_client.get(url).status_code == 200
    for number in range(20):
        factories.make_draft(user=member, title=f"下書き{number}")
        other = factories.make_thread(author=other_member)
        factories.make_draft(user=member, thread=other)
    with django_assert_max_num_queries(len(few)):
        assert member_client.get(url).status_code == 200


# ----- expiry -----


def test_old_drafts_expire_with_their_files(
    member_client, member, settings, django_capture_on_commit_callbacks
):
    settings.RENKEI_DRAFT_KEEP_DAYS = 90
    member_client.post(
        new_thread_url(), {"title": "古い", "save_draft": "1", "attachments": [png()]}
    )
    old = Draft.objects.get()
    Draft.objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=91)
    )
    recent = factories.make_draft(user=member, title="最近")
    output = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("drafts_expire", stdout=output)
    assert list(Draft.objects.all()) == [recent]
    assert stored_draft_files(settings) == []
    assert output.getvalue() == "1 drafts deleted\n"


def test_a_draft_saved_again_does_not_expire(member):
    draft = factories.make_draft(user=member)
    Draft.objects.filter(pk=draft.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=89)
    )
    assert drafts.drafts_expire() == 0


# ----- the service's own checks -----


def test_the_service_refuses_a_draft_in_a_staff_only_category(member):
    with pytest.raises(PermissionDenied):
        drafts.draft_save(
            user=member,
            category=Category.objects.get(slug="announcements"),
            body="お知らせの下書き",
        )
    assert not Draft.objects.exists()


def test_the_service_refuses_a_reply_draft_to_a_locked_thread(member, other_member):
    thread = factories.make_thread(author=other_member)
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    thread.refresh_from_db()
    with pytest.raises(PermissionDenied):
        drafts.draft_save(user=member, thread=thread, body="返信")
    assert not Draft.objects.exists()


def test_the_service_refuses_to_delete_someone_elses_draft(member, other_member):
    draft = factories.make_draft(user=member)
    with pytest.raises(PermissionDenied):
        drafts.draft_delete(draft=draft, actor=other_member)
    assert Draft.objects.filter(pk=draft.pk).exists()


def test_a_quote_from_another_thread_is_not_kept(member, other_member):
    thread = factories.make_thread(author=other_member)
    elsewhere = factories.make_thread(author=other_member, title="別のスレッド")
    draft = drafts.draft_save(
        user=member,
        thread=thread,
        body="引用付き",
        quoted=elsewhere.posts.get(),
    )
    assert draft.quoted is None


@pytest.mark.parametrize("number", ["abc", "-1", "9" * 40, "9" * 5000])
def test_a_draft_number_that_is_no_row_is_not_found(member_client, number):
    response = member_client.get(new_thread_url(), {"draft": number})
    assert response.status_code == 404
