"""Concord's settings. Every value a deployer may set comes from an environment variable,
parsed strictly: a malformed value stops start-up with a message naming the variable."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name, default=None):
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"Set the environment variable {name}.")
        return default
    return value


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# CONCORD_ENV=production turns on every protection a public deployment needs and refuses
# development defaults (the secret key, the host list).
ENVIRONMENT = env_str("CONCORD_ENV", "development")
if ENVIRONMENT not in ("development", "production"):
    raise ImproperlyConfigured("CONCORD_ENV must be 'development' or 'production'.")
PRODUCTION = ENVIRONMENT == "production"

if PRODUCTION:
    SECRET_KEY = env_str("CONCORD_SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("CONCORD_SECRET_KEY must be at least 50 characters.")
    # The master secret behind PbR participant pseudonyms (keyed hashes of case references):
    # kept outside the database, so a copy of the tables cannot be matched back to people.
    PSEUDONYM_KEY = env_str("CONCORD_PSEUDONYM_KEY")
    if len(PSEUDONYM_KEY) < 32:
        raise ImproperlyConfigured("CONCORD_PSEUDONYM_KEY must be at least 32 characters.")
    ALLOWED_HOSTS = env_list("CONCORD_ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Set CONCORD_ALLOWED_HOSTS (comma-separated host names).")
    DEBUG = False
else:
    SECRET_KEY = env_str(
        "CONCORD_SECRET_KEY", "development-only-key-never-use-in-production-0123456789abcdef"
    )
    PSEUDONYM_KEY = env_str(
        "CONCORD_PSEUDONYM_KEY", "development-only-pseudonym-key-never-use-in-production"
    )
    ALLOWED_HOSTS = env_list("CONCORD_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
    DEBUG = env_bool("CONCORD_DEBUG", True)

# The key that seals the audit chain (consortium.audit). Keep it outside the database and its
# backups: whoever holds both could rewrite history undetectably.
if PRODUCTION:
    CONCORD_AUDIT_KEY = env_str("CONCORD_AUDIT_KEY")
    if len(CONCORD_AUDIT_KEY) < 32:
        raise ImproperlyConfigured("CONCORD_AUDIT_KEY must be at least 32 characters.")
    if CONCORD_AUDIT_KEY == SECRET_KEY:
        raise ImproperlyConfigured("CONCORD_AUDIT_KEY must differ from CONCORD_SECRET_KEY.")
else:
    CONCORD_AUDIT_KEY = env_str(
        "CONCORD_AUDIT_KEY", "development-only-audit-key-never-use-in-production"
    )
    if len(CONCORD_AUDIT_KEY) < 32:
        raise ImproperlyConfigured("CONCORD_AUDIT_KEY must be at least 32 characters.")

CSRF_TRUSTED_ORIGINS = env_list("CONCORD_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "simple_history",
    "django_tables2",
    "django_filters",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "django_tasks",
    "django_tasks_db",
    # The API's docs page (/api/v1/docs) and its script, served from Concord's static files.
    "ninja",
    "consortium",
    "funding",
    "contracts",
    "supervision",
    "risks",
    # The demo consortium (`manage.py seed_demo`), built with the sample data's factories.
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "consortium.security.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "consortium.middleware.ConsortiumScopeMiddleware",
    # Inside the consortium's fence: the page it renders reads the person's menu.
    "consortium.middleware.NotAllowedPageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    # After axes, so a locked-out person is told so rather than sent for a code.
    "consortium.twofactor.TwoFactorMiddleware",
    # /api/v1/: a bearer key stands for the person, fenced to the key's consortium.
    "consortium.api.ApiKeyMiddleware",
    "csp.middleware.CSPMiddleware",
    "consortium.security.PermissionsPolicyMiddleware",
]

ROOT_URLCONF = "concord.urls"
WSGI_APPLICATION = "concord.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "consortium.context_processors.concord",
            ],
        },
    },
]

# SQLite is the embedded default; DATABASE_URL (postgres://…) switches to PostgreSQL.
DATA_DIR = Path(env_str("CONCORD_DATA_DIR", str(BASE_DIR / "var")))
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must be a postgres:// URL.")
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "concord.sqlite3",
            # IMMEDIATE transactions and WAL keep concurrent writers from failing with
            # "database is locked".
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background work: Django's task framework (django-tasks, the backport of Django 6's
# django.tasks) with its database backend, so the queue lives in the same database as
# everything else and `manage.py db_worker` processes on any number of machines share it. The
# tests run tasks in the request (the immediate backend) except one that starts a real worker.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def env_cache(name, default):
    """A cache from a URL: redis://host:6379/0 (or rediss://) for Redis, db://table for a
    table in the database, locmem:// for this process only."""
    value = os.environ.get(name) or default
    scheme, _, rest = value.partition("://")
    if scheme in ("redis", "rediss") and rest:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": value}
    if scheme == "db" and rest.isidentifier():
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": rest}
    if scheme == "locmem" and not rest:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    raise ImproperlyConfigured(
        f"{name} must be redis://host:port/db, rediss://…, db://table_name or locmem://, "
        f"not {value!r}."
    )


