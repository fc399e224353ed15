from django.db import migrations

# The five uses of the board from the project's newsletter, the office's
# announcements and a catch-all; the office can change them in admin.
CATEGORIES = [
    ("proposals", "連携・交流事業の提案", "東京23区等に新たな連携・交流事業を提案します。", "members"),
    ("participation", "イベント・事業への参加", "東京23区等が実施するイベントや事業への参加を申し出ます。", "members"),
    ("publicity", "施策・事業の周知", "自治体の施策や事業を広く周知します。", "members"),
    ("pamphlets", "パンフレット配布", "自治体のパンフレットを東京23区等で配布する依頼です。", "members"),
    ("pr", "広報誌・広報動画のPR", "自治体の広報誌や広報動画を紹介します。", "members"),
    ("announcements", "お知らせ", "事務局・特別区からのお知らせです。", "staff"),
    ("other", "その他", "上記に当てはまらない話題です。", "members"),
]


def create_categories(apps, schema_editor):
    Category = apps.get_model("boards", "Category")
    for order, (slug, name, description, starters) in enumerate(CATEGORIES, start=1):
        Category.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "starters": starters,
                "order": order * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("boards", "0001_initial")]

    operations = [migrations.RunPython(create_categories, migrations.RunPython.noop)]
