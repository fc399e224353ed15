from django.core.management.base import BaseCommand, CommandError

from boards import mail


class Command(BaseCommand):
    help = (
        "Mail notifications that are still waiting: those wanted at once "
        "(e.g. every 10 minutes, catching up after a mail server failure), "
        "or with --digest the daily digests (once a day)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--digest", action="store_true", help="send the daily digests"
        )

    def handle(self, *args, digest=False, **options):
        task = mail.send_daily_digests if digest else mail.send_pending_mail
        try:
            sent = task.call()
        except Exception as error:
            # Whatever was not mailed stays waiting for the next run.
            raise CommandError(f"Mail could not be sent: {error}") from error
        self.stdout.write(f"{sent} mail(s) sent.")
