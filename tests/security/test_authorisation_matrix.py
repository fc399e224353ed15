"""Issue 7: every URL pattern × every role × each method, with the outcome.

The URL names come from the resolver, so a URL added without an entry here
(or a prefix rule for admin and allauth) fails test_every_url_is_covered.

Outcomes: an HTTP status, "login" (a redirect to the sign-in page) or 302
(a redirect anywhere else). Roles, in the order they are tried:

    anon       not signed in
    inactive   a deactivated account of org A (force_login, is_active=False)
    suspended  staff of a 休止 (suspended) organisation
    b          staff of org B, a member with no stake in org A's rows
    a          staff of org A: author of the proposal, its replies and
               attachments, the affected municipality of the help request
    ward       ward staff of 千代田区, to which the proposal is addressed and
               which made the offer and dispatch
    office     office staff (事務局)

A POST by a role that is refused must change nothing (see _fingerprint).
"""

import hashlib

import pytest
from django.apps import apps
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .conftest import ROLES

LOGIN = "login"
STATE_APPS = ("members", "boards", "disaster_support")
# Rows and fields that reading a page legitimately writes.
VOLATILE_MODELS = {"boards.readstate", "boards.boardvisit"}
VOLATILE_FIELDS = {"read_at", "last_login", "last_seen_at", "last_visit_at"}


# ----- URL enumeration -----


def _walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}{entry.namespace}:"
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def all_url_names():
    return sorted(set(_walk(get_resolver().url_patterns)))


# ----- outcome profiles -----


def profile(**outcomes):
    """Anonymous and deactivated people sign in; a 休止 organisation gets 403."""
    base = {"anon": LOGIN, "inactive": LOGIN, "suspended": 403}
    if "staff" in outcomes:  # a, b, ward, office alike
        value = outcomes.pop("staff")
        base.update(a=value, b=value, ward=value, office=value)
    base.update(outcomes)
    assert set(base) == set(ROLES), base
    return base


PUBLIC = dict.fromkeys(ROLES, 200)
MEMBERS = profile(staff=200)
MEMBERS_REDIRECT = profile(staff=302)
NOT_ALLOWED = profile(staff=405)  # GET on a POST-only view (or POST on GET-only)
# Moderation views refuse non-moderators before looking at the method.
MODERATORS_NOT_ALLOWED = profile(a=403, b=403, ward=405, office=405)
OWN_ORG_A = profile(a=200, b=404, ward=404, office=200)
OWN_ORG_A_DONE = profile(a=302, b=404, ward=404, office=302)
OFFICE_ONLY = profile(a=403, b=403, ward=403, office=200)
OFFICE_ONLY_DONE = profile(a=403, b=403, ward=403, office=302)
MODERATORS = profile(a=403, b=403, ward=200, office=200)
MODERATORS_DONE = profile(a=403, b=403, ward=302, office=302)
WARDS_AND_OFFICE = MODERATORS  # ward staff and office in the disaster tracker
AUTHOR_A_ONLY = profile(a=200, b=403, ward=403, office=403)
# An inquiry the office sent to org A: others may not know it exists.
ASKED_A_ONLY = profile(a=200, b=404, ward=404, office=404)
SENDER_PAGE = profile(a=404, b=404, ward=404, office=200)
SENDER_ONLY = profile(a=404, b=404, ward=404, office=403)


def o(name):
    return lambda w: {"pk": w.objects[name].pk}


NONE = dict  # no kwargs (called with the world, returns {})


def _none(w):
    return {}


def _event(w):
    """Org A's event with sign-up open and one attendee of org B, made the
    first time a URL needs it."""
    if "event" not in w.objects:
        from tests import factories

        event = factories.make_event(author=w.users["a"], title="物産フェア")
        factories.open_registration(event=event, capacity=5)
        w.objects["event"] = event
        w.objects["attendee"] = factories.sign_up(
            event=event, actor=w.users["b"], name="金沢 花子"
        )
    return w.objects["event"]


def _feed_token(w):
    from boards import ics

    return {"token": ics.feed_token(w.users["a"])}


ORGANISER_A = profile(a=200, b=403, ward=403, office=200)


