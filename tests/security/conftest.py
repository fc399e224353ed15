"""A small world of organisations, people and rows for the authorisation tests."""

import datetime
import io
from dataclasses import dataclass, field

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from boards import mail
from boards.attachments import prepare_upload
from boards.models import Category, InboundMail, Notification, NotificationKind
from boards.services import collaboration, inbound, moderation, posts
from boards.services import inquiries as inquiry_services
from disaster_support import services as disaster_services
from members import permissions
from members.models import MembershipStatus, Organisation
from tests import factories

ROLES = ("anon", "inactive", "suspended", "b", "a", "ward", "office")


@pytest.fixture(autouse=True)
def _no_staff_mfa(settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False


def _png_upload(name="写真.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buffer, "PNG")
    return prepare_upload(
        SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")
    )


@dataclass
class World:
    users: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None


@pytest.fixture
def world(db):
    w = World()
    o = w.objects
    o["ishikawa"] = ishikawa = factories.make_prefecture()
    o["org_a"] = org_a = factories.make_organisation(name="七尾市", prefecture=ishikawa)
    o["org_b"] = org_b = factories.make_organisation(name="金沢市B")
    o["ward_org"] = ward_org = factories.make_organisation(
        name="千代田区", kind=Organisation.Kind.SPECIAL_WARD
    )
    o["office_org"] = office_org = factories.make_organisation(
        name="公益財団法人特別区協議会", kind=Organisation.Kind.BODY
    )
    o["suspended_org"] = suspended_org = factories.make_organisation(name="休止市")

    users = w.users
    users["a"] = a = factories.make_user(email="a@example.jp", organisation=org_a)
    users["b"] = b = factories.make_user(email="b@example.jp", organisation=org_b)
    users["ward"] = ward = factories.make_user(
        email="ward@example.jp", organisation=ward_org, role=permissions.WARD_STAFF
    )
    users["office"] = office = factories.make_user(
        email="office@example.jp",
        organisation=office_org,
        role=permissions.OFFICE_STAFF,
    )
    users["inactive"] = inactive = factories.make_user(
        email="gone@example.jp", organisation=org_a
    )
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    users["suspended"] = factories.make_user(
        email="paused@example.jp", organisation=suspended_org
    )
    Organisation.objects.filter(pk=suspended_org.pk).update(
        membership_status=MembershipStatus.SUSPENDED
    )
    # A colleague of org A, the target of the staff-deactivation endpoint.
    o["a2"] = factories.make_user(email="a2@example.jp", organisation=org_a)

    # Org A edits its contact details, so it has a contact history.
    org_a.refresh_from_db()
    o["category"] = category = Category.objects.get(slug="proposals")
    o["thread"] = thread = collaboration.thread_start(
        category=category,
        author=a,
        title="物産展の共同開催のご提案",
        body="ご提案です。",
        details={"field": "tourism"},
        wards=[ward_org],
    )
    o["opening"] = thread.posts.get(position=0)
    o["reply"] = reply = posts.post_reply(
        thread=thread, author=a, body="添付します。", uploads=[_png_upload()]
    )
    o["attachment"] = reply.attachments.get()
    o["b_reply"] = posts.post_reply(thread=thread, author=b, body="Bの返信")

    # A thread of org A hidden by a moderator.
    o["hidden_thread"] = hidden = factories.make_thread(
        author=a, category="other", title="非公開の秘密スレッド", body="ひみつ"
    )
    moderation.thread_hide(thread=hidden, actor=ward, reason="test")

    # A deleted post of org A with an attachment.
    o["deleted_post"] = deleted = posts.post_reply(
        thread=thread,
        author=a,
        body="削除される本文",
        uploads=[_png_upload("削除済み.png")],
    )
    o["deleted_attachment"] = deleted.attachments.get()
    posts.post_delete(post=deleted, actor=a)

    # A's unsent thread: a private draft.
    o["draft"] = factories.make_draft(user=a, title="Aの下書き")

    o["notification"] = Notification.objects.create(
        user=a,
        kind=NotificationKind.REPLY,
        thread=thread,
        post=o["b_reply"],
        mail="never",
    )
    o["unsubscribe_token"] = mail.unsubscribe_token(
        user=a, kinds=[NotificationKind.REPLY]
    )

    # A thread org A's staff mailed in, waiting for them to confirm it.
    by_mail = Category.objects.get(slug="other")
    by_mail.accepts_mail = True
    by_mail.save(update_fields=["accepts_mail"])
    mailed = InboundMail.objects.create(
        message_id="mailed-thread@example.jp",
        channel=InboundMail.Channel.SMTP,
        result=InboundMail.Result.AWAITING_CONFIRMATION,
        user=a,
        category=by_mail,
        raw="Subject: 見学の募集\r\n\r\n訓練の見学を募集します。\r\n".encode(),
    )
    o["mail_thread_token"] = signing.dumps(mailed.pk, salt=inbound.MAIL_THREAD_SALT)

    # Disaster support: org A is an affected municipality with a request.
    o["disaster"] = disaster = factories.make_disaster(prefecture=ishikawa, by=office)
    o["help_request"] = help_request = factories.make_request(
        disaster=disaster, municipality=org_a, by=a
    )
    o["offer"] = offer = factories.make_offer(
        request=help_request, sender=ward_org, by=ward
    )
    o["dispatch"] = factories.make_dispatch(offer=offer, sender=ward_org, by=ward)
    o["snapshot"] = disaster_services.snapshot_publish(
        disaster=disaster, as_of=datetime.date(2024, 2, 1), actor=office
    )

    # An inquiry from the office to org A alone, with a file sent with it;
    # org A has a draft answer with a file.
    o["inquiry"] = inquiry = factories.make_inquiry(
        sender=office,
        organisations=[org_a],
        questions=[
            *factories.THREE_QUESTIONS,
            {"kind": "file", "text": "資料"},
        ],
        uploads=[_png_upload("照会資料.png")],
    )
    o["inquiry_file"] = inquiry.attachments.get()
    file_question = inquiry.questions.get(kind="file")
    o["inquiry_answer"] = answer = inquiry_services.answer_save(
        inquiry=inquiry,
        organisation=org_a,
        actor=a,
        values={},
        uploads={file_question.key: _png_upload("回答資料.png")},
    )
    o["answer_file"] = answer.files.get()
    return w
