"""Parts of pages rendered once and shared between readers, per worker.

A fragment is kept under a key made of everything its template reads, so a
reader is only ever given HTML rendered from the very values their own
request loaded; nothing needs invalidating, and a change is simply a new
key. Fragments live in each worker's memory, bounded: a lookup costs less
than rendering, which a cache over the network would not. The board's
thread rows and posts are kept this way (boards/fragments.py), and parts of
any page through {% shared_fragment %} (members/templatetags/shared_fragments.py).
"""

import threading
from collections import OrderedDict

from django.urls import get_script_prefix
from django.utils import timezone, translation

# Per worker: about 2 KB a post and 1 KB a row, keys included.
MAX_FRAGMENTS = 4000


class Fragments:
    """A bounded least-recently-used map of rendered HTML."""

    def __init__(self, size=MAX_FRAGMENTS):
        self.size = size
        self.entries = OrderedDict()
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_render(self, key, render):
        with self.lock:
            html = self.entries.get(key)
            if html is not None:
                self.entries.move_to_end(key)
                self.hits += 1
                return html
            self.misses += 1
        html = render()
        with self.lock:
            self.entries[key] = html
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return html

    def clear(self):
        with self.lock:
            self.entries.clear()


# Parts of pages ({% shared_fragment %}): a few per page, some per
# organisation (the menu), about 1 KB each.
pieces = Fragments(size=2000)


def locale_key():
    """What every fragment's text depends on besides its row: words, dates
    and links."""
    return (
        translation.get_language(),
        timezone.get_current_timezone_name(),
        get_script_prefix(),
    )