def _allocation(w):
    """Org A's damage figures and an allocation frozen on them, made the
    first time a URL needs them."""
    if "allocation" not in w.objects:
        import datetime

        from disaster_support import damage_services
        from tests import factories

        disaster = w.objects["disaster"]
        w.objects["damage_figures"] = factories.make_damage_figures(
            disaster=disaster,
            municipality=w.objects["org_a"],
            destroyed=1,
            by=w.users["office"],
        )
        w.objects["allocation"] = damage_services.allocation_freeze(
            disaster=disaster,
            total=1_000_000,
            as_of=datetime.date(2024, 1, 15),
            decided_on=datetime.date(2024, 2, 1),
            reference="第1号",
            actor=w.users["office"],
        )
    return w.objects["allocation"]


def _agreement(w):
    """An agreement of org A and the ward with its PDF, made when first needed."""
    if "agreement" not in w.objects:
        from django.core.files.uploadedfile import SimpleUploadedFile

        from tests import factories

        w.objects["agreement"] = factories.make_agreement(
            parties=[w.objects["org_a"], w.objects["ward_org"]],
            document=SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n"),
        )
    return {"pk": w.objects["agreement"].pk}


# name: (kwargs builder, {method: expected outcomes})
MATRIX = {
    # ----- config -----
    "home": (_none, {"GET": PUBLIC, "POST": dict.fromkeys(ROLES, 405)}),
    "healthz": (_none, {"GET": PUBLIC, "POST": dict.fromkeys(ROLES, 405)}),
    "join": (_none, {"GET": PUBLIC, "POST": PUBLIC}),  # empty form: 200 + errors
    "join_sent": (_none, {"GET": PUBLIC}),
    # A link that is not valid: 200 and a message saying so.
    "join_confirm": (
        lambda w: {"token": "not-a-token"},
        {"GET": PUBLIC, "POST": PUBLIC},
    ),
    "join_done": (_none, {"GET": PUBLIC}),
    # ----- members -----
    "members:directory": (_none, {"GET": MEMBERS}),
    "members:directory_map": (_none, {"GET": MEMBERS, "POST": NOT_ALLOWED}),
    "members:organisation_detail": (o("org_a"), {"GET": MEMBERS}),
    "members:organisation_contact": (o("org_a"), {"GET": OWN_ORG_A, "POST": OWN_ORG_A}),
    "members:organisation_confirm": (
        o("org_a"),
        {"GET": NOT_ALLOWED, "POST": OWN_ORG_A_DONE},
    ),
    "members:organisation_history": (o("org_a"), {"GET": OWN_ORG_A}),
    "members:organisation_profile": (
        o("org_a"),
        {"GET": OWN_ORG_A, "POST": OWN_ORG_A_DONE},
    ),
    "boards:organisation_dashboard": (
        o("org_a"),
        {"GET": OWN_ORG_A, "POST": NOT_ALLOWED},
    ),
    # Each person's own: an empty form is refused and shown again.
    "members:profile": (_none, {"GET": MEMBERS, "POST": MEMBERS}),
    "members:organisation_staff": (o("org_a"), {"GET": OWN_ORG_A, "POST": OWN_ORG_A}),
    "members:staff_deactivate": (
        lambda w: {"pk": w.org_a.pk, "user_pk": w.a2.pk},
        {"GET": NOT_ALLOWED, "POST": OWN_ORG_A_DONE},
    ),
    # ----- boards -----
    "boards:home": (_none, {"GET": MEMBERS}),
    "boards:search": (_none, {"GET": MEMBERS}),
    "boards:category": (lambda w: {"slug": "proposals"}, {"GET": MEMBERS}),
    "boards:thread_create": (
        lambda w: {"slug": "proposals"},
        {"GET": MEMBERS, "POST": MEMBERS},
    ),
    # B has replied, so its visit jumps to the first unread post (302).
    "boards:thread": (o("thread"), {"GET": profile(staff=200, b=302)}),
    "boards:reply": (o("thread"), {"GET": MEMBERS, "POST": MEMBERS}),
    "boards:post": (o("opening"), {"GET": MEMBERS_REDIRECT}),
    # Drafts are their writer's alone: A's draft is a 404 even to the office.
    "boards:draft_list": (_none, {"GET": MEMBERS}),
    "boards:draft_delete": (
        o("draft"),
        {"GET": NOT_ALLOWED, "POST": profile(a=302, b=404, ward=404, office=404)},
    ),
    "boards:post_edit": (o("reply"), {"GET": AUTHOR_A_ONLY, "POST": AUTHOR_A_ONLY}),
    "boards:post_delete": (
        o("reply"),
        {"GET": AUTHOR_A_ONLY, "POST": profile(a=302, b=403, ward=403, office=403)},
    ),
    "boards:post_history": (o("reply"), {"GET": MEMBERS}),
    "boards:answer": (
        o("thread"),
        {"GET": NOT_ALLOWED, "POST": profile(a=404, b=404, ward=302, office=404)},
    ),
    # The author's own organisation may not mark interest in its proposal.
    "boards:interest": (
        o("thread"),
        {"GET": NOT_ALLOWED, "POST": profile(staff=302, a=403)},
    ),
    "boards:proposal_status": (
        o("thread"),
        {"GET": NOT_ALLOWED, "POST": profile(a=302, b=403, ward=403, office=302)},
    ),
    # The author's organisation (and the office) keeps the details current;
    # an empty form is shown again with what is missing.
    "boards:thread_details_edit": (
        o("thread"),
        {
            "GET": profile(a=200, b=403, ward=403, office=200),
            "POST": profile(a=200, b=403, ward=403, office=200),
        },
    ),
    # Only the organisation that started the thread closes it this way.
    "boards:thread_close": (
        o("thread"),
        {"GET": NOT_ALLOWED, "POST": profile(a=302, b=403, ward=403, office=403)},
    ),
    "boards:addressed": (_none, {"GET": MEMBERS}),
    "boards:realised_export": (_none, {"GET": OFFICE_ONLY, "POST": NOT_ALLOWED}),
    "boards:attachment_download": (
        lambda w: {"pk": w.attachment.pk, "name": w.attachment.original_name},
        {"GET": MEMBERS, "POST": NOT_ALLOWED},
    ),
    "boards:attachment_thumbnail": (
        o("attachment"),
        {"GET": MEMBERS, "POST": NOT_ALLOWED},
    ),
    **{
        f"boards:{action}": (
            o("thread"),
            {"GET": MODERATORS_NOT_ALLOWED, "POST": MODERATORS_DONE},
        )
        for action in [
            "thread_hide",
            "thread_restore",
            "thread_lock",
            "thread_unlock",
            "thread_pin",
            "thread_unpin",
        ]
    },
    **{
        f"boards:{action}": (o("thread"), {"GET": MODERATORS, "POST": MODERATORS})
        for action in ["thread_move", "thread_split", "thread_merge"]
    },
    "boards:post_hide": (
        o("b_reply"),
        {"GET": MODERATORS_NOT_ALLOWED, "POST": MODERATORS_DONE},
    ),
    "boards:post_restore": (
        o("b_reply"),
        {"GET": MODERATORS_NOT_ALLOWED, "POST": MODERATORS_DONE},
    ),
    # b_reply is org B's own post: B may not report it.
    "boards:post_report": (
        o("b_reply"),
        {
            "GET": profile(a=200, b=403, ward=200, office=200),
            "POST": profile(a=200, b=403, ward=200, office=200),
        },
    ),
    "boards:notification_list": (_none, {"GET": MEMBERS}),
    "boards:notification_open": (
        o("notification"),
        {"GET": profile(a=302, b=404, ward=404, office=404)},
    ),
    "boards:notification_read_all": (
        _none,
        {"GET": NOT_ALLOWED, "POST": MEMBERS_REDIRECT},
    ),
    "boards:notification_settings": (_none, {"GET": MEMBERS, "POST": MEMBERS}),
    "boards:thread_watch": (
        o("thread"),
        {"GET": NOT_ALLOWED, "POST": MEMBERS_REDIRECT},
    ),
    "boards:category_watch": (
        lambda w: {"slug": "proposals"},
        {"GET": NOT_ALLOWED, "POST": MEMBERS_REDIRECT},
    ),
    "boards:thread_organisation_watch": (
        o("thread"),
        {"GET": NOT_ALLOWED, "POST": MEMBERS_REDIRECT},
    ),
    "boards:category_organisation_watch": (
        lambda w: {"slug": "proposals"},
        {"GET": NOT_ALLOWED, "POST": MEMBERS_REDIRECT},
    ),
    # Signed link from a mail: works without signing in, the token is the key.
    "boards:notification_unsubscribe": (
        lambda w: {"token": w.unsubscribe_token},
        {"GET": PUBLIC, "POST": PUBLIC},
    ),
    # ----- event sign-up (org A organises, org B has an attendee) -----
    "boards:registration_settings": (
        lambda w: {"pk": _event(w).thread_id},
        {"GET": ORGANISER_A, "POST": ORGANISER_A},
    ),
    # An empty form: every member is told what is missing.
    "boards:attendee_add": (
        lambda w: {"pk": _event(w).thread_id},
        {"GET": NOT_ALLOWED, "POST": MEMBERS_REDIRECT},
    ),
    "boards:attendee_list": (
        lambda w: {"pk": _event(w).thread_id},
        {"GET": ORGANISER_A},
    ),
    "boards:attendee_export": (
        lambda w: {"pk": _event(w).thread_id, "fmt": "csv"},
        {"GET": ORGANISER_A},
    ),
    # B's own attendee: B cancels it, then A and the office are told it
    # is cancelled already; the ward may not know it exists.
    "boards:attendee_cancel": (
        lambda w: _event(w) and {"pk": w.attendee.pk},
        {"GET": NOT_ALLOWED, "POST": profile(staff=302, ward=404)},
    ),
    # ----- calendar -----
    "calendar:month": (_none, {"GET": MEMBERS, "POST": NOT_ALLOWED}),
    "calendar:list": (_none, {"GET": MEMBERS, "POST": NOT_ALLOWED}),
    "calendar:feed_reissue": (
        _none,
        {"GET": NOT_ALLOWED, "POST": MEMBERS_REDIRECT},
    ),
    # A's feed: the token is the key, whoever fetches it.
    "calendar:feed": (
        _feed_token,
        {"GET": PUBLIC, "POST": dict.fromkeys(ROLES, 405)},
    ),
    # Signed link mailed to the sender of a thread by mail: theirs alone.
    "boards:mail_thread_confirm": (
        lambda w: {"token": w.mail_thread_token},
        {
            "GET": profile(a=200, b=404, ward=404, office=404),
            "POST": profile(a=302, b=404, ward=404, office=404),
        },
    ),
    # ----- disaster_support -----
    "disaster_support:home": (_none, {"GET": MEMBERS}),
    "disaster_support:disaster_create": (
        _none,
        {"GET": OFFICE_ONLY, "POST": OFFICE_ONLY},
    ),
    "disaster_support:disaster_detail": (o("disaster"), {"GET": MEMBERS}),
    "disaster_support:disaster_close": (
        o("disaster"),
        {"GET": NOT_ALLOWED, "POST": OFFICE_ONLY_DONE},
    ),
    "disaster_support:export": (
        lambda w: {"pk": w.disaster.pk, "table": "newsletter", "fmt": "csv"},
        {"GET": MEMBERS},
    ),
    # Org A is in the affected prefecture; B and the ward are not.
    "disaster_support:request_create": (
        o("disaster"),
        {
            "GET": profile(a=200, b=403, ward=403, office=200),
            "POST": profile(a=200, b=403, ward=403, office=200),
        },
    ),
    # Every member reads a request, so that any member can answer it.
    "disaster_support:request_detail": (o("help_request"), {"GET": MEMBERS}),
    "disaster_support:open_requests": (_none, {"GET": MEMBERS}),
    "disaster_support:request_status": (
        o("help_request"),
        {"GET": NOT_ALLOWED, "POST": profile(a=302, b=403, ward=403, office=302)},
    ),
    # Org A edits its own request (an empty form is shown again), as does
    # the office.
    "disaster_support:request_update": (
        o("help_request"),
        {
            "GET": profile(a=200, b=403, ward=403, office=200),
            "POST": profile(a=200, b=403, ward=403, office=200),
        },
    ),
    # Any member offers help, but not org A to itself.
    "disaster_support:offer_create": (
        o("help_request"),
        {
            "GET": profile(a=403, b=200, ward=200, office=200),
            "POST": profile(a=403, b=200, ward=200, office=200),
        },
    ),
    # The ward's own offer: the ward and the office edit it.
    "disaster_support:offer_update": (
        o("offer"),
        {"GET": WARDS_AND_OFFICE, "POST": WARDS_AND_OFFICE},
    ),
    "disaster_support:dispatch_create": (
        o("offer"),
        {"GET": WARDS_AND_OFFICE, "POST": WARDS_AND_OFFICE},
    ),
    "disaster_support:dispatch_update": (
        o("dispatch"),
        {"GET": WARDS_AND_OFFICE, "POST": WARDS_AND_OFFICE},
    ),
    "disaster_support:snapshot_publish": (
        o("disaster"),
        {"GET": NOT_ALLOWED, "POST": OFFICE_ONLY_DONE},
    ),
    "disaster_support:snapshot_detail": (o("snapshot"), {"GET": MEMBERS}),
    "disaster_support:snapshot_export": (
        lambda w: {"pk": w.snapshot.pk, "table": "newsletter", "fmt": "csv"},
        {"GET": MEMBERS},
    ),
    "disaster_support:money_create": (
        o("disaster"),
        {"GET": WARDS_AND_OFFICE, "POST": WARDS_AND_OFFICE},
    ),
    "disaster_support:goods_create": (
        o("disaster"),
        {"GET": WARDS_AND_OFFICE, "POST": WARDS_AND_OFFICE},
    ),
    # Any member: the office sees every change, others their own rows'.
    "disaster_support:change_history": (o("disaster"), {"GET": MEMBERS}),
    "disaster_support:map_base": (_none, {"GET": MEMBERS, "POST": NOT_ALLOWED}),
    # 復興支援金 by damage points: the office works it (empty POSTs come back
    # with errors), every member reads a frozen allocation.
    "disaster_support:damage": (
        o("disaster"),
        {"GET": OFFICE_ONLY, "POST": profile(a=403, b=403, ward=403, office=405)},
    ),
    "disaster_support:damage_figures_create": (
        o("disaster"),
        {"GET": OFFICE_ONLY, "POST": OFFICE_ONLY},
    ),
    "disaster_support:damage_figures_update": (
        lambda w: _allocation(w) and {"pk": w.objects["damage_figures"].pk},
        {"GET": OFFICE_ONLY, "POST": OFFICE_ONLY},
    ),
    "disaster_support:damage_weights": (
        o("disaster"),
        {"GET": OFFICE_ONLY, "POST": OFFICE_ONLY},
    ),
    "disaster_support:allocation_freeze": (
        o("disaster"),
        {
            "GET": profile(a=403, b=403, ward=403, office=405),
            "POST": OFFICE_ONLY,
        },
    ),
    "disaster_support:allocation_detail": (
        lambda w: {"pk": _allocation(w).pk},
        {"GET": MEMBERS},
    ),
    "disaster_support:allocation_pay": (
        lambda w: {"pk": _allocation(w).pk},
        {
            "GET": profile(a=403, b=403, ward=403, office=405),
            "POST": OFFICE_ONLY,
        },
    ),
    "disaster_support:agreement_list": (
        _none,
        {"GET": MEMBERS, "POST": NOT_ALLOWED},
    ),
    # An empty form comes back with its errors.
    "disaster_support:agreement_create": (
        _none,
        {"GET": OFFICE_ONLY, "POST": OFFICE_ONLY},
    ),
    "disaster_support:agreement_detail": (_agreement, {"GET": MEMBERS}),
    "disaster_support:agreement_update": (
        _agreement,
        {"GET": OFFICE_ONLY, "POST": OFFICE_ONLY},
    ),
    "disaster_support:agreement_document": (
        _agreement,
        {"GET": MEMBERS, "POST": NOT_ALLOWED},
    ),
    # An organisation's 支援・受援 over all disasters: every member reads it.
    "disaster_support:organisation_aid": (
        o("ward_org"),
        {"GET": MEMBERS, "POST": NOT_ALLOWED},
    ),
    # 受援計画: the wards and the office read them; 千代田区 and the office edit
    # 千代田区's (an empty POST shows the form's errors).
    "disaster_support:reception_list": (
        _none,
        {"GET": WARDS_AND_OFFICE, "POST": NOT_ALLOWED},
    ),
    "disaster_support:reception_detail": (o("ward_org"), {"GET": WARDS_AND_OFFICE}),
    "disaster_support:reception_edit": (
        o("ward_org"),
        {"GET": WARDS_AND_OFFICE, "POST": WARDS_AND_OFFICE},
    ),
    # ----- inquiries: the office asked org A; B and the ward are not asked -----
    "inquiries:list": (_none, {"GET": MEMBERS}),
    "inquiries:create": (_none, {"GET": MEMBERS, "POST": MEMBERS}),
    "inquiries:detail": (o("inquiry"), {"GET": OWN_ORG_A}),
    # Sent, so no longer a draft the office may change.
    **{
        f"inquiries:{name}": (o("inquiry"), {"GET": SENDER_ONLY, "POST": SENDER_ONLY})
        for name in ["edit", "questions"]
    },
    "inquiries:send": (o("inquiry"), {"GET": NOT_ALLOWED, "POST": SENDER_ONLY}),
    # Only org A answers; an empty POST saves its draft.
    "inquiries:answer": (
        o("inquiry"),
        {"GET": ASKED_A_ONLY, "POST": profile(a=302, b=404, ward=404, office=404)},
    ),
    "inquiries:answer_sheet": (
        o("inquiry"),
        {"GET": ASKED_A_ONLY, "POST": profile(a=405, b=404, ward=404, office=404)},
    ),
    "inquiries:answer_upload": (
        o("inquiry"),
        {
            "GET": profile(a=405, b=404, ward=404, office=404),
            "POST": profile(a=400, b=404, ward=404, office=404),
        },
    ),
    # Every organisation's answer is for the sender and the office only.
    "inquiries:answer_detail": (
        lambda w: {"pk": w.inquiry.pk, "organisation_pk": w.org_a.pk},
        {"GET": SENDER_PAGE},
    ),
    "inquiries:progress": (o("inquiry"), {"GET": SENDER_PAGE}),
    **{
        f"inquiries:{name}": (
            o("inquiry"),
            {"GET": NOT_ALLOWED, "POST": profile(a=404, b=404, ward=404, office=302)},
        )
        for name in ["remind", "extend", "close", "share_results"]
    },
    "inquiries:export": (
        lambda w: {"pk": w.inquiry.pk, "fmt": "xlsx"},
        {"GET": SENDER_PAGE},
    ),
    "inquiries:attachment_download": (
        lambda w: {"pk": w.inquiry.pk, "file_pk": w.inquiry_file.pk},
        {"GET": OWN_ORG_A, "POST": NOT_ALLOWED},
    ),
    "inquiries:answer_file_download": (
        lambda w: {"pk": w.inquiry.pk, "file_pk": w.answer_file.pk},
        {"GET": OWN_ORG_A, "POST": NOT_ALLOWED},
    ),
}

