"""Pages served again from the cache while nothing they show has changed.

Someone who reloads the board, goes back to a category, opens the same
thread page or runs the same search again is given the page rendered the
first time, as long as nothing it shows can have changed since: the key
holds the change counter's sums (members/common/changes.py), the content sum and
the person's own, read in the page's transaction before it is rendered. It
also holds the session and the CSRF secret (a page carries its own form
tokens), the language and the date (fiscal years).

Entries are the person's own, never a role's: a page of a category only
some read (boards.permissions.can_read_category) cannot reach anyone
else, and a change of who reads it moves the content sum, so the next
request is checked again.

Pages are kept in the "pages" cache (config/cache.py), apart from the
sign-in rate limits, so that however many pages are stored none of those
is pushed out.

Nothing is served from the cache while a message waits to be shown, and a
page that showed a message, set a cookie, changed the session or used a CSP
nonce is not stored.
"""

import hashlib
import logging

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.http import HttpResponse
from django.utils import timezone, translation

from members.common.changes import sums

# "hit" and "miss" at DEBUG, for the load test's hit rate (bench.load).
logger = logging.getLogger(__name__)


def enabled():
    return settings.RENKEI_PAGE_CACHE_SECONDS > 0


def page_key(request):
    # Read when the account was (members.backends): the page is rendered
    # after that, so it shows at least what these sums stand for.
    content, personal = getattr(request.user, "change_sums", None) or sums(
        request.user.pk
    )
    parts = (
        request.get_full_path(),
        request.user.pk,
        request.session.session_key or "",
        csrf_secret(request),
        translation.get_language(),
        timezone.localdate().isoformat(),
        content,
        personal,
    )
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()
    return f"page:{digest}"


def csrf_secret(request):
    return request.META.get("CSRF_COOKIE", "")


def may_serve(request):
    return (
        enabled()
        and request.method == "GET"
        and request.user.is_authenticated
        and not len(messages.get_messages(request))
    )


def may_store(request, response, secret):
    return (
        response.status_code == 200
        and not response.cookies
        # A page that made a new CSRF secret or changed the session carries
        # what the next request's key would not match.
        and csrf_secret(request) == secret
        and not request.session.modified
        and not len(messages.get_messages(request))
        and not getattr(request, "_csp_nonce", None)
    )


class CachedPageMixin:
    """Serve the person's GET from the cache while its sums are unchanged.

    A view with side effects that must happen on every visit, not only when
    the page is rendered, does them in prepare_page(): it runs first, on a
    hit too, and its writes count in the sums the key is made of.
    """

    def prepare_page(self):
        pass

    def dispatch(self, request, *args, **kwargs):
        self.prepare_page()
        if not may_serve(request):
            return super().dispatch(request, *args, **kwargs)
        key, secret = page_key(request), csrf_secret(request)
        if (entry := caches["pages"].get(key)) is not None:
            logger.debug("hit")
            response = HttpResponse(entry["content"])
            for header, value in entry["headers"]:
                response.headers[header] = value
            return response
        logger.debug("miss")
        response = super().dispatch(request, *args, **kwargs)
        if hasattr(response, "add_post_render_callback"):
            response.add_post_render_callback(
                lambda rendered: store(request, rendered, key, secret)
            )
        return response


def store(request, response, key, secret):
    if may_store(request, response, secret):
        entry = {"content": response.content, "headers": list(response.items())}
        caches["pages"].set(key, entry, settings.RENKEI_PAGE_CACHE_SECONDS)
