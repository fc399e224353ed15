"""The site's caches (CACHES in config/settings.py) and a Redis that may fail.

Two aliases, so that nothing a visitor can make many of can push out what
keeps accounts safe:

    default   allauth's sign-in, password-reset and two-factor rate limits
              and its used-TOTP-code marks (allauth reads them from the
              default alias). Always the PostgreSQL table renkei_cache: it
              is shared by every worker and node, never evicts a live key,
              and is up whenever the site is. Only sign-in and other
              security POSTs touch it.
    pages     what can be read again from PostgreSQL: signed-in accounts
              (members/backends.py). Redis when REDIS_URL is set, else the
              table renkei_page_cache, bounded by RENKEI_PAGE_CACHE_ENTRIES.
              (Named for the rendered pages it held until they were found
              never to be served again under a live board's changes:
              docs/load-test.md.)

Sessions are not cached: they are read from PostgreSQL on each request,
so that signing out or ending a session elsewhere can never be undone by a
cache that missed the delete.
"""

import logging
from functools import partial
from time import monotonic

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# How long a Redis client waits to connect and for an answer. A lost Redis
# costs a request at most about this long, once per RETRY_SECONDS.
REDIS_TIMEOUT_SECONDS = 0.3
# After a failure Redis is left alone this long: reads miss, writes are
# dropped, and no request waits for a timeout meanwhile.
RETRY_SECONDS = 5


def caches(*, redis_url: str | None, page_entries: int) -> dict:
    """The CACHES setting, with the pages in Redis if there is one."""
    if redis_url:
        pages = {
            "BACKEND": "config.cache.DroppableRedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "renkei",
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            },
        }
    else:
        pages = {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "renkei_page_cache",
            # Culled oldest-key-first past this count.
            "OPTIONS": {"MAX_ENTRIES": page_entries},
        }
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "renkei_cache",
            # Rate-limit keys live minutes to an hour; this many at once is
            # far past any real traffic, and only then does culling begin.
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        },
        "pages": pages,
    }


class DroppableRedisCache(RedisCache):
    """Redis for what can be had again from PostgreSQL, and may be lost.

    While Redis cannot be reached (refused, timed out, loading), reads miss
    and writes are dropped, so the site works on without it, slower. One
    warning is logged when it is lost and one when it is back. After a
    failure Redis is not tried again for OPTIONS["RETRY_SECONDS"] (default
    RETRY_SECONDS); the first call after that finds it again by itself.

    Entries must not be trusted merely for being there: a dropped delete
    leaves the old value behind. The accounts kept here are keyed by the
    change counter's sums, so an old one is never read.
    """

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        self._retry_seconds = options.pop("RETRY_SECONDS", RETRY_SECONDS)
        super().__init__(server, {**params, "OPTIONS": options})
        self._resting_until = None

    def _try(self, call, fallback):
        if self._resting_until is not None and monotonic() < self._resting_until:
            return fallback
        try:
            result = call()
        except (RedisConnectionError, RedisTimeoutError) as error:
            if self._resting_until is None:
                logger.warning(
                    "Redis cache unreachable, going on without it: %s", error
                )
            self._resting_until = monotonic() + self._retry_seconds
            return fallback
        if self._resting_until is not None:
            logger.warning("Redis cache reachable again.")
            self._resting_until = None
        return result

    def get(self, key, default=None, version=None):
        return self._try(partial(super().get, key, default, version), default)

    def get_many(self, keys, version=None):
        return self._try(partial(super().get_many, keys, version), {})

    def has_key(self, key, version=None):
        return self._try(partial(super().has_key, key, version), False)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(partial(super().add, key, value, timeout, version), False)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(partial(super().set, key, value, timeout, version), None)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(partial(super().set_many, data, timeout, version), list(data))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(partial(super().touch, key, timeout, version), False)

    def delete(self, key, version=None):
        return self._try(partial(super().delete, key, version), False)

    def delete_many(self, keys, version=None):
        return self._try(partial(super().delete_many, keys, version), None)

    def clear(self):
        return self._try(super().clear, None)
