"""Demo data: agreements between the wards and member municipalities,
starting with the 包括連携覚書 of 全国連携NEWS vol.9."""

import datetime

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from members.models import Organisation

from ... import agreements
from ...models import Agreement

D = datetime.date
DISASTER, CULTURE, TOURISM, INDUSTRY, EDUCATION = (
    Agreement.Scope.DISASTER,
    Agreement.Scope.CULTURE,
    Agreement.Scope.TOURISM,
    Agreement.Scope.INDUSTRY,
    Agreement.Scope.EDUCATION,
)

# (title, kind, party codes, signed on, scopes, status, ended on, note)
AGREEMENTS = [
    (
        "文化と歴史を縁とする包括連携に関する覚書",
        Agreement.Kind.COMPREHENSIVE,
        ["131041", "131059", "430005", "431001"],  # 新宿区 文京区 熊本県 熊本市
        D(2015, 10, 1),
        [CULTURE, TOURISM, DISASTER],
        Agreement.Status.ACTIVE,
        None,
        "熊本地震（平成28年4月）の約半年前に締結。災害援助の際に「顔が見える」"
        "関係があらかじめできていた例として、全国連携NEWS vol.9 で紹介。"
        "締結日は月単位の目安。",
    ),
    (
        "世田谷区と金沢市との災害時における相互応援に関する協定",
        Agreement.Kind.MUTUAL_AID,
        ["131121", "172014"],  # 世田谷区 石川県金沢市
        D(2013, 7, 1),
        [DISASTER],
        Agreement.Status.ACTIVE,
        None,
        "職員の派遣、物資の提供、被災者の受入れを相互に行う。",
    ),
    (
        "世田谷区民健康村相互協力に関する協定",
        Agreement.Kind.FRIENDSHIP,
        ["131121", "104442"],  # 世田谷区 群馬県川場村
        D(1981, 3, 19),
        [CULTURE, EDUCATION, DISASTER],
        Agreement.Status.ACTIVE,
        None,
        "区民健康村を縁とする縁組協定。災害時には相互に応援する"
        "（首都直下地震の訓練で川場村が世田谷区を支援）。",
    ),
    (
        "渋谷区と志賀町との災害時相互応援協定",
        Agreement.Kind.MUTUAL_AID,
        ["131130", "173843"],  # 渋谷区 石川県志賀町
        D(2012, 4, 1),
        [DISASTER],
        Agreement.Status.ACTIVE,
        None,
        "",
    ),
    (
        "千代田区・七尾市友好都市協定",
        Agreement.Kind.FRIENDSHIP,
        ["131016", "172022"],  # 千代田区 石川県七尾市
        D(2018, 11, 1),
        [CULTURE, TOURISM, INDUSTRY, DISASTER],
        Agreement.Status.ACTIVE,
        None,
        "",
    ),
    (
        "港区・札幌市観光交流連携協定",
        Agreement.Kind.OTHER,
        ["131032", "011002"],  # 港区 北海道札幌市
        D(2025, 3, 1),
        [TOURISM, INDUSTRY],
        Agreement.Status.PREPARING,
        None,
        "締結に向けて調整中。",
    ),
    (
        "品川区と白河市との教育交流に関する協定",
        Agreement.Kind.OTHER,
        ["131091", "072052"],  # 品川区 福島県白河市
        D(2010, 6, 1),
        [EDUCATION],
        Agreement.Status.EXPIRED,
        D(2020, 3, 31),
        "",
    ),
]


class Command(BaseCommand):
    help = "Create demo agreements (refuses unless DEBUG or --force)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo_agreements only runs with DJANGO_DEBUG on.")
        if not Organisation.objects.filter(code="431001").exists():
            call_command("load_local_governments", stdout=self.stdout)
        with transaction.atomic():
            created = 0
            for (
                title,
                kind,
                codes,
                signed_on,
                scopes,
                status,
                ended_on,
                note,
            ) in AGREEMENTS:
                if Agreement.objects.filter(title=title).exists():
                    continue
                agreements.agreement_create(
                    actor=None,
                    parties=list(Organisation.objects.filter(code__in=codes)),
                    title=title,
                    kind=kind,
                    signed_on=signed_on,
                    scopes=scopes,
                    status=status,
                    ended_on=ended_on,
                    note=note,
                )
                created += 1
        self.stdout.write(self.style.SUCCESS(f"Demo agreements ready: {created} new."))
