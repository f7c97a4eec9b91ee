"""Serializers of the learning loop's API, by subject (``investigation``, ``actions``)."""
