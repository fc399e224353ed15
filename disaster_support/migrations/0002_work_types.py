"""The newsletter's six kinds of work (業務内容), as the first managed list."""

from django.db import migrations

WORK_TYPES = [
    "避難所における住民の健康管理・衛生管理等業務等",
    "ごみの収集・運搬等",
    "罹災証明書発行の受付等業務",
    "住家被害認定業務における全壊判定業務",
    "公費解体等に係る受付、委託発注業務等",
    "被災宅地危険度判定業務",
]


def create_work_types(apps, schema_editor):
    WorkType = apps.get_model("disaster_support", "WorkType")
    for order, name in enumerate(WORK_TYPES, start=1):
        WorkType.objects.get_or_create(name=name, defaults={"order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("disaster_support", "0001_initial")]

    operations = [migrations.RunPython(create_work_types, migrations.RunPython.noop)]
