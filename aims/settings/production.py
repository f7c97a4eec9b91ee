"""Production settings. Refuses to start without its required environment variables."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False

for _name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"):
    if not env.str(_name, default=""):
        raise ImproperlyConfigured(f"Set the {_name} environment variable for production.")

SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_AGE = 8 * 60 * 60

# Behind a reverse proxy, rate limits on the public reporting channel and sign-in lock-outs must
# key on the client's address the proxy passes on (e.g. HTTP_X_FORWARDED_FOR), not the proxy's
# own. The environment names the header; aims.settings.client reads it (the last entry of a
# list, the one the proxy wrote) for django-ratelimit and django-axes alike.
CLIENT_IP_HEADER = env("RATELIMIT_IP_META_KEY", default=None)
RATELIMIT_IP_META_KEY = "aims.settings.client.client_ip" if CLIENT_IP_HEADER else None
