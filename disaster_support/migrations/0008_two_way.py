"""Drills, and offers and teams from any member organisation.

Offer.ward and Dispatch.ward become `sender`: renamed, so every row keeps
its organisation, and no longer limited to the special wards.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("disaster_support", "0007_damage_points"),
    ]

    operations = [
        migrations.AddField(
            model_name="disaster",
            name="is_drill",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "A drill is marked as such everywhere and never counts in "
                    "real reports."
                ),
                verbose_name="drill",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="offer", name="disaster_offer_joint_or_ward"
        ),
        migrations.RenameField(model_name="offer", old_name="ward", new_name="sender"),
        migrations.AlterField(
            model_name="offer",
            name="sender",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="members.organisation",
                verbose_name="offering organisation",
            ),
        ),
        migrations.AddConstraint(
            model_name="offer",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("is_joint", True), ("sender__isnull", True)),
                    models.Q(("is_joint", False), ("sender__isnull", False)),
                    _connector="OR",
                ),
                name="disaster_offer_joint_or_sender",
            ),
        ),
        migrations.AddField(
            model_name="offer",
            name="version",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RenameField(
            model_name="dispatch", old_name="ward", new_name="sender"
        ),
        migrations.AlterField(
            model_name="dispatch",
            name="sender",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="members.organisation",
                verbose_name="sending organisation",
            ),
        ),
    ]
