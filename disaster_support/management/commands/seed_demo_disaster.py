"""Demo data: the 2024 Noto earthquake, as in 全国連携NEWS vol.9, and a
首都直下地震 drill.

Built from teams and seats through the services, so that the newsletter
report as of 2024-03-15 gives its six rows (66 / 42 / 28 / 14 / 5 / 3),
while teams decided later make a later report larger. In the drill the
wards are the ones hit: 世田谷区 files requests, and a partner municipality
and the 23 wards jointly answer them.
"""

import datetime

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from members.models import Organisation

from ... import reception, services
from ...models import (
    Disaster,
    Dispatch,
    HelpRequest,
    Offer,
    ReceptionNeed,
    ReceptionPartner,
    ReceptionSite,
    Seat,
    WorkType,
)

NAME = "令和6年能登半島地震"
KANAZAWA, NANAO, WAJIMA, SHIKA, UCHINADA = (
    "172014",
    "172022",
    "172049",
    "173843",
    "173657",
)
ISHIKAWA, TOKYO = "170003", "130001"
NEWSLETTER_DAY = datetime.date(2024, 3, 15)
DRILL_NAME = "首都直下地震"
SETAGAYA, KAWABA, CHIYODA = "131121", "104442", "131016"
DRILL_DAY = datetime.date(2025, 9, 1)

CLERICAL = Seat.JobType.CLERICAL
NURSE = Seat.JobType.PUBLIC_HEALTH_NURSE
SANITATION = Seat.JobType.SANITATION
ARCHITECTURE = Seat.JobType.ARCHITECTURE
CIVIL = Seat.JobType.CIVIL_ENGINEERING


def day(month, day_of_month):
    return datetime.date(2024, month, day_of_month)


