"""API throttles whose rates are read when a request is counted.

DRF's throttles copy ``DEFAULT_THROTTLE_RATES`` into a class attribute when the module is first
imported, so a changed setting (another environment, a test) would never reach them; these read
the current API settings instead. Counts live in the default (Redis) cache.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings


class _CurrentRates:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class UserRateThrottle(_CurrentRates, throttling.UserRateThrottle):
    """Per user for authenticated clients (people and tokens); per address otherwise."""


class AnonRateThrottle(_CurrentRates, throttling.AnonRateThrottle):
    """Per address for anonymous clients; authenticated ones are left to the user throttle."""
