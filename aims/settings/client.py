"""The client's address, as sign-in lock-outs and the reporting channel's rate limits see it.

Behind a reverse proxy every request comes from the proxy; the client's address is in the header
the proxy sets, named by ``CLIENT_IP_HEADER`` (production takes it from the environment's
``RATELIMIT_IP_META_KEY``). In ``X-Forwarded-For`` the last entry is the one our proxy wrote:
entries before it come from the client and can be anything, and a list is not one address.
"""

from django.conf import settings


def client_ip(request) -> str:
    header = getattr(settings, "CLIENT_IP_HEADER", None)
    forwarded = request.META.get(header, "") if header else ""
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    return addresses[-1] if addresses else request.META.get("REMOTE_ADDR", "")
