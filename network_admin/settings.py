"""Settings for network_admin, read from the environment (see README, "Configuration")."""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Optional local overrides; the real environment always wins.
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))

DEBUG = env.bool("DEBUG", default=False)
# A missing key must stop a production server, but a developer with DEBUG on gets a throwaway one.
SECRET_KEY = env.str("SECRET_KEY") if not DEBUG else env.str("SECRET_KEY", default="dev-only")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_countries",
    "django_htmx",
    "hijack",
    "axes",
    "network_admin",
    "customers",
    "memberships",
    "payments",
    "sites",
    "events",
]

MIDDLEWARE = [
    # First, so that even a request refused before it reaches a view (a wrong Host, an oversized
    # body) is answered with the policy and the frame ban.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language comes from the language cookie (set by the header switch and, at login, from the
    # admin's saved preference), else from Accept-Language, else English.
    "django.middleware.locale.LocaleMiddleware",
    "network_admin.middleware.TimeZoneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Django's deny-by-default LoginRequiredMiddleware, answering htmx requests with HX-Redirect.
    "network_admin.middleware.LoginRequiredMiddleware",
    # Marks a switched-to user (`user.is_hijacked`) and adds the "Switch back" banner.
    "hijack.middleware.HijackUserMiddleware",
    "customers.middleware.LastSeenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "network_admin.replica_routing.ReplicaRoutingMiddleware",
    # A row deleted by someone else mid-request answers 404, not 500.
    "network_admin.middleware.VanishedObjectMiddleware",
    # Last: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "network_admin.urls"
WSGI_APPLICATION = "network_admin.wsgi.application"

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
                "network_admin.context_processors.navigation",
            ],
            # A `{% url %}` without arguments reversed once: network_admin/templatetags/urls.py.
            "builtins": ["network_admin.templatetags.urls"],
        },
    },
]

# Forms render through Jinja2 (Django's own widget templates): see network_admin/renderers.py.
FORM_RENDERER = "network_admin.renderers.FormRenderer"

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Template fragments that are the same for many requests (base.html's sidebar), kept in
    # each process: a shared cache would cost a network round trip to save a fraction of one.
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments",
    },
}

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# PostgreSQL's JIT compiler pays off on long analytical queries; the app's queries take a few
# milliseconds, and a site search whose cost the planner overestimated spent 84 ms compiling
# itself for an 18 ms run. Sessions start with it off (unless the URL sets `options`).
POSTGRES_SESSION_OPTIONS = "-c jit=off"
# Every page runs the same few statements (the session, the user, its lists' queries) with new
# values: PostgreSQL keeps the plan of a statement a connection has run five times (psycopg's
# prepared statements, which need server-side parameter binding) instead of planning it again,
# 0.3-1.2 ms a query here. Off for a connection pooler in transaction mode that can't keep them
# (PgBouncer before 1.21, or without max_prepared_statements): docs/deployment.md.
DB_PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", default=True)


def postgresql_options(options: dict) -> dict:
    """A PostgreSQL database's OPTIONS with our defaults where the URL doesn't set them."""
    defaults = {"options": POSTGRES_SESSION_OPTIONS}
    if DB_PREPARED_STATEMENTS:
        defaults |= {"server_side_binding": True, "prepare_threshold": 5}
    return defaults | options


if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A new PostgreSQL connection costs ~40 ms here: keep connections open and check them on reuse.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["OPTIONS"] = postgresql_options(DATABASES["default"].get("OPTIONS", {}))
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions let the dev server's threads write without "database is
    # locked" errors.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # SQLite builds the lists' covering indexes without their INCLUDE columns, which only
    # PostgreSQL's index-only plans need (see Membership.Meta.indexes).
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
# PostgreSQL streaming replicas: read-only pages read from a healthy one, everything else from the
# primary (network_admin/db_router.py, docs/deployment.md).
DATABASE_REPLICAS = []
for number, url in enumerate(env.list("DATABASE_REPLICA_URLS", default=[]), start=1):
    DATABASE_REPLICAS.append(f"replica{number}")
    DATABASES[f"replica{number}"] = env.db_url_config(url) | {
        "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=600),
        "CONN_HEALTH_CHECKS": True,
        # Tests read the primary's test database through it rather than create one.
        "TEST": {"MIRROR": "default"},
    }
    # A replica that doesn't answer at once is skipped: don't wait long for it.
    DATABASES[f"replica{number}"]["OPTIONS"] = postgresql_options(
        {"connect_timeout": 2} | DATABASES[f"replica{number}"].get("OPTIONS", {})
    )
DATABASE_ROUTERS = ["network_admin.db_router.ReplicaRouter"]
# After writing, a browser reads from the primary for this long (read-your-writes); keep it above
# REPLICA_MAX_LAG_SECONDS plus the 2 s between health checks.
REPLICA_PIN_SECONDS = env.float("REPLICA_PIN_SECONDS", default=5)
# A replica further behind than this is skipped.
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=3)

AUTH_USER_MODEL = "customers.User"
# django-axes checks every login attempt first (it needs the request: our login view passes it).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "network_admin.backends.PermissionsBackend",
]
# Failed logins are throttled per username *and* IP: a flood against one account locks out that
# account from that address only, never everyone behind the same proxy, and nobody can lock an
# admin out from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
# The same client address the rest of the app sees (trusted proxies only).
AXES_CLIENT_IP_CALLABLE = "network_admin.client.client_ip"
AXES_LOCKOUT_CALLABLE = "network_admin.throttling.locked_out"
# Switch to: only admins with the permission, only to active customers (never staff).
HIJACK_PERMISSION_CHECK = "customers.switching.may_switch"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
LANGUAGES = [("en", _("English")), ("id", _("Indonesian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

NETWORK_CURRENCY = env.str("NETWORK_CURRENCY", default="USD").upper()

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# In development, serve files straight from static/ without collectstatic.
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "network_admin.storage.StaticFilesStorage"
    },
}

MAILERS = {
    "default": {
        "BACKEND": env.str(
            "MAIL_BACKEND",
            default="django.core.mail.backends.console.EmailBackend"
            if DEBUG
            else "django.core.mail.backends.smtp.EmailBackend",
        ),
    }
}
if MAILERS["default"]["BACKEND"].endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env.str("SMTP_HOST", default="localhost"),
        "port": env.int("SMTP_PORT", default=587),
        "username": env.str("SMTP_USERNAME", default=""),
        "password": env.str("SMTP_PASSWORD", default=""),
        "use_tls": env.bool("SMTP_USE_TLS", default=True),
    }
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="network-admin@localhost")

MESSAGE_TAGS = {40: "error", 30: "warning", 25: "success", 20: "info", 10: "debug"}

# Security headers. Everything renders from our own origin, so the policy can be strict.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Django's database sessions, read without building an ORM query on every request.
SESSION_ENGINE = "network_admin.sessions"
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Load balancers check health over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if SESSION_COOKIE_SECURE:
    # The __Host- prefix makes browsers refuse the cookie unless it is Secure, for this host
    # only and for every path: no subdomain or plain-HTTP page can plant or overwrite it.
    SESSION_COOKIE_NAME = "__Host-sessionid"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# No form here comes near these; a bigger request is refused with 400 before any view runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 0

# How many reverse proxies (load balancer, nginx) stand in front of the app servers. Client IPs
# in X-Forwarded-For are trusted only that far (see network_admin/client.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes narrates every login at INFO; its warnings (failures, lockouts) are what matter.
    "loggers": {"axes": {"level": "WARNING"}},
}
