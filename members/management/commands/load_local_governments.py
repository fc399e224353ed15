import csv
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from members.models import Organisation

DATA = Path(__file__).resolve().parents[2] / "data" / "local_governments.csv"
UPDATED_FIELDS = ["name", "kana", "kind", "prefecture", "latitude", "longitude"]


def _decimal(value):
    return Decimal(value) if value else None


class Command(BaseCommand):
    help = (
        "Load or update the 47 prefectures and 1,741 local governments from "
        "members/data/local_governments.csv. Safe to run again: rows are matched "
        "by local government code and membership data is never touched."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(DATA), help="CSV file to load")

    @transaction.atomic
    def handle(self, *args, file, **options):
        with open(file, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        prefectures = [row for row in rows if not row["prefecture_code"]]
        others = [row for row in rows if row["prefecture_code"]]
        self._upsert(prefectures, {})
        by_code = dict(Organisation.objects.prefectures().values_list("code", "pk"))
        self._upsert(others, by_code)
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(prefectures)} prefectures and {len(others)} local "
                "governments loaded."
            )
        )

    def _upsert(self, rows, prefecture_ids):
        objects = []
        for row in rows:
            organisation = Organisation(
                code=row["code"],
                name=row["name"],
                kana=row["kana"],
                kind=row["kind"],
                prefecture_id=prefecture_ids.get(row["prefecture_code"]),
                latitude=_decimal(row["latitude"]),
                longitude=_decimal(row["longitude"]),
            )
            organisation.clean_fields(exclude=["prefecture"])
            objects.append(organisation)
        Organisation.objects.bulk_create(
            objects,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=UPDATED_FIELDS,
            batch_size=500,
        )
