import datetime
import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from members import permissions
from members.models import MembershipApplication, MembershipStatus, Organisation, User
from members.services import accounts, applications, organisations

DEFAULT_PASSWORD = "renkei-demo-2026"  # noqa: S105 (documented demo password)

OFFICE = {
    "name": "公益財団法人特別区協議会",
    "kana": "とくべつくきょうぎかい",
    "department": "事業部事業推進課",
    "contact_person": "事務局 担当",
    "contact_email": "office@example.jp",
    "phone": "03-5210-9080",
    "postal_code": "102-0072",
    "address": "東京都千代田区飯田橋三丁目5番1号 東京区政会館",
}

# Member organisations with contact details: code → details.
MEMBERS = {
    "131016": ("地域振興課", "千代田 花子", "chiyoda@example.jp", "03-3264-2111"),
    "172022": ("観光交流課", "山田 太郎", "nanao@example.jp", "0767-53-1111"),
    "172014": ("企画調整課", "金沢 次郎", "kanazawa@example.jp", "076-220-2111"),
    "011002": ("総務局 国際部", "札幌 一郎", "sapporo@example.jp", "011-211-2111"),
    "022021": ("観光課", "弘前 桜子", "hirosaki@example.jp", "0172-35-1111"),
    "062049": ("交流観光課", "酒田 次郎", "sakata@example.jp", "0234-22-5111"),
    "072052": ("企画政策課", "白河 三郎", "shirakawa@example.jp", "0248-22-1111"),
    "152021": ("交流推進課", "長岡 四郎", "nagaoka@example.jp", "0258-35-1122"),
    "202011": ("観光ブランド推進課", "長野 五郎", "nagano@example.jp", "026-226-4911"),
    "222038": ("観光課", "沼津 六子", "numazu@example.jp", "055-931-2500"),
    "302015": ("観光振興課", "和歌山 七子", "wakayama@example.jp", "073-432-0001"),
    "342025": ("呉市 企画部", "呉 八郎", "kure@example.jp", "0823-25-3100"),
    "382019": ("観光・国際交流課", "松山 九子", "matsuyama@example.jp", "089-948-6688"),
    "401005": ("国際部", "北九州 十郎", "kitakyushu@example.jp", "093-582-2102"),
    "431001": ("国際課", "熊本 文子", "kumamoto@example.jp", "096-328-2070"),
    "472018": ("文化観光課", "那覇 海", "naha@example.jp", "098-867-0111"),
}

# (e-mail, name, department, organisation code or None for the office, role)
ACCOUNTS = [
    (
        "office@example.jp",
        "事務局 担当",
        "事業部事業推進課",
        None,
        permissions.OFFICE_STAFF,
    ),
    (
        "chiyoda@example.jp",
        "千代田 花子",
        "地域振興課",
        "131016",
        permissions.WARD_STAFF,
    ),
    ("nanao@example.jp", "山田 太郎", "観光交流課", "172022", permissions.MEMBER_STAFF),
    (
        "kanazawa@example.jp",
        "金沢 次郎",
        "企画調整課",
        "172014",
        permissions.MEMBER_STAFF,
    ),
]

WARD_DEPARTMENT = "地域振興課"


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
        call_command("load_local_governments", stdout=self.stdout)
        office = self._office()
        wards = Organisation.objects.filter(kind=Organisation.Kind.SPECIAL_WARD)
        for ward in wards:
            self._make_member(ward, (WARD_DEPARTMENT, "", "", ""))
        for code, contact in MEMBERS.items():
            self._make_member(Organisation.objects.get(code=code), contact)
        for email, name, department, code, role in ACCOUNTS:
            if User.objects.filter(email__iexact=email).exists():
                continue
            accounts.user_create(
                email=email,
                display_name=name,
                department=department,
                organisation=office
                if code is None
                else Organisation.objects.get(code=code),
                role=role,
                password=password,
                email_verified=True,
            )
        self._pending_application()
        call_command("seed_demo_boards", force=True, stdout=self.stdout)
        call_command("seed_demo_disaster", force=True, stdout=self.stdout)
        call_command("seed_demo_agreements", force=True, stdout=self.stdout)
        call_command("seed_demo_inquiries", force=True, stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {Organisation.objects.members().count()} member "
                f"organisations, {len(ACCOUNTS)} accounts (password from "
                "DEMO_PASSWORD or the documented default)."
            )
        )

    def _office(self):
        office, _created = Organisation.objects.get_or_create(
            name=OFFICE["name"],
            kind=Organisation.Kind.BODY,
            defaults={"kana": OFFICE["kana"]},
        )
        self._make_member(office, None)
        contact = {field: OFFICE[field] for field in Organisation.CONTACT_FIELDS}
        organisations.organisation_update_contact(
            organisation=office, actor=None, changes=contact, notify=False
        )
        return office

    def _make_member(self, organisation, contact):
        if organisation.is_member:
            return
        organisations.organisation_set_status(
            organisation=organisation,
            status=MembershipStatus.MEMBER,
            actor=None,
            reason="デモデータ",
        )
        Organisation.objects.filter(pk=organisation.pk).update(
            joined_on=datetime.date(2015, 4, 1),
            contact_confirmed_at=timezone.now() - datetime.timedelta(days=400),
        )
        if contact:
            department, person, email, phone = contact
            organisations.organisation_update_contact(
                organisation=organisation,
                actor=None,
                changes={
                    "department": department,
                    "contact_person": person,
                    "contact_email": email,
                    "phone": phone,
                },
                notify=False,
            )

    def _pending_application(self):
        wajima = Organisation.objects.get(code="172049")
        if wajima.membership_status != MembershipStatus.NONE:
            return
        if MembershipApplication.objects.filter(organisation=wajima).exists():
            return
        # Confirmed at once: the demo shows the office a waiting application.
        applications.application_confirm(
            application=applications.application_submit(
                organisation=wajima,
                department="企画課",
                contact_person="輪島 太郎",
                email="wajima@example.jp",
                phone="0768-22-2211",
                purpose="震災からの復興に向けた観光物産展での連携を希望します。",
            )
        )