# Cases that show a real authorisation bug: (name, method, role) -> reason.
KNOWN_BUGS = {}

# Third-party URL families, covered by prefix rules (see the tests below).
PREFIX_RULES = ("admin:", "account_", "mfa_", "usersessions_", "socialaccount_")


# ----- helpers -----


def outcome(response):
    if response.status_code in (301, 302):
        location = response.headers["Location"]
        login = reverse("account_login")
        admin_login = reverse("admin:login")
        if location.startswith(login) or location.startswith(admin_login):
            return LOGIN
        return 302
    return response.status_code


def sign_in(client, world, role):
    client.logout()
    if role != "anon":
        client.force_login(world.users[role])


def _fingerprint():
    """A hash of every row the three apps keep, less what reading writes."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label not in STATE_APPS:
            continue
        if label in VOLATILE_MODELS:
            continue
        if label == "members.user":
            rows = model.objects.order_by("pk").values_list("pk", "is_active")
        else:
            fields = [
                f.attname
                for f in model._meta.concrete_fields
                if f.attname not in VOLATILE_FIELDS
            ]
            rows = model.objects.order_by("pk").values_list(*fields)
        digest.update(label.encode())
        digest.update(repr(list(rows)).encode())
    return digest.hexdigest()


REFUSED = {LOGIN, 403, 404, 405}


def check(client, world, name, method, expected, matrix=MATRIX):
    """Request name by method as each role; return the mismatches."""
    kwargs_of, _ = matrix[name]
    url = reverse(name, kwargs=kwargs_of(world))
    problems = []
    for role in ROLES:
        sign_in(client, world, role)
        cache.clear()  # rate limits count per test, not per role
        before = _fingerprint() if method == "POST" else None
        response = getattr(client, method.lower())(url)
        got = outcome(response)
        want = expected[role]
        bug = KNOWN_BUGS.get((name, method, role))
        if got != want:
            problems.append(f"{method} {name} as {role}: got {got}, expected {want}")
        elif bug:
            problems.append(f"KNOWN BUG {method} {name} as {role}: {bug}")
        if method == "POST" and want in REFUSED and _fingerprint() != before:
            problems.append(f"{method} {name} as {role} was refused but changed data")
    return problems


# ----- the tests -----


def test_every_url_is_covered():
    names = all_url_names()
    uncovered = [
        name
        for name in names
        if name not in MATRIX and not name.startswith(PREFIX_RULES)
    ]
    assert uncovered == [], f"URL names without an authorisation entry: {uncovered}"
    stale = sorted(set(MATRIX) - set(names))
    assert stale == [], f"Entries for URLs that no longer exist: {stale}"


def _matrix_params():
    for name in sorted(MATRIX):
        bugs = [key for key in KNOWN_BUGS if key[0] == name]
        marks = (
            [
                pytest.mark.xfail(
                    strict=True, reason="; ".join(KNOWN_BUGS[b] for b in bugs)
                )
            ]
            if bugs
            else []
        )
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", _matrix_params())
def test_authorisation_matrix(client, world, name):
    _, methods = MATRIX[name]
    problems = []
    for method, expected in methods.items():
        problems += check(client, world, name, method, expected)
    assert not problems, "\n".join(problems)


# ----- a category only the 23 wards read (区間調整) -----
#
# Members (a, b) may not know its pages exist: 404 wherever it shows. Ward
# staff and the office read it.

WARDS_ONLY = profile(a=404, b=404, ward=200, office=200)
WARDS_ONLY_REDIRECT = profile(a=404, b=404, ward=302, office=302)


@pytest.fixture
def ward_only(world):
    """A ward-only category with the ward's thread, a file and a reply."""
    from boards.services import posts
    from tests import factories

    from .conftest import _png_upload

    category = factories.make_category()
    thread = factories.make_thread(
        author=world.users["ward"], category=category.slug, title="担当区の割り振り"
    )
    reply = posts.post_reply(
        thread=thread,
        author=world.users["ward"],
        body="添付します。",
        uploads=[_png_upload()],
    )
    world.objects.update(
        ward_category=category,
        ward_thread=thread,
        ward_reply=reply,
        ward_attachment=reply.attachments.get(),
    )
    return world


