"""The risks app's pages in the navigation: each entry's check is the one its view uses."""

from consortium.navigation import register
from risks.access import (
    can_manage_risk_settings,
    can_see_risks,
    can_see_suggestions,
    can_see_swot,
)

RISKS = {"section": "Risks", "order": 40}

register("Risk registers", "risks:register_list", check=can_see_risks, **RISKS)
register("All risks", "risks:risk_list", check=can_see_risks, **RISKS)
register("Heat map", "risks:heatmap", check=can_see_risks, **RISKS)
register("Suggested risks", "risks:suggestions", check=can_see_suggestions, **RISKS)
register("SWOT analyses", "risks:swot_list", check=can_see_swot, **RISKS)
register("Risk settings", "risks:risk_settings", check=can_manage_risk_settings, **RISKS)
