"""Django admin and allauth URLs, covered by name-prefix rules (issue 7).

Every admin:* and allauth (account_*, mfa_*, usersessions_*) name that the
resolver lists and that takes no arguments is requested as every role; names
that need arguments are requested for a few representative models.
"""

import pytest
from django.urls import NoReverseMatch, reverse

from .conftest import ROLES
from .test_authorisation_matrix import LOGIN, all_url_names, outcome, sign_in

SIGNED_OUT = {"anon": LOGIN, "inactive": LOGIN, "suspended": 403}


def _reversible(prefixes):
    for name in all_url_names():
        if not name.startswith(prefixes):
            continue
        try:
            yield name, reverse(name)
        except NoReverseMatch:
            continue


# ----- Django admin -----

# Admin pages that are not a model's: what ward and office staff get.
ADMIN_SITE_PAGES = {
    "admin:index": 200,
    "admin:jsi18n": 200,
    "admin:password_change": 200,
    "admin:password_change_done": 200,
    "admin:logout": 405,  # POST only
    "admin:autocomplete": 403,  # without a field to complete
    "admin:login": 302,  # already signed in: on to the admin index
}
# The CSV views of the organisation admin check is_office_staff themselves.
OFFICE_ONLY_ADMIN_VIEWS = {
    "admin:members_organisation_export",
    "admin:members_organisation_import",
    "admin:members_user_handover",
}
ADMIN_BUGS = {}


def _model_of(name):
    from django.contrib import admin

    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix):
            return model, name[len(prefix) :]
    return None, None


def expected_admin(name, role, user):
    if role in SIGNED_OUT:
        return SIGNED_OUT[role]
    if name == "admin:login":
        return 403 if role in ("a", "b") else 302
    if name == "admin:logout" and role in ("a", "b"):
        return 302  # back to the admin index, which sends them to its sign-in
    if name in OFFICE_ONLY_ADMIN_VIEWS:
        return 200 if role == "office" else 403
    if role in ("a", "b"):
        return LOGIN  # members never use admin: sent to its sign-in, which is 403
    if name in ADMIN_SITE_PAGES:
        return ADMIN_SITE_PAGES[name]
    model, view = _model_of(name)
    assert model is not None, f"No rule for {name}"
    opts = model._meta
    can = {
        action: user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
        for action in ("view", "add", "change", "delete")
    }
    if opts.label_lower == "members.directorysettings" and view == "changelist":
        # A singleton: the list goes to its change page, for those who may.
        return 302 if can["view"] or can["change"] else 403
    if opts.label_lower == "boards.moderatormailsetting" and view == "changelist":
        # Each moderator's own row: the list goes to it.
        return 302 if can["change"] else 403
    allowed = {
        "changelist": can["view"] or can["change"],
        "add": can["add"],
        "change": can["view"] or can["change"],
        "history": can["view"] or can["change"],
        "delete": can["delete"],
    }[view]
    return 200 if allowed else 403


def _admin_params():
    for name, _url in _reversible(("admin:",)):
        marks = []
        reasons = [reason for (bug, _role), reason in ADMIN_BUGS.items() if bug == name]
        if reasons:
            marks = [pytest.mark.xfail(strict=True, reason="; ".join(reasons))]
        yield pytest.param(name, marks=marks, id=name)


def _check_admin(client, world, name, url):
    problems = []
    for role in ROLES:
        sign_in(client, world, role)
        user = world.users.get(role)
        got = outcome(client.get(url))
        want = expected_admin(name, role, user)
        if got != want:
            problems.append(f"GET {name} as {role}: got {got}, expected {want}")
        elif (name, role) in ADMIN_BUGS:
            problems.append(f"KNOWN BUG {name} as {role}")
    return problems


@pytest.mark.parametrize("name", _admin_params())
def test_admin_pages_without_arguments(client, world, name):
    problems = _check_admin(client, world, name, reverse(name))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("model", "obj"),
    [
        ("members_organisation", "org_a"),
        ("members_user", "a2"),
        ("boards_thread", "hidden_thread"),
        ("boards_post", "deleted_post"),
        ("disaster_support_helprequest", "help_request"),
        ("disaster_support_dispatch", "dispatch"),
    ],
)
def test_admin_object_pages(client, world, model, obj):
    problems = []
    for view in ("change", "history", "delete"):
        name = f"admin:{model}_{view}"
        url = reverse(name, args=[world.objects[obj].pk])
        problems += _check_admin(client, world, name, url)
    assert not problems, "\n".join(problems)


# ----- allauth -----

ALLAUTH = ("account_", "mfa_", "usersessions_", "socialaccount_")
ALLAUTH_OPEN = {  # information pages: anyone
    "account_email_verification_sent",
    "account_inactive",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key_done",
}
ALLAUTH_SIGNED_OUT_ONLY = {"account_login", "account_signup"}  # signed in: 302
ALLAUTH_PENDING_FLOW = {"account_confirm_login_code", "mfa_authenticate"}


def expected_allauth(name, role):
    if name in ALLAUTH_OPEN:
        return {200}
    if name in ALLAUTH_SIGNED_OUT_ONLY:
        return {200} if role in ("anon", "inactive") else {302}
    if name in ALLAUTH_PENDING_FLOW:
        return {LOGIN} if role in ("anon", "inactive") else {302}
    if name == "account_logout":
        return {302} if role in ("anon", "inactive") else {200}
    # Everything else is about one's own account: signed in, active, member.
    if role in SIGNED_OUT:
        return {SIGNED_OUT[role]}
    # 302: reauthenticate first; 404: no authenticator to show yet.
    return {200, 302, 404}


@pytest.mark.parametrize("name", [name for name, _ in _reversible(ALLAUTH)])
def test_allauth_pages(client, world, name):
    url = reverse(name)
    problems = []
    for role in ROLES:
        sign_in(client, world, role)
        got = outcome(client.get(url))
        if got not in expected_allauth(name, role):
            problems.append(f"GET {name} as {role}: got {got}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("account_confirm_email", {"key": "guessed-key"}),
        ("account_reset_password_from_key", {"uidb36": "1", "key": "guessed-key"}),
    ],
)
def test_allauth_keys_cannot_be_guessed(client, world, name, kwargs):
    response = client.get(reverse(name, kwargs=kwargs), follow=True)
    assert response.status_code in (200, 404)
    assert world.users["a"].email not in response.content.decode()
