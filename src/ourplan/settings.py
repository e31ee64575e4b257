"""Settings, all from the environment.

Secure by default: DEBUG is off unless OURPLAN_DEBUG=1, and without OURPLAN_SECRET_KEY the project only
starts in DEBUG (with a dev key that can never reach production). SQLite in WAL mode is the embedded
default; DATABASE_URL (postgres://...) switches to PostgreSQL.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("OURPLAN_DATA_DIR", Path.cwd() / "var")).resolve()

DEBUG = env_bool("OURPLAN_DEBUG")
_DEV_KEY = "dev-only-insecure-key-never-used-with-debug-off"
SECRET_KEY = os.environ.get("OURPLAN_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "OURPLAN_SECRET_KEY is not set. Set it (50+ random characters), or set OURPLAN_DEBUG=1 for local "
            "development only."
        )
    SECRET_KEY = _DEV_KEY

ALLOWED_HOSTS = env_list("OURPLAN_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("OURPLAN_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "django_tasks",
    "django_tasks_db",
    "ourplan.core",
    "ourplan.people",
    "ourplan.clinical",
    "ourplan.fhir",
    "ourplan.recall",
    "ourplan.preparation",
    "ourplan.planning",
    "ourplan.support",
    "ourplan.documents",
    "ourplan.messaging",
    "ourplan.demo",
    "ourplan.api",
    "ourplan.sharing",
    "ourplan.coordination",
    "ourplan.review",
    "ourplan.insight",
]

# OIDC sign-in (NHS login for people, NHS CIS2 Care Identity for staff) is configured, never built in:
# see docs/decisions/0006-authentication.md. Each provider is switched on only when its client id is set.
OIDC_PROVIDERS = []
for _key, _name in (("NHS_LOGIN", "NHS login"), ("CIS2", "NHS CIS2 Care Identity")):
    _client_id = os.environ.get(f"OURPLAN_OIDC_{_key}_CLIENT_ID")
    if _client_id:
        OIDC_PROVIDERS.append(
            {
                "provider_id": _key.lower().replace("_", "-"),
                "name": _name,
                "client_id": _client_id,
                "secret": os.environ.get(f"OURPLAN_OIDC_{_key}_SECRET", ""),
                "settings": {
                    "server_url": os.environ[f"OURPLAN_OIDC_{_key}_SERVER_URL"],
                    "token_auth_method": os.environ.get(
                        f"OURPLAN_OIDC_{_key}_TOKEN_AUTH_METHOD", "private_key_jwt"
                    ),
                },
            }
        )
if OIDC_PROVIDERS:
    INSTALLED_APPS.append("allauth.socialaccount.providers.openid_connect")
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": OIDC_PROVIDERS, "OAUTH_PKCE_ENABLED": True}}
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_AUTO_SIGNUP = False

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "ourplan.core.middleware.IdleTimeoutMiddleware",
    "ourplan.core.middleware.StaffMfaMiddleware",
    "ourplan.core.middleware.AnonymousAttemptAuditMiddleware",
]

ROOT_URLCONF = "ourplan.urls"
WSGI_APPLICATION = "ourplan.wsgi.application"

TEMPLATES = [
    {
        # Jinja2 for our pages (about 10x faster here than Django templates); the NHS.UK macros come from
        # the nhsuk-frontend-jinja package. Our own templates live in <app>/jinja2/ and templates/.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "ourplan.core.jinja.environment"},
    },
    {
        # Django templates only for allauth's own pages and the few contrib pieces that need them.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates" / "django"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    },
]

DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'ourplan.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer writes; IMMEDIATE avoids "database is locked" on upgrade
    # from a read to a write transaction. A busy timeout waits for the writer instead of failing at once.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# allauth: username login, no self sign-up (people and staff are enrolled by their practice), rate-limited
# login failures, and MFA (TOTP) for staff.
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_ADAPTER = "ourplan.core.auth.AccountAdapter"
ACCOUNT_RATE_LIMITS = {"login_failed": "5/5m/ip,5/5m/key", "login": "30/m/ip"}
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Ourplan"
# Staff must have TOTP in production. Only a local demo may switch it off, and it says so when it starts.
OURPLAN_REQUIRE_STAFF_MFA = env_bool("OURPLAN_REQUIRE_STAFF_MFA", True)

# Sessions end after 30 minutes without activity and always when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("OURPLAN_SESSION_SECONDS", 30 * 60))
SESSION_SAVE_EVERY_REQUEST = False  # see core.middleware.IdleTimeoutMiddleware
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

CACHES = {
    # allauth's rate limits count in the cache. The database cache keeps counts shared across workers
    # without another service; `ourplan createcachetable` runs in `make` setup.
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "ourplan_cache",
    }
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("OURPLAN_STATIC_ROOT", DATA_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("OURPLAN_MANIFEST_STATIC", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Production hardening; `ourplan check --deploy` is clean when OURPLAN_SECRET_KEY is set and DEBUG is off.
SECURE_SSL_REDIRECT = env_bool("OURPLAN_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG and env_bool("OURPLAN_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("OURPLAN_HSTS_SECONDS", 0 if DEBUG else 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("OURPLAN_BEHIND_PROXY") else None
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("OURPLAN_LOG_LEVEL", "WARNING")},
}

# Messages: "console" prints, "file" writes to $OURPLAN_DATA_DIR/outbox, "notify" uses GOV.UK Notify.
OURPLAN_MESSAGE_BACKEND = os.environ.get("OURPLAN_MESSAGE_BACKEND", "console" if DEBUG else "file")
# Links in emails and SMS point here.
OURPLAN_BASE_URL = os.environ.get("OURPLAN_BASE_URL", "http://127.0.0.1:8000")

# The demo practice's password (local demo only; see README).
OURPLAN_DEMO_PASSWORD = os.environ.get("OURPLAN_DEMO_PASSWORD", "demo")
OURPLAN_AUDIT_READS = True
AUDIT_RETENTION = timedelta(days=8 * 365)
