"""``GET /api/v1/atlas/``: the MITRE ATLAS catalogue incidents and risks are tagged from.

Reference data, read by everyone signed in: the ATLAS release, where it was copied from, its
tactics in matrix order and its techniques (sub-techniques name their parent). Techniques are
written on incidents and risks by these IDs (``"atlas_techniques": ["AML.T0051"]``).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import atlas
from ..models import AtlasTactic, AtlasTechnique


class AtlasTacticSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="atlas_id", read_only=True)

    class Meta:
        model = AtlasTactic
        fields = ["id", "name", "atlas_version", "current"]
        read_only_fields = fields


class AtlasTechniqueSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="atlas_id", read_only=True)
    parent = serializers.SlugRelatedField(slug_field="atlas_id", read_only=True, allow_null=True)
    tactics = serializers.SlugRelatedField(slug_field="atlas_id", many=True, read_only=True)

    class Meta:
        model = AtlasTechnique
        fields = ["id", "name", "parent", "tactics", "atlas_version", "current"]
        read_only_fields = fields


class AtlasCatalogueSerializer(serializers.Serializer):
    version = serializers.CharField(help_text="The ATLAS release the catalogue was loaded from.")
    source = serializers.CharField(help_text="Where the release was copied from.")
    tactics = AtlasTacticSerializer(many=True)
    techniques = AtlasTechniqueSerializer(many=True)


class AtlasCatalogueView(APIView):
    @extend_schema(
        summary="The MITRE ATLAS tactics and techniques incidents and risks are tagged with.",
        responses=AtlasCatalogueSerializer,
    )
    def get(self, request):
        tactics = AtlasTactic.objects.order_by("position", "atlas_id")
        techniques = (
            AtlasTechnique.objects.select_related("parent")
            .prefetch_related("tactics")
            .order_by("atlas_id")
        )
        try:
            source = atlas.read_catalogue().get("source", "")
        except atlas.CatalogueError:
            source = ""
        body = {
            "version": atlas.catalogue_version(),
            "source": source,
            "tactics": tactics,
            "techniques": techniques,
        }
        return Response(AtlasCatalogueSerializer(body).data)
