"""Settings for Renkei, read from the environment (see docs/operations.md)."""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config.cache import caches as renkei_caches

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false).")


def env_int(name, default):
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number.") from None


def env_list(name, default=""):
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


# ----- CORE -----

DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value "
            "(or set DJANGO_DEBUG=1 for local development)."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DJANGO_DEBUG"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django_tasks_db",
    "members",
    "boards",
    "disaster_support",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.NulQueryMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "members.middleware.NoStoreForMembersMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "members.middleware.ConcreteUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "members.middleware.StaffTwoFactorMiddleware",
    "members.middleware.MembershipMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "members.context_processors.roles",
                "boards.context_processors.unread_notifications",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# ----- DATABASES -----

# `make demo` and `make test` start a private PostgreSQL and set DATABASE_URL
# when it is unset; the default only serves tools run outside them.
DATABASES = {
    "default": dj_database_url.config(
        default="postgres://postgres@localhost:5432/renkei",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL.")
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5

# A streaming read replica of the same database (optional). Read-only pages
# are read from it while it is in recovery and no more than
# RENKEI_REPLICA_MAX_LAG_SECONDS behind, measured at most every
# RENKEI_REPLICA_CHECK_SECONDS per process; a person who just wrote reads the
# primary until the replica has replayed the write (config/db_router.py).
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
RENKEI_REPLICA_MAX_LAG_SECONDS = env_int("RENKEI_REPLICA_MAX_LAG_SECONDS", 5)
RENKEI_REPLICA_CHECK_SECONDS = env_int("RENKEI_REPLICA_CHECK_SECONDS", 2)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=60, conn_health_checks=True
    )
    if not DATABASES["replica"]["ENGINE"].endswith("postgresql"):
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must point at PostgreSQL.")
    # Never ATOMIC_REQUESTS: that would connect to the replica for every
    # request, and fail them all while it is down. Short connect timeout: a
    # replica that is down costs a page at most this long per check.
    DATABASES["replica"]["ATOMIC_REQUESTS"] = False
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = 2
    # Tests without a pair read the test database through both aliases.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
        "config.db_router.ReplicaMiddleware",
    )


def process_kind(argv=None):
    """web, worker or command: what this process is, for its statement timeout.

    RENKEI_PROCESS says it outright; otherwise gunicorn and runserver serve
    the web, db_worker runs tasks, and anything else (migrate, imports, the
    tests, the benchmark tools) is a command.
    """
    if kind := os.environ.get("RENKEI_PROCESS"):
        if kind not in {"web", "worker", "command"}:
            raise ImproperlyConfigured("RENKEI_PROCESS must be web, worker or command.")
        return kind
    argv = sys.argv if argv is None else argv
    program = Path(argv[0]).name if argv else ""
    if program.startswith("gunicorn"):
        return "web"
    if program == "manage.py" and len(argv) > 1:
        return {"runserver": "web", "db_worker": "worker"}.get(argv[1], "command")
    return "command"


# No request may hold the database for long: a statement that runs past its
# process's limit is cancelled, and a web request gets the 503 page
# (config/views.py). Seconds; 0 is no limit. The worker and commands run the
# long statements (exports, imports, migrations over a million posts).
STATEMENT_TIMEOUTS = {
    "web": env_int("RENKEI_STATEMENT_TIMEOUT", 5),
    "worker": env_int("RENKEI_WORKER_STATEMENT_TIMEOUT", 300),
    "command": env_int("RENKEI_COMMAND_STATEMENT_TIMEOUT", 0),
}
RENKEI_STATEMENT_TIMEOUT = STATEMENT_TIMEOUTS[process_kind()]
for _database in DATABASES.values() if RENKEI_STATEMENT_TIMEOUT else ():
    _options = _database["OPTIONS"]
    _options["options"] = " ".join(
        [
            _options.get("options", ""),
            f"-c statement_timeout={RENKEI_STATEMENT_TIMEOUT}s",
        ]
    ).strip()

# The queries every page makes are compiled once per process and bound per
# request (members/common/prepared.py). With RENKEI_CHECK_PREPARED_QUERIES
# on, every use is also built and compiled from its real values and
# compared: the tests run with it on.
RENKEI_CHECK_PREPARED_QUERIES = env_bool("RENKEI_CHECK_PREPARED_QUERIES")
# They are also prepared on the server, once per connection, so that
# PostgreSQL plans them once. Only their cursors bind on the server (Django's
# bind on the client and are never prepared), so the threshold psycopg
# needs set to prepare at all touches nothing else. Off behind a pooler
# that cannot keep prepared statements (PgBouncer before 1.21, or without
# max_prepared_statements).
RENKEI_PREPARED_STATEMENTS = env_bool("RENKEI_PREPARED_STATEMENTS", default=True)
for _database in DATABASES.values() if RENKEI_PREPARED_STATEMENTS else ():
    _database["OPTIONS"]["prepare_threshold"] = 0

