"""Media on an S3-compatible object store (config/media.py).

Against a real S3 API server on loopback (moto's server mode, started by
config.localobjects). The store "going down" is its gate refusing every
connection, as a stopped server's port does; moto keeps its objects for
when it comes back.
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import uuid

import pytest
from django.core import checks
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import Image

from boards.attachments import prepare_upload
from boards.models import Attachment, Category, Post, Thread
from boards.services import drafts
from config import localobjects
from config.bucket import BucketStorage
from disaster_support.models import Agreement
from tests import factories
from tests.test_settings import BASE_DIR, production_env, run_python

pytestmark = pytest.mark.django_db

SAVE_FAILED = "添付ファイルを保存できませんでした"
FILES_UNAVAILABLE = "ファイルの保管場所に現在接続できません"


@pytest.fixture(scope="module")
def object_store():
    if not localobjects.moto_available():
        reason = "moto is not installed; the object storage tests need its server"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI must run them)")
        print(reason)
        pytest.skip(reason)
    with localobjects.object_store() as store:
        yield store


@pytest.fixture
def bucket(settings, object_store):
    """A fresh private bucket, the site's default storage for the test."""
    name = localobjects.create_private_bucket(
        object_store, f"media-{uuid.uuid4().hex[:12]}"
    )
    options = object_store.storage_options(name)
    settings.RENKEI_MEDIA_S3 = options
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "config.bucket.BucketStorage", "OPTIONS": options},
    }
    yield name
    object_store.accept()


def keys(store, bucket):
    listed = store.client().list_objects_v2(Bucket=bucket)
    return sorted(entry["Key"] for entry in listed.get("Contents", []))


def object_bytes(store, bucket, key):
    return store.client().get_object(Bucket=bucket, Key=key)["Body"].read()


def png():
    output = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(output, "PNG")
    return output.getvalue()


def pdf():
    return b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def post_thread(client, *files):
    return client.post(
        reverse("boards:thread_create", args=["other"]),
        {
            "title": "会場の配置について",
            "body": "図を添付します。",
            "attachments": files,
        },
    )


def image_upload():
    return SimpleUploadedFile("会場図.png", png(), "image/png")


def pdf_upload():
    return SimpleUploadedFile("防災訓練 資料.pdf", pdf(), "application/pdf")


def media_files(settings):
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def download_url(attachment):
    return reverse(
        "boards:attachment_download", args=[attachment.pk, attachment.original_name]
    )


def body(response):
    content = b"".join(response.streaming_content)
    response.close()
    return content


# ----- settings -----

STORAGE_SETTINGS = (
    "import json; from django.conf import settings; "
    "print(json.dumps([settings.STORAGES['default'], settings.RENKEI_MEDIA_S3]))"
)


