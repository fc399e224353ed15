import os
import shutil

import pytest

from tests.migration_rows import make_migration_rows

# The authorisation tests' small world of organisations, people and rows,
# which the accessibility run signs in to as each role.
from tests.security.conftest import world  # noqa: F401

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_collection_modifyitems(items):
    if CHROMIUM is None and os.environ.get("CI") == "true":
        raise pytest.UsageError(
            "CI runs the browser tests: install Chromium (apt-get install chromium)."
        )
    for item in items:
        if "tests/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)
            if CHROMIUM is None:
                item.add_marker(pytest.mark.skip(reason="Chromium is not installed"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "ja-JP"}


@pytest.fixture(autouse=True)
def _board_categories(transactional_db):
    """Browser tests commit, and each flush empties the tables: the board's
    categories and the disaster work types, made by data migrations, are made
    again for every test."""
    make_migration_rows()
