"""Contracts' models by sub-domain: agreements (contracts, subcontracts, variations) and
returns (indicators, periods, targets, returns, report templates)."""

from contracts.models.agreements import (  # noqa: F401
    PERCENT,
    Contract,
    Subcontract,
    Terms,
    Variation,
)
from contracts.models.returns import (  # noqa: F401
    CommissionerTemplate,
    Indicator,
    PerformanceReturn,
    ReportingPeriod,
    ReportSeen,
    Restatement,
    ReturnLocked,
    ReturnValue,
    Target,
    TemplateField,
)
