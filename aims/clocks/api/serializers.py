from rest_framework import serializers

from ..models import Clock
from ..selectors import describe


class ClockSerializer(serializers.ModelSerializer):
    owner = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    status_text = serializers.SerializerMethodField()
    target = serializers.SerializerMethodField()

    class Meta:
        model = Clock
        fields = [
            "id",
            "kind",
            "label",
            "state",
            "severity",
            "started_at",
            "due_at",
            "remind_at",
            "met_at",
            "owner",
            "owner_role",
            "overdue",
            "status_text",
            "escalation_level",
            "ended_reason",
            "target",
        ]

    def get_owner(self, clock) -> str | None:
        return clock.owner.username if clock.owner_id else None

    def get_overdue(self, clock) -> bool:
        return describe(clock).overdue

    def get_status_text(self, clock) -> str:
        return describe(clock).phrase

    def get_target(self, clock) -> dict:
        return {"type": clock.target_type.model, "id": clock.target_id}
