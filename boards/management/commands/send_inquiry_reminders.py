from django.core.management.base import BaseCommand, CommandError

from boards.services.inquiries import send_inquiry_reminders


class Command(BaseCommand):
    help = (
        "Mail the 照会 reminders that are due (N days before the deadline and "
        "on the day) to organisations that have not answered. Safe to run "
        "often: each reminder goes once."
    )

    def handle(self, *args, **options):
        try:
            sent = send_inquiry_reminders.call()
        except Exception as error:
            raise CommandError(f"Reminders could not be sent: {error}") from error
        self.stdout.write(f"{sent} organisation(s) reminded.")
