"""Production settings with a page that runs one slow statement."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "tests.slow_site.urls"