# One cache for every process (charts, pack PDFs): Redis or a database table in production,
# where several processes serve; this process's memory for the demo and the tests.
CACHES = {
    "default": env_cache("CONCORD_CACHE_URL", "db://concord_cache" if PRODUCTION else "locmem://")
}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Lock an account (per username and address) after repeated failed sign-ins.
AXES_FAILURE_LIMIT = env_int("CONCORD_LOGIN_FAILURE_LIMIT", 5)
CONCORD_LOGIN_COOLOFF_MINUTES = env_int("CONCORD_LOGIN_COOLOFF_MINUTES", 30)
AXES_COOLOFF_TIME = CONCORD_LOGIN_COOLOFF_MINUTES / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Wrong second-factor codes count as failed sign-ins too. The count is cleared when a sign-in
# is complete (after the second factor, where the person has one), not when the password alone
# is right: otherwise signing in again with a known password would reset the count of codes.
AXES_RESET_ON_SUCCESS = False
AXES_ENABLED = env_bool("CONCORD_LOGIN_LOCKOUT", True)
if PRODUCTION and not AXES_ENABLED:
    raise ImproperlyConfigured(
        "CONCORD_LOGIN_LOCKOUT cannot be turned off in production: without it a password can "
        "be guessed without limit."
    )
if not 1 <= AXES_FAILURE_LIMIT <= 20:
    raise ImproperlyConfigured("CONCORD_LOGIN_FAILURE_LIMIT must be between 1 and 20.")
# Password-reset emails: at most this many an hour to one address, and from one client
# address (the rest are not sent; the page says the same either way, and the log records it).
CONCORD_PASSWORD_RESETS_PER_ADDRESS = env_int("CONCORD_PASSWORD_RESETS_PER_ADDRESS", 3)
CONCORD_PASSWORD_RESETS_PER_CLIENT = env_int("CONCORD_PASSWORD_RESETS_PER_CLIENT", 10)
# Attempts are listed per deployment, not per consortium: keep them out of the admin.
AXES_ENABLE_ADMIN = False

# The members' API (/api/v1/): requests one API key may make a minute (more answer 429).
CONCORD_API_REQUESTS_PER_MINUTE = env_int("CONCORD_API_REQUESTS_PER_MINUTE", 120)
if CONCORD_API_REQUESTS_PER_MINUTE < 1:
    raise ImproperlyConfigured("CONCORD_API_REQUESTS_PER_MINUTE must be at least 1.")

# Two-factor sign-in (django-otp; consortium.twofactor). Sensitive acts ask for a fresh code
# when the last one is older than this.
CONCORD_FRESH_FACTOR_MINUTES = env_int("CONCORD_FRESH_FACTOR_MINUTES", 15)
if not 1 <= CONCORD_FRESH_FACTOR_MINUTES <= 24 * 60:
    raise ImproperlyConfigured("CONCORD_FRESH_FACTOR_MINUTES must be between 1 and 1440.")
