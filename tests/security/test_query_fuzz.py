"""Issue 14: no query string makes a page fail with a server error.

Every named URL the resolver lists (the project's, Django admin's and
allauth's; arguments as in test_csrf, admin objects are rows of their own
model) is requested once by each role, through a QueryDict that records
every key the view, its forms and its template look up (``get``, ``[]``,
``getlist``, ``in``); a view that looks only at a query that is not empty
(``Form(request.GET or None)``) is asked again with one. Admin change lists
read their query as a whole, so their own parameters (paging, ordering,
search, the list filters' and the date hierarchy's) come from the change
list itself. A parameter added to a view later is found the same way.

Then each parameter a view read is sent every value of HOSTILE, alone, by
one of the roles whose view read it, the roles taking turns. The admin's
own plumbing (ADMIN_PLUMBING: pop-ups, _to_field, facets, the kept list
filters), which Django handles alike for every model, is sent every value
once per kind of admin page (change list, change form, ...), the models
taking turns. The roles turned away from a page are sent it with a hostile
query too. Nothing may answer 500.
"""

import itertools
import logging
import time
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.admin.views import main as changelist
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIRequest, get_bytes_from_wsgi
from django.forms import BaseForm
from django.http import QueryDict
from django.test import Client
from django.test.utils import ContextList
from django.urls import reverse
from django.utils.functional import cached_property

from .test_authorisation_matrix import LOGIN, outcome
from .test_csrf import url_for, url_patterns

pytestmark = pytest.mark.django_db

FUZZ_ROLES = ("anon", "a", "ward", "office")
REFUSED = {LOGIN, 403, 404, 405}

HOSTILE = {
    "negative": "-1",
    "huge": str(10**30),
    "huge in full-width digits": "９" * 30,  # int() reads these
    "last possible year": "9999",
    "not a number": "NaN",
    "NUL": "\x00",
    "not UTF-8": b"\xff\xfe",
    "last possible day": "9999-12-31",
    "first possible day": "0001-01-01",
    "no such day": "2026-02-30",
    "empty": "",
    "too long, and too many digits for int()": "9" * 5000,
    "repeated key": ["1", "2"],
}

CHANGELIST_PARAMETERS = (
    changelist.ALL_VAR,
    changelist.ORDER_VAR,
    changelist.PAGE_VAR,
    changelist.SEARCH_VAR,
    changelist.ERROR_FLAG,
    changelist.IS_POPUP_VAR,
    changelist.IS_FACETS_VAR,
    changelist.TO_FIELD_VAR,
)
ADMIN_PLUMBING = {
    changelist.ALL_VAR,
    changelist.ERROR_FLAG,
    changelist.IS_POPUP_VAR,
    changelist.IS_FACETS_VAR,
    changelist.TO_FIELD_VAR,
    "_changelist_filters",
    "_source_model",
}
PROBE = "probe-not-a-parameter"
TESTED_FOR_EMPTINESS = object()


# ----- recording what a view reads -----


class RecordingQueryDict(QueryDict):
    """A QueryDict that notes every key looked up in it."""

    read = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def _getlist(self, key, *args, **kwargs):
        self.read.add(key)
        return super()._getlist(key, *args, **kwargs)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)

    def __len__(self):
        self.read.add(TESTED_FOR_EMPTINESS)
        return super().__len__()


@pytest.fixture
def recording_get(monkeypatch):
    def get(request):
        query = get_bytes_from_wsgi(request.environ, "QUERY_STRING", "")
        return RecordingQueryDict(query, encoding=request._encoding)

    prop = cached_property(get)
    prop.__set_name__(WSGIRequest, "GET")
    monkeypatch.setattr(WSGIRequest, "GET", prop)


def _contexts(response):
    contexts = response.context
    if contexts is None:
        return []
    if not isinstance(contexts, ContextList):
        contexts = [contexts]
    return [c.flatten() if hasattr(c, "flatten") else c for c in contexts]


def _context_parameters(response):
    """Fields of forms bound to the query, and an admin change list's own."""
    names = set()
    for context in _contexts(response):
        for value in context.values():
            if isinstance(value, BaseForm) and value.data is response.wsgi_request.GET:
                names.update(value.add_prefix(name) for name in value.fields)
            if isinstance(value, changelist.ChangeList):
                names.update(CHANGELIST_PARAMETERS)
                for spec in value.filter_specs:
                    names.update(spec.expected_parameters())
                if value.date_hierarchy:
                    names.update(
                        f"{value.date_hierarchy}__{part}"
                        for part in ("year", "month", "day")
                    )
    return names


def _parameter_names(read):
    # A template asking request.GET for a method (urlencode) looks the name
    # up as a key first: that is no parameter.
    return {
        key for key in read if isinstance(key, str) and not hasattr(QueryDict, key)
    } - {PROBE}