def storage_settings(**env):
    clean = {k: v for k, v in production_env().items() if not k.startswith("AWS_")}
    result = run_python(STORAGE_SETTINGS, {**clean, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_media_stay_on_local_disk_without_a_bucket():
    default, _options = storage_settings()
    assert default == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_a_bucket_puts_media_on_the_object_store():
    default, options = storage_settings(
        RENKEI_MEDIA_S3_BUCKET="renkei-media",
        RENKEI_MEDIA_S3_ENDPOINT_URL="https://s3.example.jp",
        RENKEI_MEDIA_S3_REGION="ap-northeast-1",
        RENKEI_MEDIA_S3_ACCESS_KEY_ID="key",
        RENKEI_MEDIA_S3_SECRET_ACCESS_KEY="secret",
    )
    assert default["BACKEND"] == "config.bucket.BucketStorage"
    assert (
        default["OPTIONS"]
        == options
        == {
            "bucket_name": "renkei-media",
            "endpoint_url": "https://s3.example.jp",
            "region_name": "ap-northeast-1",
            "access_key": "key",
            "secret_key": "secret",
        }
    )


def test_the_usual_aws_names_are_read_when_renkeis_are_not_set():
    default, options = storage_settings(
        AWS_STORAGE_BUCKET_NAME="aws-media",
        AWS_S3_ENDPOINT_URL="https://objects.example.jp",
        AWS_S3_REGION_NAME="ap-northeast-3",
        AWS_ACCESS_KEY_ID="aws-key",
        AWS_SECRET_ACCESS_KEY="aws-secret",
        RENKEI_MEDIA_S3_REGION="ap-northeast-1",
    )
    assert default["BACKEND"] == "config.bucket.BucketStorage"
    assert options == {
        "bucket_name": "aws-media",
        "endpoint_url": "https://objects.example.jp",
        "region_name": "ap-northeast-1",
        "access_key": "aws-key",
        "secret_key": "aws-secret",
    }


def test_objects_are_stored_without_an_acl_and_urls_are_always_signed(bucket):
    storage = storages["default"]
    assert storage.default_acl is None
    storage.save("attachments/x.pdf", ContentFile(pdf()))
    url = storage.url("attachments/x.pdf")
    assert "X-Amz-Signature=" in url
    assert "X-Amz-Expires=60" in url


# ----- uploads and downloads -----


def test_a_posted_image_and_its_thumbnail_go_to_the_bucket(
    member_client, object_store, bucket, settings
):
    response = post_thread(member_client, image_upload())
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert keys(object_store, bucket) == sorted(
        [attachment.file.name, attachment.thumbnail.name]
    )
    assert object_bytes(object_store, bucket, attachment.thumbnail.name)[8:12] == (
        b"WEBP"
    )
    assert media_files(settings) == []


def test_a_download_is_streamed_from_the_bucket_with_the_same_headers(
    client, other_member, member, bucket
):
    client.force_login(member)
    post_thread(client, pdf_upload())
    attachment = Attachment.objects.get()
    client.force_login(other_member)
    response = client.get(download_url(attachment))
    assert response.status_code == 200
    assert body(response) == pdf()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-cache"
    assert response["Content-Length"] == str(len(pdf()))


def test_thumbnails_are_read_from_the_bucket(member_client, bucket):
    post_thread(member_client, image_upload())
    attachment = Attachment.objects.get()
    response = member_client.get(
        reverse("boards:attachment_thumbnail", args=[attachment.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert Image.open(io.BytesIO(body(response))).format == "WEBP"


def test_downloads_from_the_bucket_still_need_a_permission(client, member, bucket):
    client.force_login(member)
    post_thread(client, pdf_upload())
    attachment = Attachment.objects.get()
    Thread.objects.update(is_hidden=True)
    client.force_login(factories.make_user(email="third@example.jp"))
    assert client.get(download_url(attachment)).status_code == 404


# ----- the store refusing -----


def test_an_upload_while_the_store_refuses_shows_the_form_and_saves_nothing(
    member_client, object_store, bucket
):
    object_store.refuse()
    response = post_thread(member_client, image_upload())
    assert response.status_code == 200
    page = response.content.decode()
    assert SAVE_FAILED in page
    assert "図を添付します。" in page
    assert not Thread.objects.exists()
    assert not Post.objects.exists()
    assert not Attachment.objects.exists()
    object_store.accept()
    assert keys(object_store, bucket) == []


def test_a_store_failing_between_file_and_thumbnail_leaves_no_row(
    member_client, object_store, bucket, monkeypatch
):
    save = BucketStorage._save
    written = []

    def refuse_after_first(storage, name, content):
        if written:
            object_store.refuse()
        written.append(name)
        return save(storage, name, content)

    monkeypatch.setattr(BucketStorage, "_save", refuse_after_first)
    response = post_thread(member_client, image_upload())
    assert response.status_code == 200
    assert SAVE_FAILED in response.content.decode()
    assert not Post.objects.exists()
    assert not Attachment.objects.exists()


def test_a_download_while_the_store_refuses_is_a_503_page(
    client, member, object_store, bucket
):
    client.force_login(member)
    post_thread(client, pdf_upload())
    attachment = Attachment.objects.get()
    client.raise_request_exception = False
    object_store.refuse()
    response = client.get(download_url(attachment))
    assert response.status_code == 503
    assert FILES_UNAVAILABLE in response.content.decode()
    assert response["Retry-After"] == "60"


def test_files_are_there_again_when_the_store_is_back(
    member_client, object_store, bucket
):
    post_thread(member_client, pdf_upload())
    attachment = Attachment.objects.get()
    object_store.refuse()
    object_store.accept()
    response = member_client.get(download_url(attachment))
    assert response.status_code == 200
    assert body(response) == pdf()


# ----- a private bucket -----


def bucket_messages():
    return [
        message
        for message in checks.run_checks(include_deployment_checks=True)
        if message.id and message.id.startswith("renkei.")
    ]


def test_a_private_bucket_passes_the_deploy_check(bucket):
    assert bucket_messages() == []


def test_a_bucket_readable_by_everyone_is_an_error(object_store, bucket):
    client = object_store.client()
    client.delete_public_access_block(Bucket=bucket)
    client.put_bucket_acl(Bucket=bucket, ACL="public-read")
    assert "renkei.E101" in [message.id for message in bucket_messages()]


def test_a_bucket_policy_for_anyone_is_an_error(object_store, bucket):
    client = object_store.client()
    client.delete_public_access_block(Bucket=bucket)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    errors = [m for m in bucket_messages() if m.id == "renkei.E101"]
    assert len(errors) == 1
    assert "policy" in errors[0].msg


def test_a_bucket_without_its_public_access_block_is_a_warning(object_store, bucket):
    object_store.client().delete_public_access_block(Bucket=bucket)
    assert [message.id for message in bucket_messages()] == ["renkei.W102"]


def test_a_bucket_that_cannot_be_reached_is_a_warning(object_store, bucket):
    object_store.refuse()
    assert [message.id for message in bucket_messages()] == ["renkei.W101"]


def test_check_deploy_refuses_a_public_bucket(object_store, bucket):
    object_store.client().delete_public_access_block(Bucket=bucket)
    object_store.client().put_bucket_acl(Bucket=bucket, ACL="public-read")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=BASE_DIR,
        env=production_env(**object_store.environ(bucket)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "renkei.E101" in result.stderr + result.stdout


# ----- copying media between disk and bucket -----


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def put_on_disk(settings, files):
    for name, data in files.items():
        path = settings.MEDIA_ROOT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


FILES = {
    "attachments/2026/12/aaaa.pdf": pdf(),
    "attachments/2026/12/bbbb.png": png(),
    "drafts/2026/12/cccc.txt": "下書き".encode(),
}


def test_media_are_copied_to_the_bucket_intact(object_store, bucket, settings):
    put_on_disk(settings, FILES)
    out = io.StringIO()
    call_command("media_copy", "--to", "s3", stdout=out)
    assert keys(object_store, bucket) == sorted(FILES)
    for name, data in FILES.items():
        assert sha256(object_bytes(object_store, bucket, name)) == sha256(data)
    assert out.getvalue().startswith("3 copied, 0 already there")


def test_copying_again_copies_nothing(bucket, settings):
    put_on_disk(settings, FILES)
    call_command("media_copy", "--to", "s3", stdout=io.StringIO())
    out = io.StringIO()
    call_command("media_copy", "--to", "s3", stdout=out)
    assert out.getvalue().startswith("0 copied, 3 already there")


def test_media_are_copied_back_to_disk_intact(object_store, bucket, settings):
    client = object_store.client()
    for name, data in FILES.items():
        client.put_object(Bucket=bucket, Key=name, Body=data)
    call_command("media_copy", "--to", "disk", stdout=io.StringIO())
    for name, data in FILES.items():
        assert (settings.MEDIA_ROOT / name).read_bytes() == data


def test_a_copy_that_differs_is_reported_and_fails(bucket, settings, monkeypatch):
    put_on_disk(settings, FILES)
    save = BucketStorage._save

    def corrupt(storage, name, content):
        return save(storage, name, ContentFile(b"not the file"))

    monkeypatch.setattr(BucketStorage, "_save", corrupt)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("media_copy", "--to", "s3", stdout=io.StringIO(), stderr=err)
    assert err.getvalue().count("differs after copying") == 3


def test_a_copy_to_a_refusing_store_fails(object_store, bucket, settings):
    put_on_disk(settings, FILES)
    object_store.refuse()
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("media_copy", "--to", "s3", stdout=io.StringIO(), stderr=err)
    assert err.getvalue().count("could not copy") == 3


def test_files_named_in_the_database_but_missing_are_listed(
    member_client, bucket, settings
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    post_thread(member_client, pdf_upload())
    attachment = Attachment.objects.get()
    (settings.MEDIA_ROOT / attachment.file.name).unlink()
    err = io.StringIO()
    call_command("media_copy", "--to", "s3", stdout=io.StringIO(), stderr=err)
    assert f"but not in the s3 copy: {attachment.file.name}" in err.getvalue()


def test_copying_needs_a_bucket(settings):
    settings.RENKEI_MEDIA_S3 = {"bucket_name": None}
    with pytest.raises(CommandError, match="RENKEI_MEDIA_S3_BUCKET"):
        call_command("media_copy", "--to", "s3")


# ----- agreements' documents -----


def agreement_parties():
    prefecture = factories.make_prefecture(name="熊本県")
    return [
        factories.make_organisation(name="新宿区", kind="special_ward"),
        factories.make_organisation(name="熊本市", prefecture=prefecture),
    ]


def test_an_agreements_document_goes_to_the_bucket(object_store, bucket):
    agreement = factories.make_agreement(
        parties=agreement_parties(),
        document=SimpleUploadedFile("覚書.pdf", pdf(), "application/pdf"),
    )
    assert keys(object_store, bucket) == [agreement.document.name]


def test_an_agreement_whose_document_the_store_refuses_is_not_saved(
    object_store, bucket
):
    parties = agreement_parties()
    object_store.refuse()
    with pytest.raises(ValidationError) as raised:
        factories.make_agreement(
            parties=parties,
            document=SimpleUploadedFile("覚書.pdf", pdf(), "application/pdf"),
        )
    assert raised.value.error_dict["document"][0].code == "storage_failed"
    assert not Agreement.objects.exists()


# ----- drafts' files -----


def draft_with_pdf(member):
    return drafts.draft_save(
        user=member,
        category=Category.objects.get(slug="other"),
        title="書きかけ",
        body="本文",
        uploads=[prepare_upload(pdf_upload())],
    )


def test_a_drafts_files_are_read_back_from_the_bucket(member, object_store, bucket):
    draft = draft_with_pdf(member)
    rows = list(draft.attachments.all())
    assert keys(object_store, bucket) == [rows[0].file.name]
    (upload,) = drafts.draft_file_uploads(rows)
    assert upload.content == pdf()


def test_a_drafts_files_the_store_cannot_give_back_are_a_form_error(
    member, object_store, bucket
):
    draft = draft_with_pdf(member)
    object_store.refuse()
    with pytest.raises(ValidationError) as raised:
        drafts.draft_file_uploads(list(draft.attachments.all()))
    assert raised.value.code == "draft_file_unreadable"
