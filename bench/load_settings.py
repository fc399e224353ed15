"""bench.settings as deployed behind one proxy, for the load test (bench.load).

bench.server passes on no DJANGO_ variables of its caller, so the two values
that differ from bench.settings are set here.
"""

import os
from pathlib import Path

from bench.settings import *  # noqa: F403

# Production runs behind one nginx with DJANGO_TRUSTED_PROXY_COUNT=1
# (docs/operations.md). Each simulated member sends its own X-Forwarded-For
# address, so the per-address sign-in limits apply to each of them as they
# would to members in their own offices, not to all of them at once.
ALLAUTH_TRUSTED_PROXY_COUNT = 1

# Files uploaded during the run go to a directory of their own, which
# bench.load checks and deletes afterwards.
MEDIA_ROOT = Path(os.environ["BENCH_LOAD_MEDIA_ROOT"])

# bench.load counts the page cache's hits and misses in this file.
if page_cache_log := os.environ.get("BENCH_PAGE_CACHE_LOG"):
    LOGGING = {
        **LOGGING,  # noqa: F405
        "formatters": {
            **LOGGING["formatters"],  # noqa: F405
            "bare": {"format": "%(message)s"},
        },
        "handlers": {
            **LOGGING["handlers"],  # noqa: F405
            "page_cache": {
                "class": "logging.FileHandler",
                "filename": page_cache_log,
                "formatter": "bare",
            },
        },
        "loggers": {
            **LOGGING["loggers"],  # noqa: F405
            "boards.page_cache": {
                "handlers": ["page_cache"],
                "level": "DEBUG",
                "propagate": False,
            },
        },
    }