# ----- requests -----


def every_url(world):
    """{name: URL}; an admin page of an object shows a row of its model."""
    urls = {}
    rows = {}
    for model in admin.site._registry:
        row = model._default_manager.order_by("pk").first()
        if row is not None:
            rows[f"admin:{model._meta.app_label}_{model._meta.model_name}_"] = row
    for name, arguments in url_patterns().items():
        row = next((r for p, r in rows.items() if name.startswith(p)), None)
        if arguments == {"object_id"} and row is not None:
            urls[name] = reverse(name, kwargs={"object_id": row.pk})
        else:
            urls[name] = url_for(world, name, arguments)
    return urls


def _query(parameter, value):
    values = value if isinstance(value, list) else [value]
    return urlencode([(parameter, each) for each in values])


def _admin_page_kind(name):
    """change, changelist, ... for a model's admin page; None otherwise."""
    if not name.startswith("admin:"):
        return None
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return None


class Session:
    """One browser per role, signed in for the whole run."""

    def __init__(self, world, role):
        self.role = role
        self.user = world.users.get(role)
        self.client = Client(raise_request_exception=False)
        if self.user is not None:
            self.client.force_login(self.user)

    def get(self, url, query=""):
        path = f"{url}?{query}" if query else url
        response = self.client.get(path)
        if response.status_code == 429:
            # A rate limit must not stand in for the view.
            cache.clear()
            response = self.client.get(path)
        # A request refused before the session is read has no user.
        user = getattr(response.wsgi_request, "user", self.user)
        if self.user is not None and user != self.user:
            # A page signed the person out: sign in again and resend.
            self.client.force_login(self.user)
            response = self.client.get(path)
        return response

    def discover(self, url):
        """The response to a plain request and the parameters the view read."""
        RecordingQueryDict.read = set()
        response = self.get(url)
        read = RecordingQueryDict.read
        names = _context_parameters(response)
        if TESTED_FOR_EMPTINESS in read:
            RecordingQueryDict.read = set()
            names |= _context_parameters(self.get(url, _query(PROBE, "1")))
            read |= RecordingQueryDict.read
        return response, names | _parameter_names(read)


# Every page, every parameter, every role in one run: minutes, not seconds,
# and more when another worker shares the machine.
@pytest.mark.timeout(1200)
def test_no_query_string_makes_a_page_fail(world, uncached, recording_get, caplog):
    caplog.set_level(logging.CRITICAL, logger="django")
    sessions = {role: Session(world, role) for role in FUZZ_ROLES}
    urls = every_url(world)
    failures = []
    readers = {}  # (name, parameter) -> roles whose view read it
    refused = {}  # name -> roles turned away
    started = time.monotonic()

    def send(name, role, query):
        response = sessions[role].get(urls[name], query)
        if response.status_code >= 500:
            failures.append(
                f"{name} as {role}: {response.status_code} with ?{query[:100]}"
            )

    # Every role asks for every page once, showing what each view reads.
    for name, url in sorted(urls.items()):
        for role, session in sessions.items():
            response, names = session.discover(url)
            if response.status_code >= 500:
                failures.append(f"{name} as {role}: {response.status_code}")
            if outcome(response) in REFUSED:
                refused.setdefault(name, []).append(role)
                continue
            for parameter in names:
                readers.setdefault((name, parameter), []).append(role)
    discovered = time.monotonic()

    # Each parameter alone, with each hostile value.
    groups = {}
    for (name, parameter), roles in sorted(readers.items()):
        kind = _admin_page_kind(name)
        key = (kind, parameter) if parameter in ADMIN_PLUMBING and kind else name
        groups.setdefault((key, parameter), []).append((name, roles))
    turn = itertools.count()
    sent = 0
    for (_, parameter), pages in groups.items():
        for index, value in enumerate(HOSTILE.values()):
            name, roles = pages[index % len(pages)]
            send(name, roles[next(turn) % len(roles)], _query(parameter, value))
            sent += 1

    # Whoever is turned away is turned away cleanly, whatever the query.
    parameters = {}
    for name, parameter in readers:
        parameters.setdefault(name, []).append(parameter)
    values = itertools.cycle(HOSTILE.values())
    for name, roles in sorted(refused.items()):
        value = next(values)
        query = "&".join(_query(p, value) for p in parameters.get(name, [PROBE]))
        for role in roles:
            send(name, role, query)
            sent += 1

    print(
        f"{len(urls)} URLs, {len(readers)} URL parameters, {sent} requests; "
        f"discovery {discovered - started:.0f}s, "
        f"fuzz {time.monotonic() - discovered:.0f}s"
    )
    assert not failures, "Server errors:\n" + "\n".join(failures)
