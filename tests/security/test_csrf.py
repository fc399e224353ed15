"""Issue 7: no state-changing request is accepted without a CSRF token.

Every named URL the resolver lists (the project's, Django admin's and
allauth's) is sent POST, PUT, PATCH and DELETE from a browser that holds a
CSRF cookie but sends no token, as someone who would otherwise be allowed
(see ALLOWED_ROLE). Each must be refused by the CSRF check (403, logged by
django.security.csrf) and change no row. A URL added later is covered
without editing this module; if its arguments cannot be built,
test_every_url_can_be_requested fails and names it.

The one deliberate exemption is the one-click unsubscribe link of
notification mails (RFC 8058), whose signed token is the proof.
"""

import hashlib
import logging

import pytest
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.contrib import admin
from django.core import mail
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from members.models import User
from tests.factories import PASSWORD

from .test_authorisation_matrix import LOGIN, MATRIX, outcome

UNSAFE_METHODS = ("post", "put", "patch", "delete")
CSRF_EXEMPT = {"boards:notification_unsubscribe": "RFC 8058 one-click unsubscribe"}
SECRET = "s" * 32  # a well-formed CSRF cookie value, held by the browser
ALLOWED = {200, 302}
# allauth pages used before signing in.
SIGNED_OUT_FLOWS = (
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_confirm_email",
    "account_request_login_code",
    "account_confirm_login_code",
    "mfa_authenticate",
)

# Arguments of third-party URLs, by name (project URLs use MATRIX).
ARGUMENT_VALUES = {
    "object_id": lambda w: str(w.org_a.pk),
    "app_label": lambda w: "members",
    "content_type_id": lambda w: "1",
    "key": lambda w: "a-guessed-key",
    "uidb36": lambda w: "1",
    "pk": lambda w: str(w.org_a.pk),
}


# ----- enumeration -----


def _argument_names(pattern):
    converters = getattr(pattern, "converters", {})
    return set(converters) | set(pattern.regex.groupindex)


def _walk(patterns, namespace="", arguments=frozenset()):
    for entry in patterns:
        names = arguments | _argument_names(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner, names)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", names


def url_patterns():
    """{name: argument names} for every named URL."""
    found = {}
    for name, arguments in _walk(get_resolver().url_patterns):
        found.setdefault(name, arguments)
    return found


def url_for(world, name, arguments):
    if name in MATRIX:
        return reverse(name, kwargs=MATRIX[name][0](world))
    return reverse(name, kwargs={arg: ARGUMENT_VALUES[arg](world) for arg in arguments})


def allowed_role(name):
    """Whoever the authorisation matrix lets through, preferring a POST."""
    if name.startswith("admin:"):
        return "office"
    if name.startswith(SIGNED_OUT_FLOWS):
        return "anon"
    if name not in MATRIX:
        return "a"
    methods = MATRIX[name][1]
    for method in ("POST", "GET"):
        for role in ("a", "ward", "office", "b", "anon"):
            if methods.get(method, {}).get(role) in ALLOWED:
                return role
    return "a"


def _client(world, role):
    client = Client(enforce_csrf_checks=True)
    if role != "anon":
        client.force_login(world.users[role])
    client.cookies["csrftoken"] = SECRET
    return client


