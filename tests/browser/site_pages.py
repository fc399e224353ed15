"""Every page of the site, with the roles that may open it, for the axe run.

Nothing is listed twice: the site's own URL names and the kwargs to reverse
them come from the authorisation matrix (tests/security), and a page is
checked as each role the matrix expects a 200 from on GET. Django admin's
pages come from the admin site's registry and the model admins' own
permission checks. Only allauth's pages, which the matrix covers by a
prefix rule, are listed here (ACCOUNT_PAGES), with the URLs that are not
HTML pages (SKIPPED). test_every_page_is_checked fails on any other name.
"""

import datetime

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from boards.models import RealisedCollaboration
from boards.services import moderation
from disaster_support import damage_services
from disaster_support import services as disaster_services
from disaster_support.models import SupportMoney, WorkType
from members.models import DirectorySettings, ProfileChange
from members.services import applications
from tests import factories
from tests.security.test_authorisation_matrix import MATRIX, all_url_names

# The roles of the matrix that the axe run signs in as, and a superuser for
# the admin pages that no role's permissions open.
ROLES = ("anon", "a", "ward", "office", "superuser")

# URL names that answer with something other than an HTML page, or whose
# page is reached only part-way through a flow checked by its own test.
SKIPPED = {
    "healthz": "plain text for the load balancer",
    "members:directory_map": "SVG image",
    "disaster_support:map_base": "SVG image",
    "boards:attachment_download": "file download",
    "boards:attachment_thumbnail": "image",
    "boards:realised_export": "CSV download",
    "boards:attendee_export": "CSV/Excel download",
    "calendar:feed": "iCalendar feed",
    "inquiries:answer_sheet": "Excel download",
    "inquiries:export": "Excel/CSV download",
    "inquiries:attachment_download": "file download",
    "inquiries:answer_file_download": "file download",
    "disaster_support:export": "CSV/Excel download",
    "disaster_support:snapshot_export": "CSV/Excel download",
    "disaster_support:agreement_document": "PDF download",
    "admin:members_organisation_export": "CSV download",
    "admin:boards_inboundmail_raw": "a received message (.eml) download",
    "admin:jsi18n": "JavaScript catalogue",
    "admin:autocomplete": "JSON for the admin's select boxes",
    "admin:view_on_site": "redirect to the object's page",
    "admin:logout": "POST only",
    "admin:login": "redirects to allauth's sign-in page (account_login)",
    "admin:members_membershipapplication_approve": "POST only",
    "mfa_download_recovery_codes": "text file download",
    "mfa_authenticate": "second sign-in step: test_two_factor_sign_in_step",
    "account_set_password": "redirects: every account has a password",
    "account_confirm_login_code": "redirects: sign-in by mailed code is off",
}

# allauth's pages: name -> (roles, kwargs builder taking the world).
ACCOUNT_PAGES = {
    "account_login": (("anon",), None),
    "account_signup": (("anon",), None),
    "account_inactive": (("anon",), None),
    "account_reset_password": (("anon",), None),
    "account_reset_password_done": (("anon",), None),
    "account_reset_password_from_key": (
        ("anon",),
        lambda w: {
            "uidb36": user_pk_to_url_str(w.users["b"]),
            "key": default_token_generator.make_token(w.users["b"]),
        },
    ),
    "account_reset_password_from_key_done": (("anon",), None),
    "account_confirm_email": (
        ("anon",),
        lambda w: {
            "key": EmailConfirmationHMAC(
                EmailAddress.objects.get(user=w.users["b"])
            ).key
        },
    ),
    "account_email_verification_sent": (("anon",), None),
    "account_logout": (("a",), None),
    "account_email": (("a",), None),
    "account_change_password": (("a",), None),
    "account_reauthenticate": (("a",), None),
    "usersessions_list": (("a",), None),
    # Member A has no second factor, office staff have one.
    "mfa_index": (("a", "office"), None),
    "mfa_activate_totp": (("a",), None),
    "mfa_deactivate_totp": (("office",), None),
    "mfa_generate_recovery_codes": (("office",), None),
    "mfa_view_recovery_codes": (("office",), None),
    "mfa_reauthenticate": (("office",), None),
}

