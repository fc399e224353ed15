from getpass import getpass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from members import permissions
from members.models import MembershipStatus, Organisation
from members.services import accounts, organisations


class Command(BaseCommand):
    help = (
        "Create an office (事務局) account with a verified address, e.g. the first "
        "account after deployment. Asks for the password."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", required=True, help="the person's full name")
        parser.add_argument("--department", default="")
        parser.add_argument(
            "--organisation",
            default="公益財団法人特別区協議会",
            help="name of the office's organisation (created if missing)",
        )
        parser.add_argument(
            "--superuser", action="store_true", help="also give every permission"
        )

    @transaction.atomic
    def handle(
        self, *args, email, name, department, organisation, superuser, **options
    ):
        office, _created = Organisation.objects.get_or_create(
            name=organisation, kind=Organisation.Kind.BODY
        )
        organisations.organisation_set_status(
            organisation=office, status=MembershipStatus.MEMBER, actor=None
        )
        password = getpass("Password: ")
        if password != getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        try:
            validate_password(password)
            user = accounts.user_create(
                email=email,
                display_name=name,
                department=department,
                organisation=office,
                role=permissions.OFFICE_STAFF,
                password=password,
                email_verified=True,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if superuser:
            accounts.user_set_superuser(user=user, is_superuser=True, actor=None)
        self.stdout.write(self.style.SUCCESS(f"Office account {user.email} created."))
