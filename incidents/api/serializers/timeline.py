"""The incident's timeline, and the change log of its systems before detection."""

from rest_framework import serializers

from inventory.api.serializers import DeploymentSerializer, UserRefSerializer

from ...models import TimelineEntry
from .read import SystemRefSerializer


class TimelineEntrySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(
        read_only=True, help_text="status, severity, decision, approval, evidence, note, …"
    )
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    actor = UserRefSerializer(read_only=True, allow_null=True)
    actor_display = serializers.CharField(read_only=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "kind", "kind_label", "at", "actor", "actor_display", "summary", "data"]
        read_only_fields = fields


class RecentChangesSerializer(serializers.Serializer):
    """An affected system's change-log entries in the days before detection."""

    system = SystemRefSerializer()
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    deployments = DeploymentSerializer(many=True)
