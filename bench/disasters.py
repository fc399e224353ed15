"""The disaster tracker's share of the benchmark data (bench.seed).

100 disasters since 2011 in one to three prefectures each, and 50,000
dispatches (teams) spread over them unevenly, as the 23 wards' support is:
most disasters get a few dozen teams, a few get thousands. Each disaster's
requests come from municipalities of its prefectures, through the real
channels and work types; wards (or the 23 wards jointly) offer people, and
each offer is carried out by teams of one to five people (seats) taking
over from one another every few days. Teams before today are completed,
teams around today on duty, later ones planned; 2% are cancelled. One
request in ten is remote work done at the Tokyo Metropolitan Government.

Everything is written with COPY into tables truncated in the same
transaction (bench.seed.copy_rows), so the whole set takes seconds.
"""

import datetime
import math

from disaster_support.models import (
    Disaster,
    Dispatch,
    HelpRequest,
    Offer,
    Seat,
    WorkType,
)
from members.models import Organisation

from .pgcopy import copy_rows, copy_text

FIRST_DAY = datetime.date(2011, 3, 11)
# Requests per team, roughly: a request is covered by about twenty teams.
TEAMS_PER_REQUEST = 20
CANCELLED_SHARE = 0.02
REMOTE_SHARE = 0.1
KIND_NAMES = {
    Disaster.Kind.EARTHQUAKE: "地震",
    Disaster.Kind.STORM_FLOOD: "豪雨災害",
    Disaster.Kind.VOLCANO: "噴火災害",
    Disaster.Kind.SNOW: "大雪災害",
    Disaster.Kind.OTHER: "災害",
}
KIND_WEIGHTS = [30, 50, 5, 10, 5]
CHANNEL_WEIGHTS = {
    HelpRequest.Channel.MIC_TOKYO: 40,
    HelpRequest.Channel.MEDIUM_LONG: 10,
    HelpRequest.Channel.MHLW: 15,
    HelpRequest.Channel.MOE: 10,
    HelpRequest.Channel.ASSESSORS: 10,
    HelpRequest.Channel.AGREEMENT: 8,
    HelpRequest.Channel.DIRECT: 5,
    HelpRequest.Channel.OTHER: 2,
}
REQUEST_STATUS_WEIGHTS = {
    HelpRequest.Status.COMPLETED: 50,
    HelpRequest.Status.ACCEPTED: 30,
    HelpRequest.Status.PARTLY_ACCEPTED: 10,
    HelpRequest.Status.COORDINATING: 5,
    HelpRequest.Status.RECEIVED: 5,
}
# The job types each work type calls for, in the order of the work types
# made by the migrations; work types added later take clerical staff.
JOBS_BY_WORK = [
    [Seat.JobType.PUBLIC_HEALTH_NURSE, Seat.JobType.CLERICAL],
    [Seat.JobType.SANITATION, Seat.JobType.CLERICAL],
    [Seat.JobType.CLERICAL],
    [Seat.JobType.ARCHITECTURE, Seat.JobType.CLERICAL],
    [Seat.JobType.CLERICAL, Seat.JobType.CIVIL_ENGINEERING],
    [Seat.JobType.CIVIL_ENGINEERING, Seat.JobType.ARCHITECTURE],
]
SEATS_PER_TEAM = ([1, 2, 3, 4, 5], [2, 4, 3, 1, 0.5])

DISASTER_FIELDS = [
    "id",
    "name",
    "kind",
    "occurred_on",
    "status",
    "created_at",
    "is_drill",
]
REQUEST_FIELDS = [
    "id",
    "disaster",
    "municipality",
    "channel",
    "work_type",
    "place_kind",
    "work_place",
    "place_note",
    "people_requested",
    "start_on",
    "end_on",
    "status",
    "created_at",
]
OFFER_FIELDS = ["id", "request", "sender", "is_joint", "basis", "people", "note"]
DISPATCH_FIELDS = [
    "id",
    "offer",
    "name",
    "sender",
    "start_on",
    "end_on",
    "travel_days_at_start",
    "travel_days_at_end",
    "status",
    "term",
    "decided_on",
]
SEAT_FIELDS = ["dispatch", "job_type", "person_name"]
PREFECTURES_FIELDS = ["disaster_id", "organisation_id"]
TABLES = [
    model._meta.db_table for model in (Disaster, HelpRequest, Offer, Dispatch, Seat)
]