class Command(BaseCommand):
    help = "Create the Noto earthquake demo (refuses unless DEBUG or --force)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo_disaster only runs with DJANGO_DEBUG on.")
        if not Organisation.objects.filter(code=KANAZAWA).exists():
            call_command("load_local_governments", stdout=self.stdout)
        if not Disaster.objects.filter(name=DRILL_NAME, is_drill=True).exists():
            with transaction.atomic():
                self._seed_drill()
            self.stdout.write(self.style.SUCCESS(f"Drill demo ready: {DRILL_NAME}."))
        if Disaster.objects.filter(name=NAME).exists():
            self.stdout.write("The disaster demo is already there.")
            return
        with transaction.atomic():
            self._seed()
        self.stdout.write(self.style.SUCCESS(f"Disaster demo ready: {NAME}."))

    def _seed_drill(self):
        """首都直下地震 (訓練): 世田谷区 asks; 川場村, its partner, and the 23
        wards jointly answer; one request is left open for members to see."""
        org = {
            o.code: o
            for o in Organisation.objects.filter(
                code__in=[TOKYO, SETAGAYA, KAWABA, CHIYODA]
            )
        }
        works = list(WorkType.objects.order_by("order", "pk")[:3])
        drill = services.disaster_create(
            name=DRILL_NAME,
            kind=Disaster.Kind.EARTHQUAKE,
            occurred_on=DRILL_DAY,
            prefectures=[org[TOKYO]],
            actor=None,
            is_drill=True,
        )
        start = DRILL_DAY + datetime.timedelta(days=2)

        def ask(work, people, channel, status):
            return services.request_create(
                disaster=drill,
                actor=None,
                municipality=org[SETAGAYA],
                channel=channel,
                work_type=work,
                people_requested=people,
                start_on=start,
                end_on=start + datetime.timedelta(days=27),
                status=status,
            )

        shelters = ask(
            works[0], 6, HelpRequest.Channel.AGREEMENT, HelpRequest.Status.ACCEPTED
        )
        offer = services.offer_create(
            request=shelters,
            actor=None,
            sender=org[KAWABA],
            is_joint=False,
            basis=Offer.Basis.AGREEMENT,
            people=3,
        )
        self._drill_team(offer, org[KAWABA], start, [NURSE, CLERICAL, CLERICAL])
        waste = ask(
            works[1],
            4,
            HelpRequest.Channel.MIC_TOKYO,
            HelpRequest.Status.PARTLY_ACCEPTED,
        )
        offer = services.offer_create(
            request=waste,
            actor=None,
            sender=None,
            is_joint=True,
            basis=Offer.Basis.JOINT,
            people=2,
        )
        self._drill_team(offer, org[CHIYODA], start, [SANITATION] * 2)
        # Still open: members see it on the open requests page.
        ask(works[2], 5, HelpRequest.Channel.DIRECT, HelpRequest.Status.RECEIVED)
        self._reception_plan(org[SETAGAYA], works, partners=[org[KAWABA]])

    def _reception_plan(self, ward, works, *, partners):
        """世田谷区's 受援計画, the one the drill exercises."""
        plan = reception.reception_plan_save(
            ward=ward,
            actor=None,
            fields={
                "department": "危機管理部 災害対策課",
                "phone": "03-5432-2262",
                "email": "juen@example.jp",
                "after_hours": "区役所 防災センター（24時間）",
                "note": "首都直下地震の被害想定に基づく。毎年4月に見直す。",
            },
            formsets=[],
        )
        for work, people, days in zip(works, (20, 12, 8), (30, 14, 21), strict=False):
            ReceptionNeed.objects.create(
                plan=plan, work_type=work, people=people, days=days
            )
        ReceptionSite.objects.create(
            plan=plan,
            kind=ReceptionSite.Kind.BASE,
            name="世田谷区役所 第二庁舎",
            address="東京都世田谷区世田谷4-22-33",
            capacity=60,
        )
        ReceptionSite.objects.create(
            plan=plan,
            kind=ReceptionSite.Kind.LODGING,
            name="区立体育館（応援職員宿泊用）",
            address="東京都世田谷区大蔵4-6-1",
            capacity=80,
        )
        for rank, partner in enumerate(partners, start=1):
            ReceptionPartner.objects.create(plan=plan, rank=rank, organisation=partner)

    def _drill_team(self, offer, sender, start, seats):
        services.dispatch_create(
            offer=offer,
            actor=None,
            seats=[(job_type, "") for job_type in seats],
            name="第1班",
            sender=sender,
            start_on=start,
            end_on=start + datetime.timedelta(days=4),
            travel_days_at_start=1,
            travel_days_at_end=1,
            status=Dispatch.Status.COMPLETED,
            decided_on=DRILL_DAY,
        )

    def _seed(self):
        org = {o.code: o for o in Organisation.objects.filter(code__regex=r"^1[37]")}
        self.wards = list(
            Organisation.objects.filter(kind=Organisation.Kind.SPECIAL_WARD).order_by(
                "code"
            )
        )
        works = list(WorkType.objects.order_by("order", "pk")[:6])
        disaster = services.disaster_create(
            name=NAME,
            kind=Disaster.Kind.EARTHQUAKE,
            occurred_on=day(1, 1),
            prefectures=[org[ISHIKAWA]],
            actor=None,
        )
        self.ward_index = 0

        # 金沢市: 22 joint teams of 3 rotating every 3 days, 2 more decided later.
        offer = self._joint_offer(disaster, org[KANAZAWA], works[0], people=72)
        self._rotation(
            offer, day(1, 10), every=3, teams=22, seats=[NURSE] * 2 + [CLERICAL]
        )
        self._rotation(
            offer,
            day(3, 25),
            every=3,
            teams=2,
            seats=[NURSE] * 2 + [CLERICAL],
            first=23,
            decided_on=day(3, 20),
        )
        # 七尾市: 14 sanitation teams of 3; one more decided later, one cancelled.
        offer = self._joint_offer(
            disaster,
            org[NANAO],
            works[1],
            people=45,
            channel=HelpRequest.Channel.MOE,
        )
        self._rotation(offer, day(1, 15), every=4, teams=14, seats=[SANITATION] * 3)
        self._rotation(
            offer,
            day(3, 28),
            every=4,
            teams=1,
            seats=[SANITATION] * 3,
            first=15,
            decided_on=day(3, 18),
        )
        self._team(
            offer,
            "第16班",
            day(2, 20),
            length=5,
            seats=[SANITATION] * 3,
            decided_on=day(2, 1),
            status=Dispatch.Status.CANCELLED,
        )
        # 輪島市 on site: 6 teams of 4, and a planned 7th decided before 3/15.
        offer = self._joint_offer(disaster, org[WAJIMA], works[2], people=28)
        self._rotation(
            offer, day(1, 20), every=7, teams=6, seats=[CLERICAL] * 4, length=7
        )
        self._team(
            offer,
            "第7班",
            day(3, 20),
            length=7,
            seats=[CLERICAL] * 4,
            decided_on=day(3, 10),
        )
        # 輪島市's damage assessment, done remotely at the 東京都庁.
        offer = self._joint_offer(
            disaster,
            org[WAJIMA],
            works[3],
            people=14,
            channel=HelpRequest.Channel.MIC_TOKYO,
            place_kind=HelpRequest.PlaceKind.REMOTE,
            work_place=org[TOKYO],
            place_note="東京都庁",
        )
        self._rotation(
            offer,
            day(2, 5),
            every=2,
            teams=7,
            seats=[ARCHITECTURE] * 2,
            length=2,
            travel=0,
        )
        # 志賀町: one ward under its friendship agreement, two teams.
        ward = self.wards[12]
        offer = services.offer_create(
            request=self._request(
                disaster, org[SHIKA], works[4], 5, HelpRequest.Channel.AGREEMENT
            ),
            actor=None,
            sender=ward,
            is_joint=False,
            basis=Offer.Basis.AGREEMENT,
            people=5,
        )
        self._team(
            offer, "第1班", day(2, 13), length=6, seats=[CLERICAL] * 2, ward=ward
        )
        self._team(
            offer, "第2班", day(2, 19), length=6, seats=[CLERICAL] * 3, ward=ward
        )
        # 内灘町: one team of civil engineers.
        offer = self._joint_offer(
            disaster,
            org[UCHINADA],
            works[5],
            people=3,
            channel=HelpRequest.Channel.ASSESSORS,
        )
        self._team(offer, "第1班", day(1, 25), length=4, seats=[CIVIL] * 3)

        services.money_create(
            disaster=disaster,
            actor=None,
            kind="reconstruction",
            is_joint=True,
            payer=None,
            recipient=org[ISHIKAWA],
            amount=100_000_000,
            basis="区長会の基準による被害状況の点数（デモ用の値）",
            paid_on=day(2, 28),
        )
        services.goods_create(
            disaster=disaster,
            actor=None,
            item="ブルーシート",
            quantity=500,
            unit="枚",
            is_joint=False,
            payer=self.wards[0],
            recipient=org[NANAO],
            sent_on=day(1, 8),
        )

    def _request(self, disaster, municipality, work, people, channel, **place):
        return services.request_create(
            disaster=disaster,
            actor=None,
            municipality=municipality,
            channel=channel,
            work_type=work,
            people_requested=people,
            start_on=day(1, 8),
            end_on=day(4, 30),
            status=HelpRequest.Status.ACCEPTED,
            **place,
        )

    def _joint_offer(
        self,
        disaster,
        municipality,
        work,
        *,
        people,
        channel=HelpRequest.Channel.MIC_TOKYO,
        **place,
    ):
        return services.offer_create(
            request=self._request(
                disaster, municipality, work, people, channel, **place
            ),
            actor=None,
            sender=None,
            is_joint=True,
            basis=Offer.Basis.JOINT,
            people=people,
        )

    def _rotation(self, offer, start, *, every, teams, seats, first=1, **team):
        for number in range(teams):
            self._team(
                offer,
                f"第{first + number}班",
                start + datetime.timedelta(days=every * number),
                seats=seats,
                **team,
            )

    def _team(
        self,
        offer,
        name,
        start,
        *,
        seats,
        length=5,
        travel=1,
        ward=None,
        decided_on=None,
        status=None,
    ):
        if ward is None:
            # Joint teams come from the wards in turn.
            ward = self.wards[self.ward_index % len(self.wards)]
            self.ward_index += 1
        end = start + datetime.timedelta(days=length - 1)
        if status is None:
            status = (
                Dispatch.Status.COMPLETED
                if end < timezone.localdate()
                else Dispatch.Status.PLANNED
            )
        services.dispatch_create(
            offer=offer,
            actor=None,
            seats=[(job_type, "") for job_type in seats],
            name=name,
            sender=ward,
            start_on=start,
            end_on=end,
            travel_days_at_start=travel,
            travel_days_at_end=travel,
            status=status,
            decided_on=decided_on or start - datetime.timedelta(days=7),
        )
