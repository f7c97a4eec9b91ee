"""MITRE ATLAS (the adversarial-AI matrix): tactics and techniques as reference data, and the
techniques an incident names."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from .register import Incident

USER = settings.AUTH_USER_MODEL


class AtlasTactic(TimeStampedModel):
    """A tactic of the MITRE ATLAS matrix (``AML.TA0004`` Initial Access), loaded from
    ``incidents/data/atlas.json`` (``incidents.atlas``). ``atlas_version`` is the ATLAS release
    it was last loaded from; one that a newer release dropped stays, marked not ``current``, so
    old records keep their meaning."""

    atlas_id = models.CharField(_("ATLAS ID"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position in the matrix"), default=0)
    atlas_version = models.CharField(_("ATLAS version"), max_length=20)
    current = models.BooleanField(_("in the current release"), default=True)

    history = audit_history()

    class Meta:
        ordering = ["position", "atlas_id"]
        verbose_name = _("ATLAS tactic")

    def __str__(self):
        return f"{self.atlas_id} {self.name}"


class AtlasTechnique(TimeStampedModel):
    """A technique or sub-technique of MITRE ATLAS (``AML.T0051`` LLM Prompt Injection,
    ``AML.T0051.000`` Direct). A sub-technique names its ``parent`` and takes its tactics."""

    atlas_id = models.CharField(_("ATLAS ID"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subtechniques",
        verbose_name=_("parent technique"),
    )
    tactics = models.ManyToManyField(
        AtlasTactic, related_name="techniques", blank=True, verbose_name=_("tactics")
    )
    atlas_version = models.CharField(_("ATLAS version"), max_length=20)
    current = models.BooleanField(_("in the current release"), default=True)

    history = audit_history()

    class Meta:
        ordering = ["atlas_id"]
        verbose_name = _("ATLAS technique")

    def __str__(self):
        return f"{self.atlas_id} {self.name}"

    @property
    def label(self) -> str:
        if self.parent_id:
            return f"{self.atlas_id} {self.parent.name}: {self.name}"
        return f"{self.atlas_id} {self.name}"


class IncidentTechnique(TimeStampedModel):
    """An ATLAS technique an incident (or exercise) involved; one audited row per link."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="technique_links")
    technique = models.ForeignKey(
        AtlasTechnique, on_delete=models.PROTECT, related_name="incident_links"
    )

    history = audit_history()

    class Meta:
        ordering = ["technique__atlas_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "technique"], name="incident_technique_once"
            )
        ]

    def __str__(self):
        return f"{self.incident_id} {self.technique_id}"
