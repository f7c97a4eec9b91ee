"""Inventory serializers: they validate input shape; services decide and write."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from aims.core.api.fields import RecordedInstantField

from ..choices import DataCategory
from ..models import AISystem, Deployment, ModelVersion, MonitoringRule, RegistrySync

User = get_user_model()


class UserRefSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="get_full_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "full_name"]


class AISystemSerializer(serializers.ModelSerializer):
    business_owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True)
    )
    technical_owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), allow_null=True, required=False
    )
    business_owner_detail = UserRefSerializer(source="business_owner", read_only=True)
    technical_owner_detail = UserRefSerializer(
        source="technical_owner", read_only=True, allow_null=True
    )
    data_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=DataCategory.choices), required=False
    )
    regulatory_flags = serializers.ListField(child=serializers.CharField(), read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="system-detail")

    class Meta:
        model = AISystem
        fields = [
            "id",
            "url",
            "reference",
            "name",
            "intended_purpose",
            "description",
            "business_owner",
            "business_owner_detail",
            "technical_owner",
            "technical_owner_detail",
            "organization_role",
            "lifecycle_status",
            "deployment_environment",
            "internal_risk_tier",
            "eu_ai_act_class",
            "annex_iii_area",
            "data_categories",
            "affected_populations",
            "human_oversight",
            "eu_market",
            "gdpr_role",
            "hipaa_role",
            "nis2_entity",
            "dora_financial_entity",
            "us_bank_model_risk",
            "colorado_consequential",
            "supplier",
            "supplier_contract",
            "validation_status",
            "model_card_url",
            "in_aims_scope",
            "scope_exclusion_justification",
            "regulatory_flags",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["reference", "created_at", "updated_at"]
        # Cross-field rules (constraints, clean()) are enforced once, by the service.
        validators = []


class ModelVersionSerializer(serializers.ModelSerializer):
    system = serializers.PrimaryKeyRelatedField(queryset=AISystem.objects.all())
    system_reference = serializers.CharField(source="system.reference", read_only=True)
    approved_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "system",
            "system_reference",
            "version_label",
            "artifact_reference",
            "artifact_digest",
            "training_data_version",
            "prompt_config_version",
            "evaluation_summary",
            "description",
            "wandb_artifact",
            "wandb_url",
            "registry_version",
            "run_id",
            "aliases",
            "tags",
            "registered_at",
            "approved_by",
            "approved_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "registry_version",
            "run_id",
            "aliases",
            "tags",
            "registered_at",
            "approved_by",
            "approved_at",
            "created_at",
            "updated_at",
        ]
        validators = []
        extra_kwargs = {
            "wandb_artifact": {
                "help_text": "W&B artifact reference, entity/project/artifact-name:version "
                "(a wandb-artifact:// prefix is allowed); put its 32-character digest in "
                "artifact_digest."
            }
        }

    wandb_url = serializers.CharField(read_only=True, help_text="The artifact on wandb.ai.")


class ModelVersionUpdateSerializer(ModelVersionSerializer):
    system = serializers.PrimaryKeyRelatedField(read_only=True)


class DeploymentSerializer(serializers.ModelSerializer):
    system = serializers.PrimaryKeyRelatedField(queryset=AISystem.objects.all())
    system_reference = serializers.CharField(source="system.reference", read_only=True)
    model_version = serializers.PrimaryKeyRelatedField(queryset=ModelVersion.objects.all())
    version_label = serializers.CharField(source="model_version.version_label", read_only=True)
    deployed_by = UserRefSerializer(read_only=True)
    deployed_at = RecordedInstantField(required=False, help_text="Defaults to now.")

    class Meta:
        model = Deployment
        fields = [
            "id",
            "system",
            "system_reference",
            "model_version",
            "version_label",
            "environment",
            "deployed_at",
            "deployed_by",
            "change_type",
            "change_reference",
            "notes",
            "correction_reason",
            "created_at",
        ]
        read_only_fields = ["deployed_by", "correction_reason", "created_at"]


class DeploymentCorrectionSerializer(DeploymentSerializer):
    system = serializers.PrimaryKeyRelatedField(read_only=True)
    reason = serializers.CharField(
        write_only=True, help_text="Why the change-log entry is corrected."
    )

    class Meta(DeploymentSerializer.Meta):
        fields = [*DeploymentSerializer.Meta.fields, "reason"]


class MonitoringRuleSerializer(serializers.ModelSerializer):
    system = serializers.PrimaryKeyRelatedField(queryset=AISystem.objects.all())
    system_reference = serializers.CharField(source="system.reference", read_only=True)

    class Meta:
        model = MonitoringRule
        fields = [
            "id",
            "system",
            "system_reference",
            "metric",
            "comparison",
            "threshold",
            "window",
            "channel",
            "active",
            "change_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class MonitoringRuleUpdateSerializer(MonitoringRuleSerializer):
    system = serializers.PrimaryKeyRelatedField(read_only=True)


class VersionAtSerializer(serializers.Serializer):
    """The model version in production at an instant, and the change-log entry behind it."""

    system = serializers.CharField()
    at = serializers.DateTimeField()
    model_version = ModelVersionSerializer()
    deployment = DeploymentSerializer()


class RegistrySyncSerializer(serializers.ModelSerializer):
    """One entry of a system's registry sync log."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    model_name = serializers.CharField(source="link.model_name", read_only=True)
    tracking_uri = serializers.CharField(source="link.tracking_uri", read_only=True)
    requested_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = RegistrySync
        fields = [
            "id",
            "model_name",
            "tracking_uri",
            "trigger",
            "status",
            "status_label",
            "requested_by",
            "tries",
            "started_at",
            "finished_at",
            "versions_added",
            "versions_updated",
            "alias_moves",
            "error_message",
            "created_at",
        ]
        read_only_fields = fields


class WandbManifestImportSerializer(serializers.Serializer):
    """A W&B artifact manifest (``wandb_manifest.json``) and the artifact it belongs to."""

    artifact = serializers.CharField(
        max_length=300,
        help_text="The artifact reference, entity/project/artifact-name:version.",
    )
    digest = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional: the artifact digest W&B shows; it must match the manifest.",
    )
    manifest = serializers.JSONField(
        required=False,
        help_text="The manifest as a JSON object (or upload it as a file named 'manifest_file').",
    )
    manifest_file = serializers.FileField(required=False, write_only=True)

    def validate(self, attrs):
        if "manifest" not in attrs and "manifest_file" not in attrs:
            raise serializers.ValidationError(
                {"manifest": ["Send the manifest as JSON, or upload it as manifest_file."]}
            )
        return attrs


class WandbManifestResultSerializer(serializers.Serializer):
    created = serializers.BooleanField()
    model_version = ModelVersionSerializer()
