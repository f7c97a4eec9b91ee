"""Pure rules of the CAPA records: the playbook's long-term fixes per root-cause category.

No database here: the suggestions are offered when a CAPA is created for an incident whose
root-cause category is known, and a person decides which to raise.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .choices import ActionType, Horizon, RootCauseCategory


@dataclass(frozen=True)
class Suggestion:
    key: str
    title: str
    description: str
    action_type: str = ActionType.PREVENTIVE
    horizon: str = Horizon.LONG_TERM


PLAYBOOK: dict[str, tuple[Suggestion, ...]] = {
    RootCauseCategory.VENDOR_MODEL_CHANGE: (
        Suggestion(
            key="version_pinning",
            title=_("Pin the vendor model version"),
            description=_(
                "Call the vendor model by an explicit version; a new version is adopted only "
                "after it passes the evaluation set."
            ),
        ),
        Suggestion(
            key="vendor_scorecard",
            title=_("Keep a vendor scorecard"),
            description=_(
                "Track the vendor's change notices, incidents and evaluation results; review "
                "the scorecard before each contract renewal."
            ),
        ),
    ),
    RootCauseCategory.INTERNAL_RETRAINING: (
        Suggestion(
            key="pre_promotion_evaluation",
            title=_("Evaluate before promotion"),
            description=_(
                "A retrained model is promoted only after it passes the evaluation set, "
                "including the failing case types of this incident."
            ),
        ),
        Suggestion(
            key="ab_period",
            title=_("Run an A/B period"),
            description=_(
                "Serve the retrained model to a share of traffic beside the current one and "
                "compare outcomes before switching over."
            ),
        ),
    ),
    RootCauseCategory.DISTRIBUTION_SHIFT: (
        Suggestion(
            key="input_distribution_monitoring",
            title=_("Monitor the input distribution"),
            description=_(
                "Alert when the production inputs drift from the training data (e.g. population "
                "stability index on the key features)."
            ),
        ),
        Suggestion(
            key="training_data_update",
            title=_("Update the training data"),
            description=_("Add the shifted population to the training data and retrain."),
            action_type=ActionType.CORRECTIVE,
        ),
    ),
    RootCauseCategory.INTEGRATION_BUG: (
        Suggestion(
            key="integration_tests",
            title=_("Integration tests for the failing case type"),
            description=_(
                "Add the failing case type to the integration test suite, so the pipeline "
                "cannot ship the fault again."
            ),
            action_type=ActionType.CORRECTIVE,
        ),
        Suggestion(
            key="input_validation",
            title=_("Validate the inputs"),
            description=_("Refuse or flag inputs the model and prompt were not built for."),
        ),
    ),
    RootCauseCategory.OVERSIGHT_FAILURE: (
        Suggestion(
            key="reviewer_recalibration",
            title=_("Recalibrate the reviewers"),
            description=_(
                "Re-train the human reviewers on the failing cases and measure their override "
                "rate and time to decision afterwards."
            ),
            action_type=ActionType.CORRECTIVE,
        ),
        Suggestion(
            key="review_interface_context",
            title=_("Give the review interface context"),
            description=_(
                "Show reviewers what they need to judge a case (inputs, model confidence, "
                "similar past cases) so that approval is not a reflex."
            ),
        ),
    ),
    RootCauseCategory.OTHER: (),
}


def suggestions_for(category: str | None) -> tuple[Suggestion, ...]:
    """The playbook's long-term fixes for a root-cause category (none for "other" or unknown)."""
    return PLAYBOOK.get(category or "", ())


def suggestion(category: str, key: str) -> Suggestion | None:
    return next((s for s in suggestions_for(category) if s.key == key), None)
