"""Benchmarks: seed a large board and time the key pages.

    python -m bench.seed      # fill the database (default 1,000,000 posts)
    python -m bench.measure   # time the pages, count their queries

`make bench` runs both against a private PostgreSQL in var/bench-postgres;
docs/operations.md ("Benchmarks") explains the options.
"""

import os


def setup_django():
    """Configure Django for a script run with `python -m bench.<name>`."""
    import django
    from django.apps import apps

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not apps.ready:
        django.setup()
