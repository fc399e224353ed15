import importlib
import os

import pytest
from django.apps import apps
from django.db import connection

from config.database_url import database_url as url_of


@pytest.fixture
def committed(transactional_db):
    """A database whose writes commit, so other processes see them.

    Each flush empties the tables, so the rows the data migrations made
    (board categories, disaster work types) are made again.
    """
    for name in [
        "boards.migrations.0002_default_categories",
        "boards.migrations.0004_category_thread_types",
        "disaster_support.migrations.0002_work_types",
    ]:
        for operation in importlib.import_module(name).Migration.operations:
            operation.code(apps, None)


def database_url(name=None):
    """A DATABASE_URL for the test database (or another on the same server)."""
    return url_of(connection.settings_dict, name=name)


def site_environment(**extra):
    """The environment a manage.py process needs to work on the test database."""
    return {**os.environ, "DATABASE_URL": database_url(), **extra}
