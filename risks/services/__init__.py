"""Writes for risks: registers and risks (risks.services.risks) and SWOT analyses
(risks.services.swot)."""

from risks.services.risks import (  # noqa: F401
    KEEP_MESSAGE,
    SETTINGS_FIELDS,
    action_add,
    action_complete,
    control_add,
    current_settings,
    escalation_decide,
    escalation_request,
    link_add,
    matrix_revise,
    next_review_date,
    register_adopt_matrix,
    register_open,
    risk_accept,
    risk_close,
    risk_deescalate,
    risk_review,
    risk_save,
    settings_for,
    settings_save,
    suggestion_dismiss,
)
from risks.services.swot import (  # noqa: F401
    swot_action_add,
    swot_agree,
    swot_item_override,
    swot_item_save,
    swot_new_round,
    swot_save,
)
