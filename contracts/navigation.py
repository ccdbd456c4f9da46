"""The contracts app's pages in the navigation: each entry's check is the one its view uses."""

from consortium.access import reads_consortium
from consortium.navigation import register
from contracts.access.agreements import can_see_contracts, can_see_subcontracts
from contracts.access.assurance import can_see_packs
from contracts.access.outcomes import can_see_claims
from contracts.access.returns import can_see_performance

CONTRACTS = {"section": "Contracts", "order": 20}
PERFORMANCE = {"section": "Performance", "order": 30}

register("Contracts", "contracts:contract_list", check=can_see_contracts, **CONTRACTS)
register("Subcontracts", "contracts:subcontract_list", check=can_see_subcontracts, **CONTRACTS)

register("Returns", "returns:return_list", check=can_see_performance, **PERFORMANCE)
register("Performance", "returns:performance", check=can_see_performance, **PERFORMANCE)
register("Indicators", "returns:indicator_list", check=reads_consortium, **PERFORMANCE)
register("Commissioner reports", "returns:template_list", check=can_see_performance, **PERFORMANCE)

# Payment by results belongs with the contracts that pay for outcomes.
OUTCOMES = {"section": "Contracts", "order": 21}
register("PbR claims", "outcomes:claim_list", check=can_see_claims, **OUTCOMES)
register("Outcome measures", "outcomes:measure_list", check=can_see_claims, **OUTCOMES)
register("PbR statement", "outcomes:pbr_statement", check=can_see_claims, **OUTCOMES)
register("PbR exposure", "outcomes:exposure", check=can_see_claims, **OUTCOMES)

register(
    "Assurance packs",
    "assurance:pack_list",
    check=can_see_packs,
    section="Performance",
    order=30,
)
