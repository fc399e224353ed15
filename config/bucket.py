"""The S3-compatible object store as the site's storage (django-storages).

Imported only when a bucket is configured (settings "STATIC AND MEDIA
FILES"): boto3 costs each process some 25 MB and most of a second.
What BucketStorage adds to django-storages' S3Storage is in its docstring;
config/media.py holds what is the same for disk and bucket.
"""

import functools
import json

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from storages.backends.s3 import S3File, S3Storage
from storages.utils import clean_name

from .media import StoreUnavailable

# Grantees of a bucket ACL that mean "anyone".
PUBLIC_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}
# Error codes of stores that do not implement an API (the public access
# block is AWS's; MinIO and others answer NotImplemented).
NOT_IMPLEMENTED = {"NotImplemented", "XNotImplemented", "MethodNotAllowed"}


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
