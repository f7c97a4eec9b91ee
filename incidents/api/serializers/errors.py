"""The body of every error answer."""

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every error answer: a stable code, a message a person can act on, per-field details."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(required=False)
