import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from members import permissions, services
from members.models import Organisation, User

DEFAULT_PASSWORD = "renkei-demo-2026"  # noqa: S105 (documented demo password)

# (code, name, kana, kind, prefecture code)
ORGANISATIONS = [
    ("130001", "東京都", "とうきょうと", Organisation.Kind.PREFECTURE, None),
    ("170003", "石川県", "いしかわけん", Organisation.Kind.PREFECTURE, None),
    ("131016", "千代田区", "ちよだく", Organisation.Kind.SPECIAL_WARD, "130001"),
    ("172022", "七尾市", "ななおし", Organisation.Kind.CITY, "170003"),
    ("172014", "金沢市", "かなざわし", Organisation.Kind.CITY, "170003"),
    (
        None,
        "公益財団法人特別区協議会",
        "とくべつくきょうぎかい",
        Organisation.Kind.BODY,
        None,
    ),
]

# (e-mail, name, department, organisation name, role)
ACCOUNTS = [
    (
        "office@example.jp",
        "事務局 担当",
        "事業部事業推進課",
        "公益財団法人特別区協議会",
        permissions.OFFICE_STAFF,
    ),
    (
        "chiyoda@example.jp",
        "千代田 花子",
        "地域振興課",
        "千代田区",
        permissions.WARD_STAFF,
    ),
    ("nanao@example.jp", "山田 太郎", "観光交流課", "七尾市", permissions.MEMBER_STAFF),
    (
        "kanazawa@example.jp",
        "金沢 次郎",
        "企画調整課",
        "金沢市",
        permissions.MEMBER_STAFF,
    ),
]


class Command(BaseCommand):
    help = "Load demonstration organisations and accounts (development only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DJANGO_DEBUG is off.",
        )

    @transaction.atomic
    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo only runs with DJANGO_DEBUG on, or with --force."
            )
        password = os.environ.get("DEMO_PASSWORD", DEFAULT_PASSWORD)
        by_code = {}
        by_name = {}
        for code, name, kana, kind, prefecture_code in ORGANISATIONS:
            organisation, _created = Organisation.objects.update_or_create(
                code=code,
                name=name,
                defaults={
                    "kana": kana,
                    "kind": kind,
                    "prefecture": by_code.get(prefecture_code),
                },
            )
            by_code[code] = organisation
            by_name[name] = organisation
        for email, name, department, organisation_name, role in ACCOUNTS:
            if User.objects.filter(email__iexact=email).exists():
                continue
            services.user_create(
                email=email,
                display_name=name,
                department=department,
                organisation=by_name[organisation_name],
                role=role,
                password=password,
                email_verified=True,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(ACCOUNTS)} accounts, password from "
                "DEMO_PASSWORD or the documented default."
            )
        )