# Admin pages a model admin adds in its own get_urls(): name -> (model,
# whether the URL takes the object's pk). They need the change permission.
ADMIN_EXTRA = {
    "admin:members_organisation_import": ("members.organisation", False),
    "admin:members_user_handover": ("members.user", False),
    "admin:members_membershipapplication_reject": (
        "members.membershipapplication",
        True,
    ),
    # The moderation steps of boards.admin, each a page with a reason.
    **{
        f"admin:boards_thread_{step}": ("boards.thread", True)
        for step in [
            "hide",
            "restore",
            "lock",
            "unlock",
            "pin",
            "unpin",
            "move",
            "split",
            "merge",
        ]
    },
    **{
        f"admin:boards_post_{step}": ("boards.post", True)
        for step in ["hide", "restore"]
    },
    **{
        f"admin:boards_report_{step}": ("boards.report", True)
        for step in ["hide", "resolve", "dismiss"]
    },
}


def complete_world(world):
    """Rows the security world lacks, so every admin change page has one."""
    w = world.objects
    users = world.users
    users["superuser"] = superuser = factories.make_user(
        email="root@example.jp", organisation=w["office_org"]
    )
    superuser.is_superuser = True
    superuser.save(update_fields=["is_superuser"])
    TOTP.activate(users["office"], generate_totp_secret())
    RecoveryCodes.activate(users["office"])
    moderation.report_create(post=w["b_reply"], reporter=users["a"], reason="重複")
    applicant = factories.make_organisation(
        name="輪島市", membership_status="applying", prefecture=w["ishikawa"]
    )
    applications.application_confirm(
        application=applications.application_submit(
            organisation=applicant,
            department="企画課",
            contact_person="能登 花子",
            email="wajima@example.jp",
            phone="0768-22-2211",
            purpose="災害支援の連携",
        )
    )
    DirectorySettings.load()
    ProfileChange.objects.create(
        organisation=w["org_a"],
        text="観光と防災の連携先を探しています。",
        submitted_by=users["a"],
    )
    for role in ("ward", "office", "superuser"):
        moderation.moderator_mail_set(user=users[role], reports=True)
    entered = RealisedCollaboration.objects.create(
        title="職員の相互派遣",
        field="disaster",
        realised_on=datetime.date(2024, 6, 1),
        created_by=users["office"],
    )
    entered.wards.add(w["ward_org"])
    # A category only a group reads, and one only the wards read.
    group = factories.make_organisation_group(organisations=[w["org_a"]])
    factories.make_category(slug="hokuriku", readers="group", reader_group=group)
    factories.make_category()
    # A sign-in makes a sign-in record; the device list needs its own row.
    client = Client()
    client.force_login(users["a"])
    UserSession.objects.create(
        user=users["a"],
        ip="192.0.2.1",
        session_key=client.session.session_key,
        user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
    )
    disaster = w["disaster"]
    disaster_services.money_create(
        disaster=disaster,
        actor=users["office"],
        kind=SupportMoney.Kind.RECONSTRUCTION,
        payer=w["ward_org"],
        recipient=w["org_a"],
        amount=1_000_000,
        paid_on=datetime.date(2024, 2, 1),
    )
    disaster_services.goods_create(
        disaster=disaster,
        actor=users["office"],
        item="毛布",
        quantity=200,
        unit="枚",
        payer=w["ward_org"],
        recipient=w["org_a"],
        sent_on=datetime.date(2024, 1, 20),
    )
    apps.get_model("django_tasks_database", "DBTaskResult").objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="members.tasks.send_confirmation_reminders",
        backend_name="default",
        run_after=datetime.datetime(2024, 4, 1, tzinfo=datetime.UTC),
        exception_class_path="",
        traceback="",
    )
    # The disaster's own damage point weights, so their admin pages exist.
    damage_services.weights_update(disaster=disaster, actor=users["office"], half=30)
    # 千代田区's 受援計画, one row of each list.
    plan = factories.make_reception_plan(ward=w["ward_org"], by=users["ward"])
    plan.needs.create(
        work_type=WorkType.objects.order_by("pk").first(), people=10, days=14
    )
    plan.sites.create(
        kind="lodging", name="区立体育館", address="千代田区内神田2-1-8", capacity=60
    )
    plan.partners.create(rank=1, organisation=w["org_a"], note="友好都市協定")
    return world


