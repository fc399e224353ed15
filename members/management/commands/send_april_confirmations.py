from django.core.management.base import BaseCommand, CommandError

from members.services import organisations


class Command(BaseCommand):
    help = (
        "Remind members that have not confirmed their contact details this "
        "fiscal year: from 1 April, and again RENKEI_CONFIRMATION_REMIND_DAYS "
        "later (run daily; each member is reminded once per round)."
    )

    def handle(self, *args, **options):
        try:
            count = organisations.confirmation_reminders_schedule()
        except Exception as error:
            raise CommandError(f"Reminders could not be queued: {error}") from error
        self.stdout.write(f"{count} organisation(s) to remind.")
