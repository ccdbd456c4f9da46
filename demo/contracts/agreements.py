"""Demo contracts: the NHS prime contract and the probation contract held by the lead, and a
subcontract for each of the four CVOs."""

import datetime
from decimal import Decimal

from contracts.models import Contract, Subcontract
from contracts.services import agreements as services
from sample.consortium import on
from sample.contracts import ContractFactory, SubcontractFactory, VariationFactory

SUBCONTRACTS = [
    # key, reference, title, value, block %, special terms
    ("women", "SC-01", "Women's pathway practitioners", "154560.00", "100", ""),
    (
        "recovery",
        "SC-02",
        "Substance-misuse liaison",
        "115920.00",
        "90",
        "10% paid on verified engagement.",
    ),
    ("housing", "SC-03", "Housing link work", "77280.00", "100", ""),
    ("advocacy", "SC-04", "Lived-experience advocacy", "38640.00", "100", ""),
]


def seed(ctx):
    streams = ctx.extra.get("streams", {})
    lead = ctx.orgs["lead"]
    by = ctx.users["lead"]
    nhs_stream = streams.get("nhs")
    contract = Contract.objects.filter(consortium=ctx.consortium, reference="NHS-HJ-001").first()
    if contract is None:
        # Signed a fortnight before the contract year began.
        with on(nhs_stream.start - datetime.timedelta(days=14)):
            contract = services.agreement_save(
                by=by,
                agreement=ContractFactory.build(
                    reference="NHS-HJ-001",
                    title="Liaison and diversion, north and east London",
                    commissioner=ctx.orgs["nhs"],
                    lead=lead,
                    value=Decimal("1000000.00"),
                    start=nhs_stream.start,
                    end=nhs_stream.end,
                    extension_options="One extension of up to 12 months.",
                    service_lines="Court liaison\nPolice custody\nCommunity follow-up",
                    block_percent=Decimal("90"),
                    pbr_percent=Decimal("10"),
                ),
                m2m={"funding_streams": [nhs_stream], "sites": ctx.sites[:12]},
            )
        effective = contract.start + datetime.timedelta(days=120)
        with on(effective - datetime.timedelta(days=21)):
            services.variation_add(
                by=by,
                agreement=contract,
                variation=VariationFactory.build(
                    effective_date=effective,
                    reason="Crown court sessions added at Northgate.",
                    value_change=Decimal("50000.00"),
                ),
            )
    probation_stream = streams.get("probation")
    if not Contract.objects.filter(consortium=ctx.consortium, reference="PRB-MH-014").exists():
        with on(probation_stream.start - datetime.timedelta(days=14)):
            services.agreement_save(
                by=by,
                agreement=ContractFactory.build(
                    reference="PRB-MH-014",
                    title="Probation mental health practitioners",
                    commissioner=ctx.orgs["probation"],
                    lead=lead,
                    value=probation_stream.amount,
                    start=probation_stream.start,
                    end=probation_stream.end,
                ),
                m2m={"funding_streams": [probation_stream]},
            )
    for key, ref, title, value, block, special in SUBCONTRACTS:
        if Subcontract.objects.filter(consortium=ctx.consortium, reference=ref).exists():
            continue
        with on(contract.start - datetime.timedelta(days=7)):
            services.agreement_save(
                by=by,
                agreement=SubcontractFactory.build(
                    contract=contract,
                    reference=ref,
                    title=title,
                    cvo=ctx.orgs[key],
                    value=Decimal(value),
                    block_percent=Decimal(block),
                    pbr_percent=Decimal(100) - Decimal(block),
                    special_terms=special,
                ),
                m2m={
                    "funding_streams": [nhs_stream],
                    "sites": [s for s in ctx.sites if s.operated_by_id == ctx.orgs[key].pk],
                },
            )

    # Performance returns (their own module, so the two halves of contracts merge cleanly).
    from demo.contracts import returns as demo_returns

    demo_returns.seed(ctx)

    # Payment by results on the prime and probation contracts.
    from demo.contracts import outcomes as demo_outcomes

    demo_outcomes.seed(ctx)
