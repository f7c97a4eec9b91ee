"""One builder per document, each registered with ``reporting.registry`` on import:

- ``casefile``: one incident's case file (PDF);
- ``register``: the filtered register as CSV, XLSX or PDF;
- ``sample``: an audit sample's ZIP bundle (case files, evidence, manifest);
- ``review_pack``: the management-review pack (PDF);
- ``risk``: the risk register (CSV, XLSX) and the Statement of Applicability (PDF);
- ``capa_register``: the CAPA register (CSV, XLSX);
- ``disclosure_draft``: a regulatory report draft (GDPR Art. 33, HIPAA, SB 53, Art. 73) (PDF);
- ``procedure``: the AI incident-management procedure, from the live configuration (PDF);
- ``trail``: one AI system's evidence trail with its gaps (PDF).
"""

from . import (  # noqa: F401 - registers the builders
    capa_register,
    casefile,
    disclosure_draft,
    procedure,
    register,
    review_pack,
    risk,
    sample,
    trail,
)
