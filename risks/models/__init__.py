"""Risks' models: registers and risks (scored, controlled, reviewed, escalated) and SWOT
analyses."""

from risks.models.risks import (  # noqa: F401
    USER,
    Acceptance,
    Control,
    Escalation,
    Risk,
    RiskAction,
    RiskActionQuerySet,
    RiskCategory,
    RiskLink,
    RiskMatrix,
    RiskQuerySet,
    RiskRegister,
    RiskReview,
    RiskSettings,
    SuggestionDismissal,
)
from risks.models.swot import (  # noqa: F401
    AGREED_MESSAGE,
    SwotAction,
    SwotAgreed,
    SwotAnalysis,
    SwotItem,
)
