"""Production settings plus the benchmark's floor view (bench/urls.py)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
