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
