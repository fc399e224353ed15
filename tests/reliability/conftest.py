import os

import pytest
from django.db import connection

from config.database_url import database_url as url_of
from tests.migration_rows import make_migration_rows


@pytest.fixture
def committed(transactional_db):
    """A database whose writes commit, so other processes see them.

    Each flush empties the tables, so the rows the data migrations made
    (board categories, disaster work types) are made again.
    """
    make_migration_rows()


def database_url(name=None):
    """A DATABASE_URL for the test database (or another on the same server)."""
    return url_of(connection.settings_dict, name=name)


def site_environment(**extra):
    """The environment a manage.py process needs to work on the test database."""
    return {**os.environ, "DATABASE_URL": database_url(), **extra}
