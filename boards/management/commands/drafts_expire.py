from django.core.management.base import BaseCommand

from boards.services.drafts import drafts_expire


class Command(BaseCommand):
    help = (
        "Delete drafts of posts not saved for RENKEI_DRAFT_KEEP_DAYS days, "
        "with their files. Run once a day."
    )

    def handle(self, *args, **options):
        count = drafts_expire()
        self.stdout.write(f"{count} drafts deleted")
