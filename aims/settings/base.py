"""Settings shared by every environment. Values come from the environment (django-environ)."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF

from aims.schedules import BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "simple_history",
    "axes",
    "mozilla_django_oidc",
    "csp",
    "aims",
    "aims.core",
    "aims.accounts",
    "aims.audit",
    "aims.clocks",
    "aims.notify",
    "inventory",
    "incidents",
    "capa",
    "disclosure",
    "risk",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "aims.audit.middleware.AuditSourceMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "aims.urls"
WSGI_APPLICATION = "aims.wsgi.application"

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
                "aims.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://aims:aims@127.0.0.1:5432/aims"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "aims.core.cache.FailSoftRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "aims",
        # Redis down: give up within seconds (the cache fails soft, see aims.core.cache).
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

# Rate-limit counters live in the cache. While Redis is down they cannot be counted; the public
# reporting channel then takes reports unlimited rather than refusing every reporter.
RATELIMIT_FAIL_OPEN = True

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out username + address before any password is checked,
# on the sign-in page and the admin's alike.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on over OpenID Connect, on when a client id is set (aims/accounts/oidc.py). The
# provider's endpoints are given one by one (its /.well-known/openid-configuration lists them);
# the client secret comes from the environment only. Role mappings are kept in the admin.
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_ISSUER = env("OIDC_OP_ISSUER", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", default="openid email profile")
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT", default=10)  # seconds, for each call to the provider
# The MLflow model registry (inventory.mlflow_client): seconds for each call. Credentials are
# read from MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD when a call is made.
MLFLOW_TIMEOUT_SECONDS = env.float("MLFLOW_TIMEOUT_SECONDS", default=10)
OIDC_CALLBACK_CLASS = "aims.accounts.oidc.RegisterOIDCCallbackView"
OIDC_AUTHENTICATE_CLASS = "aims.accounts.oidc.RegisterOIDCAuthenticateView"
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/"
if OIDC_RP_CLIENT_ID:
    AUTHENTICATION_BACKENDS.append("aims.accounts.oidc.RegisterOIDCBackend")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Evidence and generated documents live outside the web root and are served only through views
# that check permissions.
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# No URL serves MEDIA_ROOT: downloads go through permission-checking views only.
MEDIA_URL = "/media-not-served/"
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=50 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="aims-register@localhost")
# Absolute links in e-mails and webhooks.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# Inbound PagerDuty webhooks (v3) are accepted only when their signing secret is set (the
# subscription's secret; during a rotation PagerDuty signs with both, either one verifies).
PAGERDUTY_WEBHOOK_SECRET = env("PAGERDUTY_WEBHOOK_SECRET", default="")
# The organisation named in report drafts to authorities.
ORGANISATION_NAME = env("ORGANISATION_NAME", default="")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Brute-force protection (django-axes): after AXES_FAILURE_LIMIT failed sign-ins for one username
# from one address, that pair is locked out for the cool-off, even with the right password. The
# attempts are kept in the database (visible in the admin) so the cool-off follows the clock.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Behind a reverse proxy the client's address comes from the header the proxy sets (production
# names it in CLIENT_IP_HEADER), not from the proxy's own address.
AXES_CLIENT_IP_CALLABLE = "aims.settings.client.client_ip"
CLIENT_IP_HEADER = None

# Content-Security-Policy (django-csp 4): scripts and stylesheets only from our own static files;
# no inline script, no inline style attribute. The one exception is the <style> element pygal
# puts inside each dashboard chart, which carries the response's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "aims.core.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "aims.core.api.exceptions.api_exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "aims.core.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # Per user for authenticated clients (people, monitoring tools posting alerts, scripts with
    # tokens), per address for anonymous ones; counted in the Redis cache. A refused request gets
    # 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": [
        "aims.core.api.throttling.AnonRateThrottle",
        "aims.core.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("API_THROTTLE_USER", default="600/min"),
        "anon": env("API_THROTTLE_ANON", default="60/min"),
    },
    # How many reverse proxies stand in front of the app: the anonymous client's address is the
    # one the outermost of them saw (0: the connecting address itself).
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "AIMS Register API",
    "DESCRIPTION": (
        "AI incident management for ISO/IEC 42001: AI system inventory, incident register, "
        "evidence and audit trail. Authenticate with `Authorization: Token <key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "aims.core.api.schema.add_error_responses",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.choices.Status",
        "IncidentKindEnum": "incidents.choices.Kind",
        "TimelineKindEnum": "incidents.choices.TimelineKind",
        "EvidenceKindEnum": "incidents.choices.EvidenceKind",
        "ProtectedReportStatusEnum": "incidents.choices.ProtectedReportStatus",
        "AlertStateEnum": "incidents.choices.AlertState",
        "AlertSourceEnum": "incidents.choices.AlertSource",
        "CapaSourceEnum": "capa.choices.ActionSource",
        "ClockStateEnum": "aims.clocks.choices.ClockState",
        "DeliveryAttemptStatusEnum": "aims.notify.choices.AttemptStatus",
        "LifecycleStatusEnum": "inventory.choices.LifecycleStatus",
        "ValidationStatusEnum": "inventory.choices.ValidationStatus",
        "DisclosureAppliesEnum": "disclosure.choices.Applies",
        "BreachRiskEnum": "disclosure.choices.BreachRisk",
        "RiskStatusEnum": "risk.choices.RiskStatus",
        "RiskMethodologyStatusEnum": "risk.choices.MethodologyStatus",
        "RemediationKindEnum": "capa.choices.RemediationKind",
        "RootCauseCategoryEnum": "capa.choices.RootCauseCategory",
        "RiskCategoryEnum": "risk.choices.RiskCategory",
        "IndividualStatusEnum": "disclosure.choices.IndividualStatus",
        "NoticeChannelEnum": "disclosure.choices.NoticeChannel",
        "CapaStatusEnum": "capa.choices.ActionStatus",
        "FindingStatusEnum": "capa.choices.FindingStatus",
        "ManagementReviewStatusEnum": "capa.choices.ManagementReviewStatus",
        "CheckResultEnum": "capa.choices.CheckResult",
        "ImpactResultEnum": "risk.choices.ImpactResult",
        "ImpactStatusEnum": "risk.choices.ImpactStatus",
        "ImpactTriggerEnum": "risk.choices.ImpactTrigger",
        "RiskReviewOutcomeEnum": "risk.choices.RiskReviewOutcome",
        "DiagnosticOutcomeEnum": "capa.choices.DiagnosticOutcome",
        "DocumentKindEnum": "risk.choices.DocumentKind",
        "DocumentVersionStatusEnum": "risk.choices.DocumentVersionStatus",
        "RetentionRecordTypeEnum": "risk.choices.RetentionRecordType",
        "ReviewStatusEnum": "capa.choices.ReviewStatus",
        "ProcessFollowedEnum": "capa.choices.ProcessFollowed",
        "ReviewUpdateKindEnum": "capa.choices.ReviewUpdateKind",
    },
}

# Reports: queued or running report runs one person may have at a time (reporting.services).
REPORT_RUNS_PER_USER = env.int("REPORT_RUNS_PER_USER", default=5)
# How long GET /api/v1/incidents/{id}/case-file.pdf waits for the worker before answering 202.
CASE_FILE_WAIT_SECONDS = env.float("CASE_FILE_WAIT_SECONDS", default=5.0)

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing gives up quickly when Redis is down (bounded retries, short connect timeout): the
# database keeps the work and the next tick or sweep picks it up, so no request waits on it.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE
# Publishing never blocks a request: when the broker is down the database keeps the work.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# django-simple-history: who and what is recorded is set by aims.audit.
SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False
SIMPLE_HISTORY_REVERT_DISABLED = True
