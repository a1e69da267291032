"""Orderloop settings.

Development defaults work with no environment at all (SQLite under ./var). Production reads everything
from the environment: set ORDERLOOP_ENV=production, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and the
EMAIL_* variables (see docs/operations.md).
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from orderloop.core.secret_key import installation_secret_key

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("ORDERLOOP_HOME", Path.cwd()))
VAR_DIR = Path(os.environ.get("ORDERLOOP_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("ORDERLOOP_ENV", "development") == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)

# --- Secret key -------------------------------------------------------------------------------------
# Signs sessions and the customers' tracking and return links. Production must be given its own; any
# other installation makes a random one on first use and keeps it in var/secret_key (core/secret_key.py).
if PRODUCTION:
    SECRET_KEY = os.environ.get("SECRET_KEY", "").strip()
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production needs its own secret key in the environment, e.g. "
            "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))') "
            "(docs/operations.md)."
        )
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
else:
    SECRET_KEY = os.environ.get("SECRET_KEY", "").strip() or installation_secret_key(VAR_DIR)
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# A refused form gets the styled 403 page of the shop or the back office (core/error_pages.py).
CSRF_FAILURE_VIEW = "orderloop.core.error_pages.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "django_htmx",
    # The loaders are set below (TEMPLATES), so the simple configuration that does not rewrite them.
    "template_partials.apps.SimpleAppConfig",
    "orderloop.core",
    "orderloop.catalog",
    "orderloop.inventory",
    "orderloop.customers",
    "orderloop.promotions",
    "orderloop.orders",
    "orderloop.intake",
    "orderloop.notifications",
    "orderloop.payments",
    "orderloop.purchasing",
    "orderloop.fulfillment",
    "orderloop.returns",
    "orderloop.shipping",
    "orderloop.storefront",
    "orderloop.backoffice",
    "orderloop.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # NUL bytes, oversized bodies, the API's JSON 404/405, 503 while the database is down (core/middleware.py).
    "orderloop.core.middleware.RequestGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # `request.htmx`: whether htmx sent the request, and its target and history-restore headers.
    "django_htmx.middleware.HtmxMiddleware",
]

if PRODUCTION:
    # Static files straight from the app server (compressed, cached forever by their hashed names).
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "orderloop.urls"
WSGI_APPLICATION = "orderloop.wsgi.application"
ASGI_APPLICATION = "orderloop.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "OPTIONS": {
            # "page.html#name" loads the partial `name` of page.html (an htmx request renders the part of
            # the page it swaps); the cached filesystem and app loaders behind it, as Django's default.
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    [
                        (
                            "django.template.loaders.cached.Loader",
                            [
                                "django.template.loaders.filesystem.Loader",
                                "django.template.loaders.app_directories.Loader",
                            ],
                        )
                    ],
                )
            ],
            # {% partialdef %} and {% partial %} in every template, like Django 6's built-in partials.
            "builtins": ["template_partials.templatetags.partials"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "orderloop.core.context_processors.ui",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------------
# SQLite is the embedded default; DATABASE_URL (postgres://...) switches to PostgreSQL.
# Lets several test runs share one machine without sharing a test database.
TEST_DB_SUFFIX = os.environ.get("TEST_DB_SUFFIX", "")
DEFAULT_SQLITE_PATH = VAR_DIR / "orderloop.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    # DATABASE_POOL=1 (8 connections) or the pool's largest size: Django's connection pool (psycopg_pool)
    # instead of a connection kept per thread. `make run` sets it: the development server starts a thread
    # per request, and 60 s persistent connections per thread added up until PostgreSQL refused clients.
    DATABASE_POOL = os.environ.get("DATABASE_POOL", "").strip().lower()
    if (
        DATABASE_POOL not in {"", "0", "false", "no", "off"}
        and "postgresql" in DATABASES["default"]["ENGINE"]
    ):
        pool_size = int(DATABASE_POOL) if DATABASE_POOL.isdigit() and int(DATABASE_POOL) > 1 else 8
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections; Django requires 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": pool_size,
            "timeout": 30,
        }
    # DATABASE_SERVER_SIDE_BINDING=1: psycopg sends values apart from the statement text (Django's
    # `server_side_binding` option), and prepares a statement a connection runs often (psycopg's
    # prepare_threshold), so PostgreSQL parses and plans it once per connection instead of once a run.
    if os.environ.get("DATABASE_SERVER_SIDE_BINDING", "").strip().lower() in {"1", "true", "yes", "on"}:
        DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DEFAULT_SQLITE_PATH)}}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Writers queue on the database lock (IMMEDIATE) instead of failing mid-transaction, readers never
    # block writers (WAL). Threaded tests need a file, not an in-memory database.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-orderloop{TEST_DB_SUFFIX}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}{TEST_DB_SUFFIX}"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Tasks ------------------------------------------------------------------------------------------
# The database backend makes the queue an outbox: a task enqueued inside a transaction commits with it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Auth -------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "backoffice:login"
LOGIN_REDIRECT_URL = "backoffice:dashboard"
LOGOUT_REDIRECT_URL = "backoffice:login"

# --- Languages --------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("uk", _("Ukrainian")),
    ("ru", _("Russian")),
    ("sv", _("Swedish")),
    ("ar", _("Arabic")),
]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
LANGUAGE_COOKIE_NAME = "orderloop_language"
# Remembered across browser restarts (a returning customer keeps their language).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# --- Static files -----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
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
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"

# --- Email ------------------------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Orderloop <shop@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "orderloop.notifications.mail.OutboxBackend"
)

# --- Security (production) --------------------------------------------------------------------------
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A refused permission is logged as one warning line, without a traceback (core/log_filters.py).
    "filters": {"permission_denied_one_line": {"()": "orderloop.core.log_filters.PermissionDeniedOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["permission_denied_one_line"]},
    },
}

# --- Orderloop --------------------------------------------------------------------------------------
ORDERLOOP: dict[str, Any] = {
    "SHOP_NAME": os.environ.get("SHOP_NAME", "Orderloop Demo Shop"),
    # The address customers reach the shop at: links in emails (order tracking, payment) are built on it.
    "SITE_URL": os.environ.get("SITE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"),
    "DEFAULT_CURRENCY": os.environ.get("DEFAULT_CURRENCY", "UAH"),
    # Stock rows with available units at or below this number are shown as low stock.
    "LOW_STOCK_THRESHOLD": int(os.environ.get("LOW_STOCK_THRESHOLD", "5")),
    "STOCK_PAGE_POLL_SECONDS": int(os.environ.get("STOCK_PAGE_POLL_SECONDS", "5")),
    "DEFAULT_COUNTRY": os.environ.get("DEFAULT_COUNTRY", "UA"),
    # Card payments (Stripe). Without a secret key the storefront does not offer card payment.
    "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
    "STRIPE_PUBLISHABLE_KEY": os.environ.get("STRIPE_PUBLISHABLE_KEY", ""),
    "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
    "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", ""),
    "STRIPE_JS_URL": os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/"),
    # Order rules (docs/order-rules.md): the free gift above an order value per currency, the
    # thank-you note in the parcel ("all", "first_order" or "none"), the shop's working days and holidays
    # for promised delivery dates.
    "FREE_GIFT": json.loads(
        os.environ.get(
            "FREE_GIFT",
            '{"sku": "GIFT-TOTE", "min_total": {"UAH": "3000", "SEK": "800", "EUR": "70"}, "channels": ["web"]}',
        )
    ),
    "THANK_YOU_NOTE": os.environ.get("THANK_YOU_NOTE", "all"),
    "WORKING_DAYS": [0, 1, 2, 3, 4],
    "HOLIDAYS": env_list("HOLIDAYS"),
    # Fulfilment (docs/fulfillment.md): orders per batch/tote cart, and the largest wave released at once.
    # The variables' earlier spelling (FULFILMENT_…) is still read where the new one is not set.
    "FULFILLMENT_BATCH_SIZE": int(
        os.environ.get("FULFILLMENT_BATCH_SIZE", os.environ.get("FULFILMENT_BATCH_SIZE", "8"))
    ),
    "FULFILLMENT_WAVE_MAX_ORDERS": int(
        os.environ.get("FULFILLMENT_WAVE_MAX_ORDERS", os.environ.get("FULFILMENT_WAVE_MAX_ORDERS", "200"))
    ),
    # Returns (docs/returns.md): the legal minimum return window per country in days ("*": every other
    # country); a policy below it is refused. RETURN_POLICY is used where no policy was saved.
    "RETURN_LEGAL_MINIMUM_DAYS": json.loads(
        os.environ.get("RETURN_LEGAL_MINIMUM_DAYS", '{"*": 14, "UA": 14, "SE": 14, "DE": 14, "PL": 14}')
    ),
    "RETURN_POLICY": json.loads(os.environ.get("RETURN_POLICY", "{}")),
    # Damaged returns go to this inactive warehouse (never sold or picked); created on first use.
    "RETURN_QUARANTINE_WAREHOUSE": os.environ.get("RETURN_QUARANTINE_WAREHOUSE", "QUARANTINE"),
    # The carrier port for return labels and tracking (returns/shipping_port.py): the carrier adapters
    # (shipping/return_port.py), falling back to the shop's own label where no carrier is configured.
    "RETURN_SHIPPING_PORT": os.environ.get(
        "RETURN_SHIPPING_PORT", "orderloop.shipping.return_port.CarrierReturnShipping"
    ),
    "RETURN_PHOTO_MAX_BYTES": int(os.environ.get("RETURN_PHOTO_MAX_BYTES", str(5 * 1024 * 1024))),
    # Product pictures (docs/catalog.md): limits of an upload, and where pages load them from: "view"
    # (the shop streams them from the default storage, cached) or "storage" (the storage's own URLs, e.g.
    # a CDN in front of an S3 bucket).
    "PRODUCT_IMAGE_MAX_BYTES": int(os.environ.get("PRODUCT_IMAGE_MAX_BYTES", str(10 * 1024 * 1024))),
    "PRODUCT_IMAGE_MAX_PIXELS": int(os.environ.get("PRODUCT_IMAGE_MAX_PIXELS", "40000000")),
    "PRODUCT_IMAGE_MAX_PER_PRODUCT": int(os.environ.get("PRODUCT_IMAGE_MAX_PER_PRODUCT", "20")),
    "PRODUCT_IMAGE_URLS": os.environ.get("PRODUCT_IMAGE_URLS", "view"),
    # Shipping (docs/shipping.md): the shop's phone on labels, and each carrier's API credentials.
    "SHOP_PHONE": os.environ.get("SHOP_PHONE", ""),
    "CARRIERS": {
        "nova_poshta": {
            "API_URL": os.environ.get("NOVA_POSHTA_API_URL", "https://api.novaposhta.ua/v2.0/json/"),
            "API_KEY": os.environ.get("NOVA_POSHTA_API_KEY", ""),
            "SENDER_REF": os.environ.get("NOVA_POSHTA_SENDER_REF", ""),
            "SENDER_CITY_REF": os.environ.get("NOVA_POSHTA_SENDER_CITY_REF", ""),
            "SENDER_ADDRESS_REF": os.environ.get("NOVA_POSHTA_SENDER_ADDRESS_REF", ""),
            "SENDER_CONTACT_REF": os.environ.get("NOVA_POSHTA_SENDER_CONTACT_REF", ""),
            "SENDER_PHONE": os.environ.get("NOVA_POSHTA_SENDER_PHONE", ""),
            "WEBHOOK_SECRET": os.environ.get("NOVA_POSHTA_WEBHOOK_SECRET", ""),
            # Returns (AdditionalService orderCargoReturn); empty refs: the carrier's first offer.
            "RETURN_ADDRESS_REF": os.environ.get("NOVA_POSHTA_RETURN_ADDRESS_REF", ""),
            "RETURN_REASON_REF": os.environ.get("NOVA_POSHTA_RETURN_REASON_REF", ""),
            "RETURN_SUBTYPE_REASON_REF": os.environ.get("NOVA_POSHTA_RETURN_SUBTYPE_REASON_REF", ""),
            "RETURN_PAYMENT_METHOD": os.environ.get("NOVA_POSHTA_RETURN_PAYMENT_METHOD", "Cash"),
        },
        "postnord": {
            "API_URL": os.environ.get("POSTNORD_API_URL", "https://api2.postnord.com"),
            "API_KEY": os.environ.get("POSTNORD_API_KEY", ""),
            "CUSTOMER_NUMBER": os.environ.get("POSTNORD_CUSTOMER_NUMBER", ""),
            "ISSUER_CODE": os.environ.get("POSTNORD_ISSUER_CODE", "Z12"),
            "WEBHOOK_SECRET": os.environ.get("POSTNORD_WEBHOOK_SECRET", ""),
            # The service return parcels are booked with (24: Return Drop Off).
            "RETURN_SERVICE_CODE": os.environ.get("POSTNORD_RETURN_SERVICE_CODE", "24"),
        },
    },
}

# --- Security: lockouts, throttles, personal documents, audit trail (docs/operations.md, "Security") ----
# Staff logins: django-axes counts failed logins per username in the database (shared by every process)
# and refuses that username, even with the right password, for the cool-off once the limit is reached.
INSTALLED_APPS += ["axes", "simple_history"]
# simple-history records who made a change from the request's user (pages, django-admin).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "simple_history.middleware.HistoryRequestMiddleware",
)
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AUTHENTICATION_BACKENDS = [
    "orderloop.backoffice.auth.StaffLockoutBackend",
    # Django's ModelBackend, answering an API token's user from the permissions read with the token.
    "orderloop.core.api_auth.PermissionsBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("STAFF_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("STAFF_LOGIN_LOCKOUT_MINUTES", "15")))
# Per username: rotating addresses or browsers does not get around it, and one office behind one NAT
# address is not locked out by one person's typos (axes.W006 asks for the address too).
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every command
AXES_LOCKOUT_CALLABLE = "orderloop.backoffice.views.login_locked_out"
# Behind proxies: how many of them append to X-Forwarded-For (the client's address is the one the first
# trusted proxy saw). 0: REMOTE_ADDR is the client.
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
if PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = PROXY_COUNT
ORDERLOOP["PROXY_COUNT"] = PROXY_COUNT
# Guess and request throttles (core/throttle.py): per scope `limit` failures (or requests) per `window`
# seconds, then `lockout` seconds of 429. THROTTLES (JSON) overrides any of them, e.g.
# '{"api": {"limit": 1200}}'; a limit of 0 turns a throttle off.
ORDERLOOP["THROTTLES"] = {
    "return_portal": {"limit": 10, "window": 900, "lockout": 900},
    "order_tracking": {"limit": 10, "window": 900, "lockout": 900},
    "customer_sign_in": {"limit": 10, "window": 900, "lockout": 900},
    "checkout": {"limit": 20, "window": 900, "lockout": 900},
    "api": {"limit": 600, "window": 60},
}
for _scope, _overrides in json.loads(os.environ.get("THROTTLES", "{}")).items():
    ORDERLOOP["THROTTLES"].setdefault(_scope, {}).update(_overrides)
# Personal documents (return labels, return photos) are kept apart from MEDIA_ROOT and served only by
# views that check a staff permission or a signed customer link; nothing publishes this directory.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))
STORAGES["documents"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT)},  # type: ignore[dict-item]
}
# Carrier webhooks (shipping): a webhook sent with X-Orderloop-Timestamp must be this fresh (its signature
# covers the time); WEBHOOK_REQUIRE_TIMESTAMP=1 refuses webhooks without one. Every delivery is taken
# once (by what was signed): a replayed one is acknowledged and ignored.
ORDERLOOP["WEBHOOK_TOLERANCE_SECONDS"] = int(os.environ.get("WEBHOOK_TOLERANCE_SECONDS", "300"))
ORDERLOOP["WEBHOOK_REQUIRE_TIMESTAMP"] = env_bool("WEBHOOK_REQUIRE_TIMESTAMP")
# --- Background processes: task workers, the scheduler, health (docs/operations.md) -----------------
ORDERLOOP.update(
    {
        # A task whose worker has not beaten for this long is put back in the queue and runs again.
        "TASK_LEASE_SECONDS": float(os.environ.get("TASK_LEASE_SECONDS", "120")),
        "WORKER_HEARTBEAT_SECONDS": float(os.environ.get("WORKER_HEARTBEAT_SECONDS", "10")),
        # A task that failed on a database error runs again, this many times at most.
        "TASK_MAX_ATTEMPTS": int(os.environ.get("TASK_MAX_ATTEMPTS", "10")),
        "SCHEDULER_POLL_SECONDS": float(os.environ.get("SCHEDULER_POLL_SECONDS", "5")),
        # {"orderloop.orders.tasks.check_sla": 30, ...}: other intervals (seconds, 0 = off) than the defaults.
        "PERIODIC_TASK_OVERRIDES": json.loads(os.environ.get("PERIODIC_TASK_SECONDS", "{}")),
        # The health endpoint answers 503 when the oldest waiting task waited longer, or the scheduler
        # has not ticked for longer, than this.
        "HEALTH_MAX_TASK_WAIT_SECONDS": float(os.environ.get("HEALTH_MAX_TASK_WAIT_SECONDS", "300")),
        "HEALTH_MAX_SCHEDULER_SILENCE_SECONDS": float(
            os.environ.get("HEALTH_MAX_SCHEDULER_SILENCE_SECONDS", "120")
        ),
    }
)
# Monitors probe /health/ on the app server directly, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
