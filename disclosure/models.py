"""The regimes table: each regime and stage as a row legal and GRC can edit (DESIGN section 2).

``disclosure.rules`` reads these rows as plain ``Regime`` values; nothing here computes.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from . import rules
from .choices import ClockStart

EU_CLASSES = (
    "prohibited",
    "high_risk_annex_iii",
    "high_risk_annex_i",
    "gpai_systemic_risk",
    "limited",
    "minimal",
)


class RegimeRule(TimeStampedModel):
    code = models.CharField(
        max_length=40, help_text=_("Stable code used by the API, exports and PDFs")
    )
    stage = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0, help_text=_("Order of the stages"))
    title = models.CharField(max_length=200)
    trigger = models.TextField()
    clock_start = models.CharField(max_length=30, choices=ClockStart.choices)
    deadline_rule = models.CharField(
        max_length=200,
        blank=True,
        help_text=_(
            'e.g. "72h", "15d", "1mo", empty for no numeric bound; variants: '
            '"15d; death: 10d; critical_infrastructure_disruption|widespread_infringement: 2d"'
        ),
    )
    deadline_note = models.TextField(blank=True)
    recipient = models.CharField(max_length=300)
    required_content = models.TextField(blank=True)
    source = models.CharField(max_length=300)
    needs_legal_review = models.BooleanField(default=False)
    applies_from = models.DateField(null=True, blank=True)
    applies_from_by_class = models.JSONField(
        default=dict,
        blank=True,
        help_text=_('A date per EU AI Act class, e.g. {"high_risk_annex_iii": "2027-12-02"}'),
    )

    history = audit_history()

    class Meta:
        ordering = ["code", "position", "stage"]
        constraints = [models.UniqueConstraint(fields=["code", "stage"], name="regime_stage_once")]

    def __str__(self):
        return f"{self.code} / {self.stage}"

    def clean(self):
        errors = {}
        if self.code not in rules.CODES:
            errors["code"] = _("Unknown code. Known codes: %s.") % ", ".join(rules.CODES)
        try:
            rules.parse_deadline_rule(self.deadline_rule)
        except ValueError as exc:
            errors["deadline_rule"] = str(exc)
        by_class = self.applies_from_by_class
        if not isinstance(by_class, dict):
            errors["applies_from_by_class"] = _("Give an object of EU class -> date.")
        else:
            for key, value in by_class.items():
                if key not in EU_CLASSES:
                    errors["applies_from_by_class"] = _("Unknown EU class %(c)s; known: %(k)s.") % {
                        "c": key,
                        "k": ", ".join(EU_CLASSES),
                    }
                    break
                try:
                    date.fromisoformat(str(value))
                except ValueError:
                    errors["applies_from_by_class"] = _("%s is not a date (YYYY-MM-DD).") % value
                    break
        if errors:
            raise ValidationError(errors)

    def as_regime(self) -> rules.Regime:
        return rules.Regime(
            code=self.code,
            stage=self.stage,
            title=self.title,
            trigger=self.trigger,
            clock_start=self.clock_start,
            deadline_rule=self.deadline_rule,
            deadline_note=self.deadline_note,
            recipient=self.recipient,
            required_content=self.required_content,
            source=self.source,
            needs_legal_review=self.needs_legal_review,
            applies_from=self.applies_from,
            applies_from_by_class={
                k: date.fromisoformat(str(v)) for k, v in self.applies_from_by_class.items()
            },
            position=self.position,
        )