# ----- CACHE -----
# Two aliases, so that nothing a visitor can make many of can push out
# sign-in limits (config/cache.py): "default" holds allauth's rate limits and
# is always a table in PostgreSQL; "pages" holds signed-in accounts, in Redis
# when REDIS_URL is set (and going on without it while it is down), else in
# a table of its own with at most RENKEI_PAGE_CACHE_ENTRIES rows.

CACHES = renkei_caches(
    redis_url=os.environ.get("REDIS_URL"),
    page_entries=env_int("RENKEI_PAGE_CACHE_ENTRIES", 2000),
)

# How long the signed-in account is kept (members/backends.py); 0: never.
# Not kept by default when the cache is a table: reading it there costs the
# query it would save.
RENKEI_ACCOUNT_CACHE_SECONDS = int(
    os.environ.get(
        "RENKEI_ACCOUNT_CACHE_SECONDS", "600" if os.environ.get("REDIS_URL") else "0"
    )
)

# ----- APP NODES -----
# Every node behind the load balancer must have the same SECRET_KEY, the
# same RENKEI_SETTINGS_VERSION (a label of the release, e.g. its tag) and a
# clock within RENKEI_MAX_CLOCK_SKEW seconds of PostgreSQL's; a node that
# has not is refused as it starts, or leaves /healthz (config/node_checks.py).

RENKEI_SETTINGS_VERSION = os.environ.get("RENKEI_SETTINGS_VERSION", "")
RENKEI_MAX_CLOCK_SKEW = env_int("RENKEI_MAX_CLOCK_SKEW", 3)

# ----- AUTHENTICATION -----

AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = ["members.backends.AuthenticationBackend"]
_VALIDATORS = "django.contrib.auth.password_validation."
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": _VALIDATORS + "UserAttributeSimilarityValidator"},
    {"NAME": _VALIDATORS + "MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": _VALIDATORS + "CommonPasswordValidator"},
    {"NAME": _VALIDATORS + "NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "members.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = _("[23 Wards Nationwide Collaboration] ")
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    # The public membership application (members.views.applications).
    "membership_application": "5/h/ip",
    # Marking or withdrawing interest, per person and thread
    # (boards.views.collaboration).
    "interest": "6/10m/key",
}
# Behind one reverse proxy (nginx) the client address is its X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Renkei"

# Sessions are recorded at sign-in; tracking every request would cost a
# write per page view.
USERSESSIONS_TRACK_ACTIVITY = False

# Ward and office staff must turn on two-factor authentication before they
# can use anything but the two-factor set-up pages (off only in the demo).
RENKEI_REQUIRE_STAFF_MFA = env_bool("RENKEI_REQUIRE_STAFF_MFA", default=True)

# Sessions are read from the database on each request (one query by key),
# not through a cache: a cache that missed a delete while it was unreachable
# would bring a signed-out session back. members.sessions is Django's
# database store with that query compiled once per process.
SESSION_ENGINE = "members.sessions"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# ----- BACKGROUND TASKS -----
# Mail and other slow work run in `manage.py db_worker`, a second process.

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# ----- INTERNATIONALISATION -----

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "config" / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_TZ = True

# ----- STATIC AND MEDIA FILES -----

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "var" / "media"))


# Media (uploads and their thumbnails) stay on local disk under MEDIA_ROOT
# unless a bucket is named: then they go to that S3-compatible object store
# (config/bucket.py; any provider, by its endpoint). The bucket must be
# private (check --deploy says so if not); keys may be left out where the
# machine has a role that boto3 finds on its own.
def _media_s3(name, aws_name):
    return os.environ.get(f"RENKEI_MEDIA_S3_{name}") or os.environ.get(aws_name) or None


