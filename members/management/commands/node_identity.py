from django.core.management.base import BaseCommand, CommandError

from config import node_checks


class Command(BaseCommand):
    help = (
        "Show whether this environment may join the app nodes (secret key, "
        "settings version, migrations, clock), or with --record make its key "
        "and settings version the ones every node must have (release step)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--record",
            action="store_true",
            help="record this environment's key fingerprint and settings version",
        )

    def handle(self, *args, record, **options):
        if record:
            identity = node_checks.record_identity()
            self.stdout.write(
                f"Recorded: key fingerprint {identity.fingerprint[:12]}…, "
                f"settings version {identity.settings_version!r}."
            )
        found = node_checks.problems(record_if_missing=False)
        if found:
            raise CommandError("\n".join(found))
        self.stdout.write("This node may join the others.")
