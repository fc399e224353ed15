"""One unread answer notification per person, thread and actor.

Earlier repeats (interest marked and withdrawn again and again) are marked
read first, keeping each group's newest, so the constraint can be added.
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Now


def read_older_repeats(apps, schema_editor):
    Notification = apps.get_model("boards", "Notification")
    unread = Notification.objects.filter(
        kind="answer", read_at__isnull=True, actor__isnull=False
    )
    newest = unread.filter(
        user=OuterRef("user"), thread=OuterRef("thread"), actor=OuterRef("actor")
    ).order_by("-created_at", "-pk")
    unread.exclude(pk=Subquery(newest.values("pk")[:1])).update(read_at=Now())


class Migration(migrations.Migration):
    dependencies = [
        ("boards", "0009_search_vector_inline"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(read_older_repeats, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "answer"), ("read_at__isnull", True)),
                fields=("user", "thread", "actor"),
                name="boards_notification_answer_unread_once",
            ),
        ),
    ]