def spread(rng, total, parts):
    """`total` split into `parts` uneven shares (log-normal), each at least 1."""
    weights = [rng.lognormvariate(0, 1.1) for _ in range(parts)]
    scale = (total - parts) / sum(weights)
    shares = [1 + math.floor(weight * scale) for weight in weights]
    for index in rng.sample(range(parts), total - sum(shares)):
        shares[index] += 1
    return shares


def line(*values):
    return "\t".join(copy_text(value) for value in values) + "\n"


class Plan:
    """Every row of the disaster tracker, as COPY lines per table."""

    def __init__(self, rng, *, disasters, dispatches, maker, today):
        self.rng = rng
        self.maker = maker
        self.today = today
        self.rows = {
            table: []
            for table in [*TABLES, Disaster.prefectures.through._meta.db_table]
        }
        self.ids = dict.fromkeys(TABLES, 0)
        self.counts = dict.fromkeys(["disasters", "requests", "offers", "teams"], 0)
        self.counts["seats"] = 0
        self.wards = list(
            Organisation.objects.filter(kind=Organisation.Kind.SPECIAL_WARD)
            .order_by("code")
            .values_list("pk", flat=True)
        )
        self.tokyo = (
            Organisation.objects.prefectures()
            .filter(code__startswith="13")
            .values_list("pk", flat=True)
            .first()
        )
        self.prefectures = list(
            Organisation.objects.prefectures().values_list("pk", "name")
        )
        self.municipalities = {}
        local = Organisation.objects.filter(
            kind__in=[
                Organisation.Kind.CITY,
                Organisation.Kind.TOWN,
                Organisation.Kind.VILLAGE,
            ]
        )
        for pk, prefecture in local.values_list("pk", "prefecture_id"):
            self.municipalities.setdefault(prefecture, []).append(pk)
        self.works = list(WorkType.objects.order_by("order", "pk").values_list("pk"))
        if disasters and dispatches:
            for teams in spread(rng, dispatches, disasters):
                self.disaster(teams)

    def next_id(self, model):
        table = model._meta.db_table
        self.ids[table] += 1
        return self.ids[table]

    def add(self, model, *values):
        self.rows[model._meta.db_table].append(line(*values))

    def disaster(self, teams):
        rng = self.rng
        span = (self.today - FIRST_DAY).days - 10
        occurred = FIRST_DAY + datetime.timedelta(days=rng.randint(0, span))
        kind = rng.choices(list(KIND_NAMES), weights=KIND_WEIGHTS)[0]
        affected = rng.sample(
            [p for p in self.prefectures if p[0] in self.municipalities],
            rng.choice([1, 1, 1, 2, 3]),
        )
        name = f"{occurred.year}年{occurred.month}月{affected[0][1]}{KIND_NAMES[kind]}"
        recent = (self.today - occurred).days < 365
        pk = self.next_id(Disaster)
        self.add(
            Disaster,
            pk,
            name,
            kind,
            occurred,
            Disaster.Status.ACTIVE if recent else Disaster.Status.CLOSED,
            datetime.datetime.combine(occurred, datetime.time(9), datetime.UTC),
            False,
        )
        for prefecture, _name in affected:
            self.rows[Disaster.prefectures.through._meta.db_table].append(
                line(pk, prefecture)
            )
        places = [m for p, _name in affected for m in self.municipalities[p]]
        # The hardest-hit municipalities ask most: a few of them, weighted.
        places = rng.sample(places, min(len(places), 3 + teams // 200))
        requests = max(1, round(teams / TEAMS_PER_REQUEST))
        for share in spread(rng, teams, requests) if teams >= requests else [teams]:
            self.request(pk, occurred, rng.choice(places), share)
        self.counts["disasters"] += 1

    def request(self, disaster, occurred, municipality, teams):
        rng = self.rng
        channel = rng.choices(
            list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values())
        )[0]
        work = rng.randrange(len(self.works))
        remote = rng.random() < REMOTE_SHARE
        medium_long = channel == HelpRequest.Channel.MEDIUM_LONG
        start = occurred + datetime.timedelta(
            days=rng.randint(60, 240) if medium_long else rng.randint(2, 45)
        )
        offers = min(teams, rng.choice([1, 1, 2, 3]))
        pk = self.next_id(HelpRequest)
        last_day = start
        people = 0
        for share in spread(rng, teams, offers):
            team_end, offered = self.offer(pk, work, start, share, medium_long)
            last_day = max(last_day, team_end)
            people += offered
        self.add(
            HelpRequest,
            pk,
            disaster,
            municipality,
            channel,
            self.works[work][0],
            HelpRequest.PlaceKind.REMOTE if remote else HelpRequest.PlaceKind.ON_SITE,
            self.tokyo if remote else None,
            "東京都庁" if remote else "",
            max(1, people + rng.choice([0, 0, 0, 2, 5])),
            start,
            last_day,
            rng.choices(
                list(REQUEST_STATUS_WEIGHTS),
                weights=list(REQUEST_STATUS_WEIGHTS.values()),
            )[0],
            datetime.datetime.combine(
                start - datetime.timedelta(days=2), datetime.time(10), datetime.UTC
            ),
        )
        self.counts["requests"] += 1

    def offer(self, request, work, start, teams, medium_long):
        """One offer and its rotation of teams; (last day, people per team)."""
        rng = self.rng
        joint = rng.random() < 0.3
        ward = None if joint else rng.choice(self.wards)
        pk = self.next_id(Offer)
        step = rng.randint(60, 180) if medium_long else rng.randint(3, 7)
        size = rng.choices(*SEATS_PER_TEAM)[0]
        day = start
        for number in range(1, teams + 1):
            self.team(
                pk,
                f"第{number}班",
                ward if ward is not None else rng.choice(self.wards),
                day,
                day + datetime.timedelta(days=step - 1),
                work,
                size,
                medium_long,
            )
            day += datetime.timedelta(days=step)
        basis = Offer.Basis.JOINT if joint else Offer.Basis.AGREEMENT
        self.add(Offer, pk, request, ward, joint, basis, size, "")
        self.counts["offers"] += 1
        return day - datetime.timedelta(days=1), size

    def team(self, offer, name, ward, start, end, work, size, medium_long):
        rng = self.rng
        if rng.random() < CANCELLED_SHARE:
            status = Dispatch.Status.CANCELLED
        elif end < self.today:
            status = Dispatch.Status.COMPLETED
        elif start <= self.today:
            status = Dispatch.Status.ON_DUTY
        else:
            status = Dispatch.Status.PLANNED
        pk = self.next_id(Dispatch)
        self.add(
            Dispatch,
            pk,
            offer,
            name,
            ward,
            start,
            end,
            int(not medium_long),
            int(not medium_long),
            status,
            Dispatch.Term.MEDIUM_LONG if medium_long else Dispatch.Term.SHORT,
            start - datetime.timedelta(days=rng.randint(1, 10)),
        )
        jobs = JOBS_BY_WORK[work] if work < len(JOBS_BY_WORK) else ["clerical"]
        for _ in range(size):
            self.add(Seat, pk, rng.choice(jobs), self.maker.person())
        self.counts["teams"] += 1
        self.counts["seats"] += size


def empty(cursor):
    """Empty the tracker's tables (work types, from the migrations, stay)."""
    # Every table of the app, many-to-many ones (prefectures, parties of an
    # agreement) included, or PostgreSQL refuses to empty what they refer to.
    app = Disaster._meta.apps.get_app_config("disaster_support")
    others = [
        model._meta.db_table
        for model in app.get_models(include_auto_created=True)
        if model._meta.db_table not in {*TABLES, WorkType._meta.db_table}
    ]
    tables = ", ".join(dict.fromkeys([*TABLES, *others]))
    cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY")


def write(cursor, plan):
    """COPY the plan's rows, parents first, and move the id sequences on."""
    through = Disaster.prefectures.through
    for model, fields in [
        (Disaster, DISASTER_FIELDS),
        (HelpRequest, REQUEST_FIELDS),
        (Offer, OFFER_FIELDS),
        (Dispatch, DISPATCH_FIELDS),
        (Seat, SEAT_FIELDS),
    ]:
        copy_rows(cursor, model, fields, plan.rows[model._meta.db_table])
    copy_rows(
        cursor,
        through,
        ["disaster", "organisation"],
        plan.rows[through._meta.db_table],
    )
    for table in [*TABLES, through._meta.db_table]:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
            f" coalesce(max(id), 1), max(id) IS NOT NULL) FROM {table}"
        )