WARD_ONLY_MATRIX = {
    "boards:category": (lambda w: {"slug": "ward-coordination"}, {"GET": WARDS_ONLY}),
    "boards:thread_create": (
        lambda w: {"slug": "ward-coordination"},
        {"GET": WARDS_ONLY, "POST": WARDS_ONLY},
    ),
    "boards:category_watch": (
        lambda w: {"slug": "ward-coordination"},
        {"GET": NOT_ALLOWED, "POST": WARDS_ONLY_REDIRECT},
    ),
    "boards:thread": (o("ward_thread"), {"GET": WARDS_ONLY}),
    "boards:reply": (o("ward_thread"), {"GET": WARDS_ONLY, "POST": WARDS_ONLY}),
    "boards:thread_watch": (
        o("ward_thread"),
        {"GET": NOT_ALLOWED, "POST": WARDS_ONLY_REDIRECT},
    ),
    "boards:post": (o("ward_reply"), {"GET": WARDS_ONLY_REDIRECT}),
    "boards:post_history": (o("ward_reply"), {"GET": WARDS_ONLY}),
    "boards:post_report": (
        o("ward_reply"),
        {"GET": profile(a=404, b=404, ward=403, office=200)},
    ),
    "boards:attachment_download": (
        lambda w: {"pk": w.ward_attachment.pk, "name": w.ward_attachment.original_name},
        {"GET": WARDS_ONLY},
    ),
    "boards:attachment_thumbnail": (o("ward_attachment"), {"GET": WARDS_ONLY}),
    "boards:interest": (
        o("ward_thread"),
        {"GET": NOT_ALLOWED, "POST": profile(a=404, b=404, ward=403, office=302)},
    ),
}


def test_ward_only_matrix_covers_only_board_urls():
    assert set(WARD_ONLY_MATRIX) <= set(MATRIX)


@pytest.mark.parametrize("name", sorted(WARD_ONLY_MATRIX))
def test_ward_only_category_matrix(client, ward_only, name):
    _, methods = WARD_ONLY_MATRIX[name]
    problems = []
    for method, expected in methods.items():
        problems += check(client, ward_only, name, method, expected, WARD_ONLY_MATRIX)
    assert not problems, "\n".join(problems)
