from django.urls import reverse
from rest_framework import serializers

from ..models import ReportRun


class ReportRunSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ReportRun
        fields = [
            "id",
            "kind",
            "status",
            "percent",
            "progress_done",
            "progress_total",
            "message",
            "params",
            "incident",
            "requested_by",
            "requested_at",
            "finished_at",
            "file_name",
            "media_type",
            "sha256",
            "size",
            "download_url",
        ]

    def get_download_url(self, run) -> str | None:
        if run.status != "done":
            return None
        return reverse("report-run-download", args=[run.pk])


class DocumentVerifySerializer(serializers.Serializer):
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$",
        required=False,
        error_messages={"invalid": "Give the 64 hexadecimal characters of a SHA-256."},
    )
    file = serializers.FileField(required=False, help_text="Or upload the document itself.")

    def validate(self, attrs):
        if not attrs.get("sha256") and not attrs.get("file"):
            raise serializers.ValidationError("Give the document's SHA-256 or upload the document.")
        return attrs
