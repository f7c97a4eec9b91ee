"""The client's address, as sign-in lock-outs see it.

Behind a reverse proxy every request comes from the proxy; the client's address is in the header
the proxy sets, named by ``RATELIMIT_IP_META_KEY`` (the setting the reporting channel's rate
limits read too). In ``X-Forwarded-For`` the last entry is the one our proxy wrote: entries
before it come from the client and can be anything.
"""

from django.conf import settings


def client_ip(request) -> str:
    key = getattr(settings, "RATELIMIT_IP_META_KEY", None)
    forwarded = request.META.get(key, "") if key else ""
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    return addresses[-1] if addresses else request.META.get("REMOTE_ADDR", "")
