"""Settings for pytest: real PostgreSQL and Redis, fast password hashing, mail kept in memory."""

from .base import *  # noqa: F403
from .base import BASE_DIR, INSTALLED_APPS, REDIS_URL, env

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-0123456789abcdef"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / ".run" / "test-media"
CACHES = {
    "default": {
        "BACKEND": "aims.core.cache.FailSoftRedisCache",
        "LOCATION": env("TEST_REDIS_URL", default=REDIS_URL),
        "KEY_PREFIX": "aims-test",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}
CELERY_TASK_ALWAYS_EAGER = False
# Throttling stays on (its classes run on every API request) with rates no test run reaches; the
# throttling tests set their own low rates.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"user": "100000/min", "anon": "100000/min"},
}

# A stand-in domain app: the shared apps' tests run on its model, not on a real domain's.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]
