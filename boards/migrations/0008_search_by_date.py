"""Search recent posts through one GIN index of words and days.

The indexes are built without locking out writers (CONCURRENTLY), so a
release can migrate while people post; such a migration cannot run in a
transaction. btree_gin is a trusted extension: the database's owner may
create it.
"""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import (
    AddIndexConcurrently,
    BtreeGinExtension,
    RemoveIndexConcurrently,
)
from django.db import migrations, models

import boards.search


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("boards", "0007_clearer_labels"),
    ]

    operations = [
        BtreeGinExtension(),
        AddIndexConcurrently(
            model_name="post",
            index=django.contrib.postgres.indexes.GinIndex(
                models.F("search_vector"),
                boards.search.UTCDay("created_at"),
                name="boards_post_search_recent",
            ),
        ),
        RemoveIndexConcurrently(model_name="post", name="boards_post_search"),
        AddIndexConcurrently(
            model_name="thread",
            index=models.Index(
                fields=["id"],
                condition=models.Q(("is_hidden", True)),
                name="boards_thread_hidden",
            ),
        ),
    ]
