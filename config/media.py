"""Media on an S3-compatible object store (django-storages over boto3).

Chosen by settings (RENKEI_MEDIA_S3_BUCKET; see "STATIC AND MEDIA FILES"):
without a bucket, media stay on local disk under MEDIA_ROOT. Nothing here
names a provider: any store speaking the S3 API will do.

The site treats the store like a disk. A store that is down, refuses or
answers with an error raises StoreUnavailable, an OSError, as a failing
disk does: an upload then fails as on a full disk (boards.attachments), and
a download gets the 503 page (config.views.server_error).
"""

import functools
import hashlib
import json
import logging
from dataclasses import dataclass, field

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core import checks
from django.core.files.storage import FileSystemStorage, Storage, storages
from storages.backends.s3 import S3File, S3Storage
from storages.utils import clean_name

logger = logging.getLogger(__name__)

# Grantees of a bucket ACL that mean "anyone".
PUBLIC_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}
# Error codes of stores that do not implement an API (the public access
# block is AWS's; MinIO and others answer NotImplemented).
NOT_IMPLEMENTED = {"NotImplemented", "XNotImplemented", "MethodNotAllowed"}
CHUNK = 1024 * 1024


class StoreUnavailable(OSError):
    """The object store could not be reached, or refused the request."""


def _store_errors(method):
    """Raise StoreUnavailable for what boto3 raises when the store fails."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except (BotoCoreError, ClientError) as error:
            raise StoreUnavailable(f"object store: {error}") from error

    return wrapper


class BucketFile(S3File):
    """An object of the store; reading it fetches the whole object once,
    into memory or a temporary file (max_memory_size)."""

    file = property(_store_errors(S3File._get_file), S3File._set_file)
    close = _store_errors(S3File.close)


class BucketStorage(S3Storage):
    """django-storages' S3 storage with the site's defaults and errors.

    - No ACL is sent with objects (default_acl None): they are as private
      as the bucket, and stores enforcing bucket-owner ACLs accept them.
    - URLs are always signed (querystring_auth); the site does not hand
      them out (downloads are streamed, docs/operations.md) and a public,
      unsigned URL cannot be made.
    - Names are random (upload_to), so a save overwrites without first
      asking whether the name is taken.
    - Short time-outs and few retries: a member waits seconds, not minutes,
      to learn that the store is down.
    - Checksums only where the S3 API requires them: stores other than AWS
      refuse the newer default checksum headers.
    """

    def get_default_settings(self):
        return {
            **super().get_default_settings(),
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": True,
            # Files larger than this spill from memory to a temporary file.
            "max_memory_size": 2 * 1024 * 1024,
            "signature_version": "s3v4",
        }

    def __init__(self, **options):
        if options.get("client_config") is None and options.get("endpoint_url"):
            # Path-style addressing: an endpoint of one's own (a government
            # cloud's store, MinIO, moto) rarely has a DNS name per bucket.
            options.setdefault("addressing_style", "path")
        super().__init__(**options)
        if options.get("client_config") is None:
            self.client_config = Config(
                s3={"addressing_style": self.addressing_style},
                signature_version=self.signature_version,
                proxies=self.proxies,
                connect_timeout=3,
                read_timeout=10,
                retries={"mode": "standard", "max_attempts": 3},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            )

    @_store_errors
    def _open(self, name, mode="rb"):
        name = self._normalize_name(clean_name(name))
        try:
            return BucketFile(name, mode, self)
        except ClientError as error:
            if error.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                raise FileNotFoundError(f"not in the bucket: {name}") from error
            raise

    _save = _store_errors(S3Storage._save)
    delete = _store_errors(S3Storage.delete)
    exists = _store_errors(S3Storage.exists)
    listdir = _store_errors(S3Storage.listdir)
    size = _store_errors(S3Storage.size)
    get_modified_time = _store_errors(S3Storage.get_modified_time)


def bucket_storage(**options):
    """A storage for the configured bucket, whatever the default is."""
    options = {**settings.RENKEI_MEDIA_S3, **options}
    if not options.get("bucket_name"):
        raise StoreUnavailable(
            "no bucket is configured: set RENKEI_MEDIA_S3_BUCKET "
            "(or AWS_STORAGE_BUCKET_NAME)"
        )
    return BucketStorage(**options)


def disk_storage():
    """The media directory on this machine, overwriting files of a name."""
    return FileSystemStorage(location=settings.MEDIA_ROOT, allow_overwrite=True)


# ----- Privacy of the bucket -----


def _public_statement(statement):
    if statement.get("Effect") != "Allow" or statement.get("Condition"):
        return False
    principal = statement.get("Principal")
    if isinstance(principal, dict):
        principal = principal.get("AWS")
    principals = principal if isinstance(principal, list) else [principal]
    return "*" in principals


def privacy_problems(storage):
    """(level, message) for each way the storage's bucket lets anyone read.

    Level is "public" for a grant or policy opening the bucket to anyone,
    "unguarded" when AWS's public access block is missing or partly off (a
    later grant would then take effect). A store without that API is not
    faulted for it.
    """
    client = storage.connection.meta.client
    bucket = storage.bucket_name
    problems = []
    for grant in client.get_bucket_acl(Bucket=bucket).get("Grants", []):
        if grant.get("Grantee", {}).get("URI") in PUBLIC_GROUPS:
            problems.append(
                ("public", f"its ACL grants {grant.get('Permission')} to everyone")
            )
    try:
        policy = json.loads(client.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as error:
        if error.response["Error"]["Code"] not in {"NoSuchBucketPolicy"}:
            raise
    else:
        statements = policy.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        if any(_public_statement(statement) for statement in statements):
            problems.append(("public", "its policy allows anyone (Principal *)"))
    try:
        block = client.get_public_access_block(Bucket=bucket)[
            "PublicAccessBlockConfiguration"
        ]
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code == "NoSuchPublicAccessBlockConfiguration":
            problems.append(("unguarded", "its public access block is off"))
        elif code not in NOT_IMPLEMENTED:
            raise
    else:
        off = sorted(name for name, value in block.items() if not value)
        if off:
            problems.append(
                ("unguarded", "its public access block is off for " + ", ".join(off))
            )
    return problems


def check_bucket_private(app_configs=None, **kwargs):
    """System check (check --deploy): the media bucket must be private."""
    storage = storages["default"]
    if not isinstance(storage, S3Storage):
        return []
    name = storage.bucket_name
    try:
        problems = privacy_problems(storage)
    except (BotoCoreError, ClientError) as error:
        return [
            checks.Warning(
                f"The media bucket {name!r} could not be checked: {error}",
                hint="Check RENKEI_MEDIA_S3_ENDPOINT_URL and the credentials.",
                id="renkei.W101",
            )
        ]
    messages = []
    for level, problem in problems:
        if level == "public":
            messages.append(
                checks.Error(
                    f"The media bucket {name!r} is public: {problem}.",
                    hint="Remove the grant or statement; members' files must "
                    "be readable only through the site.",
                    id="renkei.E101",
                )
            )
        else:
            messages.append(
                checks.Warning(
                    f"The media bucket {name!r} is not guarded: {problem}.",
                    hint="Turn on all four settings of the bucket's public "
                    "access block.",
                    id="renkei.W102",
                )
            )
    return messages


# ----- Copying media between disk and bucket -----


def _names(storage, directory=""):
    """Every file name under `directory`, walking down."""
    directories, files = storage.listdir(directory)
    prefix = f"{directory}/" if directory else ""
    for name in sorted(files):
        yield prefix + name
    for child in sorted(directories):
        yield from _names(storage, prefix + child)


def _sha256(storage, name):
    digest = hashlib.sha256()
    with storage.open(name, "rb") as stored:
        while chunk := stored.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class CopySummary:
    copied: list = field(default_factory=list)
    present: list = field(default_factory=list)
    mismatched: list = field(default_factory=list)
    failed: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.mismatched and not self.failed


def media_copy(*, source: Storage, target: Storage, dry_run=False) -> CopySummary:
    """Copy every file of `source` to the same name in `target`.

    A file already in `target` with the same SHA-256 is left alone, so the
    copy can be run again after an interruption. Each copied file is read
    back from `target` and its SHA-256 compared with the source's. The
    source is never changed.
    """
    summary = CopySummary()
    for name in _names(source):
        try:
            expected = _sha256(source, name)
            if target.exists(name) and _sha256(target, name) == expected:
                summary.present.append(name)
                continue
            if dry_run:
                summary.copied.append(name)
                continue
            with source.open(name, "rb") as content:
                saved = target.save(name, content)
            if saved != name or _sha256(target, name) != expected:
                summary.mismatched.append(name)
            else:
                summary.copied.append(name)
        except OSError as error:
            logger.warning("could not copy %s: %s", name, error)
            summary.failed.append(name)
    return summary


def referenced_names():
    """Every file name the database refers to, from every FileField."""
    from django.apps import apps
    from django.db import models

    names = set()
    for model in apps.get_models():
        for model_field in model._meta.fields:
            if isinstance(model_field, models.FileField):
                names.update(
                    model._base_manager.exclude(**{model_field.name: ""}).values_list(
                        model_field.name, flat=True
                    )
                )
    names.discard(None)
    return sorted(names)
