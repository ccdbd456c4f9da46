"""Contracts' models by sub-domain: agreements (contracts, subcontracts, variations),
returns (indicators, periods, targets, returns, report templates) and outcomes (payment by
results: measures, claims, lines)."""

from contracts.models.agreements import (  # noqa: F401
    PERCENT,
    Contract,
    Subcontract,
    Terms,
    Variation,
)
from contracts.models.assurance import (  # noqa: F401, E402
    AssurancePack,
    PackAction,
    PackFrozen,
    PackQuery,
)
from contracts.models.outcomes import (  # noqa: F401, E402
    ClaimFrozen,
    ClaimLine,
    MeasureClaimant,
    MeasureInUse,
    OutcomeMeasure,
    PbRClaim,
)
from contracts.models.returns import (  # noqa: F401
    CommissionerTemplate,
    Indicator,
    LatestReturn,
    PerformanceReturn,
    ReportingPeriod,
    ReportSeen,
    Restatement,
    ReturnLocked,
    ReturnValue,
    Target,
    TemplateField,
)
