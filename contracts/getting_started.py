"""The contracts app's lines of the Getting started checklist (consortium.getting_started)."""

from consortium.access import reads_consortium
from consortium.getting_started import step
from contracts.access.agreements import can_see_contracts
from contracts.models import Contract, Indicator, ReportingPeriod, Subcontract


@step(
    "contracts",
    title="Contracts and subcontracts",
    order=60,
    url="contracts:contract_list",
    check=can_see_contracts,
)
def _contracts(user):
    return [
        (Contract.objects.visible_to(user).count(), "contract", "contracts", 1),
        (Subcontract.objects.visible_to(user).count(), "subcontract", "subcontracts", 1),
    ]


@step(
    "indicators",
    title="Indicators and reporting periods",
    order=70,
    url="returns:indicator_list",
    check=reads_consortium,
)
def _indicators(user):
    return [
        (Indicator.objects.visible_to(user).count(), "indicator", "indicators", 1),
        (
            ReportingPeriod.objects.visible_to(user).count(),
            "reporting period",
            "reporting periods",
            1,
        ),
    ]
