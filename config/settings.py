"""Settings for xinshimin: one file, driven by environment variables.

Development needs nothing: SQLite under ``var/``, and secrets generated once into ``var/``.
Production sets ``XINSHIMIN_ENV=production`` and must provide every secret through the environment.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from csp import constants as csp_constants

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("XINSHIMIN_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

ENVIRONMENT = os.environ.get("XINSHIMIN_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"
DEBUG = os.environ.get("DJANGO_DEBUG", "0" if PRODUCTION else "1") == "1"


def _dev_secrets() -> dict[str, str]:
    """Secrets for development and tests, generated once and kept in var/ (never committed)."""
    path = VAR_DIR / "dev-secrets.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    values = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_KEYS": Fernet.generate_key().decode(),
        "BLIND_INDEX_KEY": secrets.token_urlsafe(32),
        "CERTIFICATE_KEY": secrets.token_urlsafe(32),
    }
    path.write_text(json.dumps(values))
    path.chmod(0o600)
    return values


def _secret(name: str) -> str:
    value = os.environ.get(f"XINSHIMIN_{name}")
    if value:
        return value
    if PRODUCTION:
        raise RuntimeError(f"XINSHIMIN_{name} must be set in production")
    return _dev_secrets()[name]


SECRET_KEY = _secret("SECRET_KEY")
# Comma-separated Fernet keys; the first encrypts, all decrypt (key rotation).
FIELD_ENCRYPTION_KEYS = [k.strip() for k in _secret("FIELD_KEYS").split(",") if k.strip()]
# Keyed hash (HMAC-SHA256) for lookups and uniqueness of encrypted values.
BLIND_INDEX_KEY = _secret("BLIND_INDEX_KEY")
CERTIFICATE_SIGNING_KEY = _secret("CERTIFICATE_KEY")

ALLOWED_HOSTS = [
    h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "template_partials",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "ninja",  # serves /api/docs from our own static files (the CDN copy is blocked by the CSP)
    "xinshimin.core",
    "xinshimin.audit",
    "xinshimin.accounts",
    "xinshimin.workdays",
    "xinshimin.residents",
    "xinshimin.policies",
    "xinshimin.scoring",
    "xinshimin.notifications",
    "xinshimin.claims",
    "xinshimin.scenes",
    "xinshimin.welfare",
    "xinshimin.charity",
    "xinshimin.integrity",
    "xinshimin.centre",
    "xinshimin.web",
    "xinshimin.api",
    "xinshimin.security",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Security headers on every response, static files and redirects included (see "Security headers").
    "csp.middleware.CSPMiddleware",
    "xinshimin.security.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "xinshimin.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "xinshimin.security.middleware.SessionIdleMiddleware",  # 30-minute idle expiry, saved ≤ once a minute
    "django.middleware.locale.LocaleMiddleware",
    # After a welfare offer sells out: "sold out" without loading the user (xinshimin/welfare/middleware.py).
    "xinshimin.welfare.middleware.SoldOutMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Staff two-factor login: django-otp marks the session verified, ours sends unverified staff to the
    # code step (pages) or refuses them (session API calls). See xinshimin/security/middleware.py.
    "django_otp.middleware.OTPMiddleware",
    "xinshimin.security.middleware.StaffOTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "xinshimin.security.middleware.RateLimitMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "xinshimin.web.context.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'xinshimin.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:workbench"
LOGOUT_REDIRECT_URL = "web:home"

# Lock-out: one username from one address is locked after 5 failures, not the whole site.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["password", "id_number", "phone"]

# Idle sessions end after 30 minutes: the expiry moves forward with activity (security.middleware).
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = False  # SessionIdleMiddleware moves the expiry forward, at most once a minute
XINSHIMIN_SESSION_REFRESH_SECONDS = 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Security headers (django-csp; Permissions-Policy from xinshimin.security.middleware) -------------
# Nothing inline: a template that needs a tiny script writes <script nonce="{{ request.csp_nonce }}">.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", csp_constants.NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
XINSHIMIN_PERMISSIONS_POLICY = (
    "camera=(self), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)

# --- Staff two-factor login (django-otp, TOTP) --------------------------------------------------------
# Clerks, reviewers, centre admins, fund officers, auditors and every Django-admin login must enter a
# code from their authenticator app after the password; the first login enrols the app (QR code).
XINSHIMIN_REQUIRE_STAFF_OTP = os.environ.get("XINSHIMIN_REQUIRE_STAFF_OTP", "1") == "1"
OTP_TOTP_ISSUER = "瑞安新市民积分"
OTP_TOTP_THROTTLE_FACTOR = 1  # seconds, doubled after each wrong code

# --- Rate limits (xinshimin/security/ratelimit.py) ------------------------------------------------------
# "<requests>/<seconds>" per key, counted in the default cache (Redis when REDIS_URL is set: shared by
# every worker). Beyond the limit: 429 with a Chinese message and Retry-After.
XINSHIMIN_RATE_LIMITS_ENABLED = os.environ.get("XINSHIMIN_RATE_LIMITS_ENABLED", "1") == "1"
XINSHIMIN_RATE_LIMITS = {
    "login": "20/600",  # login form posts per client address (axes also locks user+address after 5 failures)
    "otp": "10/300",  # two-factor code attempts per user
    "api_anonymous": "120/60",  # API calls without a session or a valid token, per client address
    "redemption": "10/60",  # welfare redemptions per user
    "sms_code": "5/3600",  # SMS verification codes per phone number or address
    "estimate": "30/60",  # points estimates (public page and POST /api/scoring/estimate) per client address
}
# API list pages: at most 1,000 rows a request (ninja's default is unlimited; xinshimin/api/pagination.py).
NINJA_PAGINATION_MAX_LIMIT = 1000
# How many reverse proxies in front of the app append to X-Forwarded-For (0: use REMOTE_ADDR).
XINSHIMIN_PROXY_COUNT = int(os.environ.get("XINSHIMIN_PROXY_COUNT", "0"))
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # HTTPS only, for good: lets the domain be submitted to the browsers' HSTS preload list.
    SECURE_HSTS_PRELOAD = os.environ.get("DJANGO_SECURE_HSTS_PRELOAD", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Production checks: `manage.py check --deploy` runs Django's and ours (xinshimin/security/checks.py:
    # staff OTP on, a shared cache for rate limits, PostgreSQL, no unsafe CSP). Old secret keys keep
    # signed sessions valid during a key rotation (docs/operations.md).
    SECRET_KEY_FALLBACKS = [k for k in os.environ.get("XINSHIMIN_SECRET_KEY_FALLBACKS", "").split(",") if k]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "xinshimin" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
# Uploaded evidence lives outside the web root and is served only through checked views.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("XINSHIMIN_PRIVATE_MEDIA", VAR_DIR / "private"))

TASKS = {
    "default": {
        "BACKEND": os.environ.get("XINSHIMIN_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

CACHES = {
    "default": (
        {"BACKEND": "xinshimin.core.cache.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
        if os.environ.get("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# After an offer sells out, answer "sold out" from the cache (xinshimin/welfare/services.py): only with a
# cache that every worker shares.
XINSHIMIN_WELFARE_SOLD_OUT_CACHE = bool(os.environ.get("REDIS_URL"))
if os.environ.get("REDIS_URL"):
    # Sessions live in Redis when it is configured: no database write or commit to keep a session alive
    # (bench/README-welfare.md). Restarting Redis logs everyone out; nothing else is lost (docs/decisions.md).
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "xinshimin.core.logredact.RedactPersonalData"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"], "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("XINSHIMIN_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# The jurisdiction this deployment serves.
XINSHIMIN_JURISDICTION = os.environ.get("XINSHIMIN_JURISDICTION", "ruian")

# Text messages: the class path of the SMS gateway adapter (development prints to the console).
XINSHIMIN_SMS_BACKEND = os.environ.get(
    "XINSHIMIN_SMS_BACKEND", "xinshimin.notifications.sms.ConsoleSmsBackend"
)