RENKEI_MEDIA_S3 = {
    "bucket_name": _media_s3("BUCKET", "AWS_STORAGE_BUCKET_NAME"),
    "endpoint_url": _media_s3("ENDPOINT_URL", "AWS_S3_ENDPOINT_URL"),
    "region_name": _media_s3("REGION", "AWS_S3_REGION_NAME"),
    "access_key": _media_s3("ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"),
    "secret_key": _media_s3("SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"),
}
STORAGES = {
    "default": (
        {"BACKEND": "config.bucket.BucketStorage", "OPTIONS": RENKEI_MEDIA_S3}
        if RENKEI_MEDIA_S3["bucket_name"]
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Board attachments (boards.attachments): size per file, files per post,
# and image limits against decompression bombs.
BOARDS_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
BOARDS_MAX_FILES_PER_POST = 5
BOARDS_MAX_IMAGE_PIXELS = 40_000_000
BOARDS_MAX_IMAGE_SIDE = 10_000

# ----- E-MAIL -----

DEFAULT_FROM_EMAIL = os.environ.get(
    "DJANGO_DEFAULT_FROM_EMAIL", "特別区全国連携プロジェクト <noreply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where links in e-mails point (mail is sent outside any request).
SITE_URL = os.environ.get("RENKEI_SITE_URL", "").rstrip("/")
if not SITE_URL:
    if not DEBUG:
        raise ImproperlyConfigured(
            "RENKEI_SITE_URL is not set. Set it to the site's address, e.g. "
            "https://renkei.example.jp, so that links in e-mails work."
        )
    SITE_URL = "http://127.0.0.1:8000"
if os.environ.get("DJANGO_EMAIL_HOST") or not DEBUG:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("DJANGO_EMAIL_HOST", "localhost"),
                "port": env_int("DJANGO_EMAIL_PORT", 25),
                "username": os.environ.get("DJANGO_EMAIL_HOST_USER", ""),
                "password": os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("DJANGO_EMAIL_USE_TLS"),
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}

# Mail from members (boards.inbound): replies to reply+<key>@ and bounces
# to bounce+<key>@ this domain reach `manage.py mail_receiver` (or the
# IMAP mailbox `manage.py mail_fetch` reads). Unset in production, mail
# goes out without reply addresses and nothing is received.
MAIL_DOMAIN = os.environ.get("RENKEI_MAIL_DOMAIN", "").strip().lower()
if not MAIL_DOMAIN and DEBUG:
    MAIL_DOMAIN = "renkei.localhost"
# A reply address works this many days after its mail went out.
MAIL_REPLY_DAYS = env_int("RENKEI_MAIL_REPLY_DAYS", 90)
# Larger mail is refused (with a reply saying so); base64 makes a 10 MB
# attachment 13.7 MB.
MAIL_MAX_BYTES = env_int("RENKEI_MAIL_MAX_BYTES", 25 * 1024 * 1024)
# The authserv-id of the MTA in front of the receiver (the first word of
# the Authentication-Results headers it adds and strips from incoming
# mail). Set, a reply whose DMARC check there failed is refused: its From
# was forged. Unset, Authentication-Results are not read.
MAIL_AUTHSERV_ID = os.environ.get("RENKEI_MAIL_AUTHSERV_ID", "").strip()
# Received messages are kept whole this long for the office to look into.
MAIL_KEEP_DAYS = env_int("RENKEI_MAIL_KEEP_DAYS", 90)

# The admin's start page counts addressed threads no ward has answered for
# this many days.
RENKEI_UNANSWERED_DAYS = env_int("RENKEI_UNANSWERED_DAYS", 7)
# Drafts of posts not saved again for this many days are deleted
# (manage.py drafts_expire).
RENKEI_DRAFT_KEEP_DAYS = env_int("RENKEI_DRAFT_KEEP_DAYS", 90)


# The yearly confirmation: reminders from 1 April, and again this many days
# later to members that have still not confirmed (send_april_confirmations).
RENKEI_CONFIRMATION_REMIND_DAYS = env_int("RENKEI_CONFIRMATION_REMIND_DAYS", 14)
MAIL_IMAP = {
    "host": os.environ.get("RENKEI_MAIL_IMAP_HOST", ""),
    "port": env_int("RENKEI_MAIL_IMAP_PORT", 993),
    "user": os.environ.get("RENKEI_MAIL_IMAP_USER", ""),
    "password": os.environ.get("RENKEI_MAIL_IMAP_PASSWORD", ""),
    "folder": os.environ.get("RENKEI_MAIL_IMAP_FOLDER", "INBOX"),
    "ssl": env_bool("RENKEI_MAIL_IMAP_SSL", True),
}

# ----- SECURITY -----

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    # Video players embedded in posts (boards.markdown).
    "frame-src": ["https://www.youtube-nocookie.com", "https://player.vimeo.com"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    # No SECURE_PROXY_SSL_HEADER: Django would believe X-Forwarded-Proto
    # from anyone. gunicorn believes it only from the proxy's addresses
    # (config/gunicorn.conf.py) and hands Django the scheme it decided.
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

# ----- LOGGING -----

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
