"""Media on local disk or an S3-compatible object store.

Chosen by settings (RENKEI_MEDIA_S3_BUCKET; see "STATIC AND MEDIA FILES"):
without a bucket, media stay on local disk under MEDIA_ROOT; with one, the
default storage is config.bucket.BucketStorage (django-storages over boto3).
Nothing names a provider: any store speaking the S3 API will do.

The site treats the store like a disk. A store that is down, refuses or
answers with an error raises StoreUnavailable, an OSError, as a failing
disk does: an upload then fails as on a full disk (boards.attachments), and
a download gets the 503 page (config.views.server_error).
"""

import hashlib
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core import checks
from django.core.files.storage import FileSystemStorage, Storage, storages

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024


class StoreUnavailable(OSError):
    """The object store could not be reached, or refused the request."""


def bucket_storage(**options):
    """A storage for the configured bucket, whatever the default is."""
    options = {**settings.RENKEI_MEDIA_S3, **options}
    if not options.get("bucket_name"):
        raise StoreUnavailable(
            "no bucket is configured: set RENKEI_MEDIA_S3_BUCKET "
            "(or AWS_STORAGE_BUCKET_NAME)"
        )
    from .bucket import BucketStorage

    return BucketStorage(**options)


def disk_storage():
    """The media directory on this machine, overwriting files of a name."""
    return FileSystemStorage(location=settings.MEDIA_ROOT, allow_overwrite=True)


# ----- Privacy of the bucket -----


def check_bucket_private(app_configs=None, **kwargs):
    """System check (check --deploy): the media bucket must be private."""
    storage = storages["default"]
    if not hasattr(storage, "bucket_name"):
        return []  # media on disk
    from botocore.exceptions import BotoCoreError, ClientError

    from .bucket import privacy_problems

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
