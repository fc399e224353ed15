from django.core.management.base import BaseCommand, CommandError

from config import media


class Command(BaseCommand):
    help = (
        "Copy the media files from local disk (MEDIA_ROOT) to the object "
        "store's bucket, or back, checking each copy by SHA-256. Files "
        "already there with the same content are left alone, so it can be "
        "run again; the source is never changed. Exits non-zero if any copy "
        "differs or fails."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--to",
            choices=["s3", "disk"],
            required=True,
            help="s3: disk to bucket; disk: bucket to disk",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="list what would be copied, copy nothing",
        )

    def handle(self, *args, to, dry_run, **options):
        try:
            bucket = media.bucket_storage()
        except media.StoreUnavailable as error:
            raise CommandError(str(error)) from error
        disk = media.disk_storage()
        source, target = (disk, bucket) if to == "s3" else (bucket, disk)
        try:
            summary = media.media_copy(source=source, target=target, dry_run=dry_run)
        except FileNotFoundError:
            summary = media.CopySummary()  # no media directory: nothing to copy
        except OSError as error:
            raise CommandError(f"could not list the files to copy: {error}") from error
        for name in summary.mismatched:
            self.stderr.write(f"differs after copying: {name}")
        for name in summary.failed:
            self.stderr.write(f"could not copy: {name}")
        missing = []
        if not dry_run:
            try:
                missing = [
                    name for name in media.referenced_names() if not target.exists(name)
                ]
            except OSError as error:
                raise CommandError(f"could not check the copies: {error}") from error
            for name in missing:
                self.stderr.write(f"in the database but not in the {to} copy: {name}")
        verb = "to copy" if dry_run else "copied"
        self.stdout.write(
            f"{len(summary.copied)} {verb}, {len(summary.present)} already there "
            f"(same SHA-256), {len(summary.mismatched)} differ after copying, "
            f"{len(summary.failed)} failed, {len(missing)} named in the database "
            "but missing."
        )
        if not summary.ok:
            raise CommandError("some files were not copied intact; run again")
