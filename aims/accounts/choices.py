"""The roles of the product (DESIGN section 6). Each is a Django group of the same name."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GRC = "grc", _("GRC (full register)")
    RISK_OFFICER = "risk_officer", _("AI risk officer")
    DPO = "dpo", _("Data protection officer")
    LEGAL = "legal", _("Legal")
    CISO = "ciso", _("CISO")
    EXECUTIVE = "executive", _("Executive")
    AUDITOR = "auditor", _("Auditor")
    ENGINEER = "engineer", _("Engineer")
    ETHICS = "ethics", _("Ethics (protected channel)")


# Roles that manage the register and the inventory.
MANAGERS = frozenset({Role.GRC, Role.RISK_OFFICER})
# Roles that read everything and change nothing (auditors may still create samples and exports).
READ_ALL = frozenset(
    {Role.GRC, Role.RISK_OFFICER, Role.DPO, Role.LEGAL, Role.CISO, Role.EXECUTIVE, Role.AUDITOR}
)