def _database_state():
    """A hash of every row in the database, less what reading writes."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        opts = model._meta
        if opts.label_lower in {"sessions.session", "boards.readstate"}:
            continue
        fields = [
            f.attname
            for f in opts.concrete_fields
            if f.attname not in {"last_login", "read_at", "last_seen_at"}
        ]
        rows = model.objects.order_by("pk").values_list(*fields)
        digest.update(opts.label_lower.encode() + repr(list(rows)).encode())
    return digest.hexdigest()


def _csrf_refusals(caplog):
    return [r for r in caplog.records if r.name == "django.security.csrf"]


def _problems(world, caplog, names):
    patterns = url_patterns()
    requests = [
        (name, url_for(world, name, patterns[name]), allowed_role(name))
        for name in names
    ]
    # Signing in writes rows (the session list), so it happens first.
    clients = {role: _client(world, role) for _name, _url, role in requests}
    before = _database_state()
    problems = []
    for name, url, role in requests:
        for method in UNSAFE_METHODS:
            caplog.clear()
            response = getattr(clients[role], method)(url)
            if response.status_code != 403 or len(_csrf_refusals(caplog)) != 1:
                problems.append(
                    f"{method.upper()} {name} ({url}) as {role}: "
                    f"{response.status_code}, not refused by the CSRF check"
                )
    if _database_state() != before:
        problems.append("the database changed")
    return problems


@pytest.fixture
def csrf_log(caplog):
    caplog.set_level(logging.WARNING, logger="django.security.csrf")
    return caplog


# ----- the tests -----


def test_every_url_can_be_requested(world):
    unbuildable = []
    for name, arguments in url_patterns().items():
        try:
            url_for(world, name, arguments)
        except (KeyError, NoReverseMatch) as error:
            unbuildable.append(f"{name}: {error!r}")
    assert unbuildable == [], "Add argument values for: " + "; ".join(unbuildable)


def _family(prefixes):
    return sorted(
        name
        for name in url_patterns()
        if name.startswith(prefixes) and name not in CSRF_EXEMPT
    )


PROJECT = (
    "members:",
    "boards:",
    "calendar:",
    "inquiries:",
    "disaster_support:",
    "home",
    "healthz",
    "join",
)
ALLAUTH = ("account_", "mfa_", "usersessions_")


@pytest.mark.parametrize(
    "prefixes", [PROJECT, ("admin:",), ALLAUTH], ids=["project", "admin", "allauth"]
)
def test_unsafe_requests_without_a_token_are_refused(world, csrf_log, prefixes):
    names = _family(prefixes)
    assert names
    problems = _problems(world, csrf_log, names)
    assert problems == [], "\n".join(problems)


def test_every_url_belongs_to_a_family():
    families = (*PROJECT, "admin:", *ALLAUTH)
    stray = [
        name
        for name in url_patterns()
        if not name.startswith(families) and name not in CSRF_EXEMPT
    ]
    assert stray == []


def test_the_project_urls_that_accept_posts_are_among_those_tried():
    accepting = {
        name
        for name, (_kwargs, methods) in MATRIX.items()
        if any(value != 405 for value in methods.get("POST", {}).values())
    }
    assert accepting - set(CSRF_EXEMPT) <= set(_family(PROJECT))
    assert len(accepting) >= 40


def test_a_valid_token_is_what_lets_a_post_through(world):
    """The control: with a token, the same POSTs do what the matrix says."""
    problems = []
    for name, (kwargs_of, methods) in sorted(MATRIX.items()):
        role = allowed_role(name)
        expected = methods.get("POST", {}).get(role)
        if expected not in ALLOWED or name in CSRF_EXEMPT:
            continue
        client = _client(world, role)
        url = reverse(name, kwargs=kwargs_of(world))
        # Each POST is undone, so that the next starts from the same rows.
        with transaction.atomic():
            got = outcome(client.post(url, {"csrfmiddlewaretoken": SECRET}))
            transaction.set_rollback(True)
        if got != expected:
            problems.append(f"POST {name} as {role} with a token: {got}")
    assert problems == [], "\n".join(problems)


def test_a_wrong_token_or_a_foreign_origin_is_refused(world, csrf_log):
    url = reverse("boards:thread_watch", args=[world.thread.pk])
    client = _client(world, "b")
    wrong = client.post(url, {"csrfmiddlewaretoken": "t" * 32})
    foreign = client.post(
        url, {"csrfmiddlewaretoken": SECRET}, headers={"Origin": "https://evil.example"}
    )
    assert (wrong.status_code, foreign.status_code) == (403, 403)
    assert len(_csrf_refusals(csrf_log)) == 2


def test_the_unsubscribe_link_needs_its_signed_token(world):
    url = reverse("boards:notification_unsubscribe", args=["not-a-signed-token"])
    client = Client(enforce_csrf_checks=True)
    before = _database_state()
    response = client.post(url)
    assert response.status_code == 400
    assert _database_state() == before


# ----- the most harmful requests, with realistic bodies -----


def _admin_actions(world):
    """Every admin action of every model, as the office would send it."""
    request = RequestFactory().get("/admin/")
    request.user = world.users["office"]
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        row = model.objects.order_by("pk").first()
        if row is None:
            continue
        for action in model_admin.get_actions(request):
            yield (
                reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
                {"action": action, "_selected_action": [row.pk], "post": "yes"},
            )


def test_admin_actions_without_a_token_are_refused(world, csrf_log):
    client = _client(world, "office")
    actions = list(_admin_actions(world))
    assert len(actions) >= 10
    before = _database_state()  # after signing in, which writes rows
    for url, data in actions:
        response = client.post(url, data)
        assert response.status_code == 403, (url, data["action"])
    assert len(_csrf_refusals(csrf_log)) == len(actions)
    assert _database_state() == before


def test_admin_edits_and_deletes_without_a_token_are_refused(world):
    client = _client(world, "office")
    a2 = world.a2
    change = reverse("admin:members_user_change", args=[a2.pk])
    delete = reverse("admin:members_organisation_delete", args=[world.org_b.pk])
    assert client.post(change, {"email": a2.email, "is_active": ""}).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert User.objects.get(pk=a2.pk).is_active
    assert type(world.org_b).objects.filter(pk=world.org_b.pk).exists()


def test_signing_in_without_a_token_is_refused(world):
    client = _client(world, "anon")
    response = client.post(
        reverse("account_login"),
        {"login": world.users["a"].email, "password": PASSWORD},
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_signing_out_without_a_token_is_refused(world):
    client = _client(world, "a")
    assert client.post(reverse("account_logout")).status_code == 403
    assert outcome(client.get(reverse("boards:home"))) == 200


def test_changing_the_password_without_a_token_is_refused(world):
    client = _client(world, "a")
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a-new-password-2026",
            "password2": "a-new-password-2026",
        },
    )
    assert response.status_code == 403
    assert User.objects.get(pk=world.users["a"].pk).check_password(PASSWORD)


def test_a_password_reset_without_a_token_sends_no_mail(world):
    client = _client(world, "anon")
    response = client.post(
        reverse("account_reset_password"), {"email": world.users["a"].email}
    )
    assert response.status_code == 403
    assert mail.outbox == []


def test_adding_an_email_address_without_a_token_is_refused(world):
    client = _client(world, "a")
    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "evil@example.jp"}
    )
    assert response.status_code == 403
    assert (
        not world.users["a"].emailaddress_set.filter(email="evil@example.jp").exists()
    )


def test_two_factor_cannot_be_switched_without_a_token(world):
    client = _client(world, "office")
    for name in ("mfa_activate_totp", "mfa_deactivate_totp"):
        assert client.post(reverse(name), {"code": "123456"}).status_code == 403
    assert not Authenticator.objects.filter(user=world.users["office"]).exists()


def test_other_sessions_cannot_be_ended_without_a_token(world):
    user = world.users["a"]
    UserSession.objects.create(
        user=user, ip="192.0.2.1", session_key="x" * 32, user_agent="test"
    )
    client = _client(world, "a")
    response = client.post(reverse("usersessions_list"), {"action": "logout"})
    assert response.status_code == 403
    assert UserSession.objects.filter(session_key="x" * 32).exists()


def test_signed_out_visitors_cannot_post_either(world):
    client = _client(world, "anon")
    response = client.post(reverse("join"), {})
    assert response.status_code == 403
    assert outcome(client.get(reverse("boards:home"))) == LOGIN
