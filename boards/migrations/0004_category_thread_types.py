from django.db import migrations

THREAD_TYPES = {
    "proposals": "proposal",
    "participation": "event",
    "pamphlets": "pamphlet",
    "pr": "publicity",
    "announcements": "announcement",
}


def set_thread_types(apps, schema_editor):
    Category = apps.get_model("boards", "Category")
    for slug, thread_type in THREAD_TYPES.items():
        Category.objects.filter(slug=slug).update(thread_type=thread_type)


class Migration(migrations.Migration):
    dependencies = [("boards", "0003_collaboration_notifications_moderation")]

    operations = [migrations.RunPython(set_thread_types, migrations.RunPython.noop)]
