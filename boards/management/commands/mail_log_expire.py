from django.core.management.base import BaseCommand

from boards.services.inbound import inbound_raw_expire


class Command(BaseCommand):
    help = (
        "Empty the received messages kept longer than RENKEI_MAIL_KEEP_DAYS; "
        "their log lines stay. Run once a day."
    )

    def handle(self, *args, **options):
        count = inbound_raw_expire()
        self.stdout.write(f"{count} received messages emptied")
