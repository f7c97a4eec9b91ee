"""Preserved evidence: the upload body and the record with its hash and download link."""

from django.urls import reverse
from rest_framework import serializers

from aims.core.api.fields import RecordedInstantField
from inventory.api.serializers import UserRefSerializer

from ...models import Evidence
from .fields import EvidenceKindField


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False, use_url=False)
    kind = EvidenceKindField()
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=10000
    )
    period_start = RecordedInstantField(required=False, allow_null=True, default=None)
    period_end = RecordedInstantField(required=False, allow_null=True, default=None)


class EvidencePeriodSerializer(serializers.Serializer):
    start = serializers.DateTimeField(source="period_start", allow_null=True)
    end = serializers.DateTimeField(source="period_end", allow_null=True)


class EvidenceSerializer(serializers.ModelSerializer):
    """A preserved file: what it is, its hash, and where to download it (hash re-checked)."""

    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    kind = EvidenceKindField(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    period = EvidencePeriodSerializer(source="*", read_only=True)
    captured_by = UserRefSerializer(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "incident",
            "incident_reference",
            "original_name",
            "kind",
            "kind_label",
            "description",
            "sha256",
            "size",
            "media_type",
            "period",
            "captured_by",
            "captured_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        path = reverse("evidence-download", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path
