"""The rows data migrations make: board categories and disaster work types.

A test whose writes commit ends with a flush, which empties every table,
these rows included; any test after it, in whatever order, must still find
them. They are made again after each such test (tests/conftest.py) and
before it, where a test needs them at once.
"""

import importlib

from django.apps import apps

DATA_MIGRATIONS = [
    "boards.migrations.0002_default_categories",
    "boards.migrations.0004_category_thread_types",
    "disaster_support.migrations.0002_work_types",
]


def make_migration_rows():
    """Run the data migrations' code again; each makes only what is missing."""
    for name in DATA_MIGRATIONS:
        for operation in importlib.import_module(name).Migration.operations:
            operation.code(apps, None)


def commits(item) -> bool:
    """Whether the test runs with committing writes, and so ends with a flush."""
    names = getattr(item, "fixturenames", ())
    if {"transactional_db", "live_server"} & set(names):
        return True
    marker = item.get_closest_marker("django_db")
    return bool(
        marker
        and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))
    )