# ----- the site's own pages, from the authorisation matrix -----


def _matrix_pages(world, role):
    for name, (kwargs_of, methods) in MATRIX.items():
        if name in SKIPPED or methods.get("GET", {}).get(role) != 200:
            continue
        yield name, reverse(name, kwargs=kwargs_of(world))


def _account_pages(world, role):
    for name, (roles, kwargs_of) in ACCOUNT_PAGES.items():
        if role in roles:
            kwargs = kwargs_of(world) if kwargs_of else {}
            yield name, reverse(name, kwargs=kwargs)


# ----- Django admin -----


def _admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _admin_pages_for(user):
    """(name, url) of each admin page the user may open."""
    site = admin.site
    request = _admin_request(user)
    if not site.has_permission(request):
        return
    yield "admin:index", reverse("admin:index")
    yield "admin:password_change", reverse("admin:password_change")
    yield "admin:password_change_done", reverse("admin:password_change_done")
    for app in site.get_app_list(request):
        yield "admin:app_list", reverse("admin:app_list", args=[app["app_label"]])
    for model, model_admin in site._registry.items():
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        if not model_admin.has_view_or_change_permission(request):
            continue
        yield f"{prefix}_changelist", reverse(f"{prefix}_changelist")
        if model_admin.has_add_permission(request):
            yield f"{prefix}_add", reverse(f"{prefix}_add")
        # A page of a row is yielded with no URL when there is no row, so
        # that the missing row shows as a page not checked.
        obj = model_admin.get_queryset(request).order_by("pk").first()
        row = [obj.pk] if obj is not None else None
        if model_admin.has_view_or_change_permission(request, obj):
            yield f"{prefix}_change", row and reverse(f"{prefix}_change", args=row)
            yield f"{prefix}_history", row and reverse(f"{prefix}_history", args=row)
        if model_admin.has_delete_permission(request, obj):
            yield f"{prefix}_delete", row and reverse(f"{prefix}_delete", args=row)
        for name, (label, with_pk) in ADMIN_EXTRA.items():
            if label != opts.label_lower:
                continue
            if model_admin.has_change_permission(request):
                args = row if with_pk else []
                yield name, None if args is None else reverse(name, args=args)


def _admin_pages(world, role):
    if role == "anon":
        return
    user = world.users[role]
    if role != "superuser":
        yield from _admin_pages_for(user)
        return
    # The superuser opens only what none of the staff roles may.
    seen = {
        url
        for other in ("ward", "office")
        for _, url in _admin_pages_for(world.users[other])
    }
    for name, url in _admin_pages_for(user):
        if url not in seen:
            yield name, url


def pages(world, role):
    """The (URL name, path) of every page the role opens with a 200."""
    found = [
        *_matrix_pages(world, role),
        *_account_pages(world, role),
        *_admin_pages(world, role),
    ]
    return [(name, url) for name, url in dict.fromkeys(found) if url is not None]


def unchecked_url_names(world):
    """URL names that are neither checked as some role nor skipped."""
    checked = {name for role in ROLES for name, _ in pages(world, role)}
    # What answers no role with a 200 on GET (POST-only actions, redirects)
    # is not a page, nor an admin view that a model admin refuses even to a
    # superuser (an add page of rows only the site makes).
    not_pages = {
        name
        for name, (_, methods) in MATRIX.items()
        if 200 not in methods.get("GET", {}).values()
    }
    superuser_opens = {name for name, _ in _admin_pages_for(world.users["superuser"])}
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        for view in ("changelist", "add", "change", "history", "delete"):
            if f"{prefix}_{view}" not in superuser_opens:
                not_pages.add(f"{prefix}_{view}")
    return sorted(
        name
        for name in all_url_names()
        if name not in checked and name not in SKIPPED and name not in not_pages
    )
