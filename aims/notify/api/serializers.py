from rest_framework import serializers

from ..models import Delivery, DeliveryAttempt, Notification


class AttemptSerializer(serializers.ModelSerializer):
    endpoint = serializers.CharField(source="endpoint.name", default=None)

    class Meta:
        model = DeliveryAttempt
        fields = [
            "id",
            "channel",
            "endpoint",
            "status",
            "tries",
            "next_try_at",
            "sent_at",
            "last_error",
        ]


class DeliverySerializer(serializers.ModelSerializer):
    recipient = serializers.CharField(source="recipient.username")
    clock = serializers.SerializerMethodField()
    attempts = AttemptSerializer(many=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "kind",
            "step_key",
            "recipient",
            "title",
            "body",
            "url",
            "created_at",
            "clock",
            "attempts",
        ]

    def get_clock(self, delivery) -> dict:
        return {
            "id": delivery.clock_id,
            "kind": delivery.clock.kind,
            "due_at": delivery.clock.due_at,
        }


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "title", "body", "url", "created_at", "read_at"]


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Inbox items to mark read; all unread ones when omitted.",
    )
