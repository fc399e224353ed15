from django.core.management.base import BaseCommand, CommandError

from boards.services import registrations


class Command(BaseCommand):
    help = (
        "Remind the organisations signed up for events that begin tomorrow "
        "(run daily, or more often: each event is reminded once)."
    )

    def handle(self, *args, **options):
        try:
            reminded = registrations.send_registration_reminders.call()
        except Exception as error:
            raise CommandError(f"Reminders could not be queued: {error}") from error
        self.stdout.write(f"{reminded} event(s) reminded.")