OTP_TOTP_ISSUER = env_str("CONCORD_TOTP_ISSUER", "Concord")
# A code may be one 30-second step early or late (phone clocks drift); each code works once.
OTP_TOTP_TOLERANCE = 1
# Passkeys and security keys (WebAuthn, django-otp-webauthn) as a second factor. The relying
# party ID is the domain passkeys are bound to (changing it later orphans every passkey); the
# browser must show Concord at one of the allowed origins (https://, or http://localhost).
OTP_WEBAUTHN_RP_ID = env_str("CONCORD_WEBAUTHN_RP_ID", "localhost")
OTP_WEBAUTHN_RP_NAME = env_str("CONCORD_WEBAUTHN_RP_NAME", "Concord")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    "CONCORD_WEBAUTHN_ORIGINS",
    [f"https://{OTP_WEBAUTHN_RP_ID}"] if PRODUCTION else ["http://localhost:8000"],
)
# A passkey is a second factor after the password, never a way to sign in without one.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_HELPER_CLASS = "consortium.passkeys.ConcordWebAuthnHelper"

SESSION_COOKIE_AGE = env_int("CONCORD_SESSION_MINUTES", 8 * 60) * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content Security Policy (django-csp): scripts, styles, images and fonts from Concord itself
# only; no inline script or style, no third-party origin, no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Browser features no page of Concord uses are switched off; passkeys may be used by Concord
# itself.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), "
    "publickey-credentials-get=(self), publickey-credentials-create=(self)"
)

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("CONCORD_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("CONCORD_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("CONCORD_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

EMAIL_BACKEND = env_str("CONCORD_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("CONCORD_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("CONCORD_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("CONCORD_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("CONCORD_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("CONCORD_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("CONCORD_FROM_EMAIL", "concord@localhost")
# Where Concord is served, for the links in reminder emails.
CONCORD_SITE_URL = env_str("CONCORD_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True
FORMAT_MODULE_PATH = ["concord.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
if not PRODUCTION:
    # Whitenoise warns at start-up when the collected-files folder is missing.
    STATIC_ROOT.mkdir(exist_ok=True)
    # Serve the front end straight from its folders, with or without DEBUG: the demo runs
    # without DEBUG so that it shows Concord's own error pages.
    WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Files Concord prepares for one person (large list downloads): kept out of the static and
# media folders, sent only through a view that checks who asks, and removed after a day.
PRIVATE_FILES_DIR = Path(env_str("CONCORD_PRIVATE_FILES_DIR", str(DATA_DIR / "private")))
STORAGES["private"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": PRIVATE_FILES_DIR, "base_url": None},
}
# A list download with more rows than this is prepared in the background (a task) and
# fetched when ready, so no web process is held for more than a couple of seconds.
CONCORD_DOWNLOAD_BACKGROUND_ROWS = env_int("CONCORD_DOWNLOAD_BACKGROUND_ROWS", 10000)
if CONCORD_DOWNLOAD_BACKGROUND_ROWS < 1:
    raise ImproperlyConfigured("CONCORD_DOWNLOAD_BACKGROUND_ROWS must be at least 1.")
# How long a prepared file is kept.
CONCORD_DOWNLOAD_KEEP_HOURS = env_int("CONCORD_DOWNLOAD_KEEP_HOURS", 24)

# The API (/api/v1/): the largest request body taken (1,000 claim lines fit well within it).
CONCORD_API_MAX_BODY_BYTES = env_int("CONCORD_API_MAX_BODY_BYTES", 1024 * 1024)

FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DJANGO_TABLES2_TEMPLATE = "partials/_table.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "govuk-table"}

# The runway headlines the first month secured income falls by more than this share.
CONCORD_RUNWAY_CLIFF_PERCENT = env_int("CONCORD_RUNWAY_CLIFF_PERCENT", 25)
# Horizons (days) at which expiry dates raise alerts.
try:
    CONCORD_EXPIRY_HORIZONS = sorted(
        (int(d) for d in env_list("CONCORD_EXPIRY_HORIZONS", ["180", "90", "30"])), reverse=True
    )
except ValueError:
    raise ImproperlyConfigured(
        "CONCORD_EXPIRY_HORIZONS must be whole numbers of days, e.g. 180,90,30."
    ) from None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("CONCORD_LOG_LEVEL", "WARNING")},
}
