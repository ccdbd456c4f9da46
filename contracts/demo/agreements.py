"""Demo contracts: the NHS prime contract and the probation contract held by the lead, and a
subcontract for each of the four CVOs."""

import datetime
from decimal import Decimal

from contracts.models import Contract, Subcontract, Variation

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
    nhs_stream = streams.get("nhs")
    contract, created = Contract.objects.get_or_create(
        consortium=ctx.consortium,
        reference="NHS-HJ-001",
        defaults={
            "title": "Liaison and diversion, north and east London",
            "commissioner": ctx.orgs["nhs"],
            "lead": lead,
            "value": Decimal("1000000.00"),
            "start": nhs_stream.start,
            "end": nhs_stream.end,
            "extension_options": "One extension of up to 12 months.",
            "service_lines": "Court liaison\nPolice custody\nCommunity follow-up",
            "block_percent": Decimal("90"),
            "pbr_percent": Decimal("10"),
        },
    )
    if created:
        contract.funding_streams.set([nhs_stream])
        contract.sites.set(ctx.sites[:12])
        Variation.objects.create(
            consortium=ctx.consortium,
            contract=contract,
            effective_date=contract.start + datetime.timedelta(days=120),
            reason="Crown court sessions added at Northgate.",
            value_change=Decimal("50000.00"),
        )
    probation_stream = streams.get("probation")
    probation, created = Contract.objects.get_or_create(
        consortium=ctx.consortium,
        reference="PRB-MH-014",
        defaults={
            "title": "Probation mental health practitioners",
            "commissioner": ctx.orgs["probation"],
            "lead": lead,
            "value": probation_stream.amount,
            "start": probation_stream.start,
            "end": probation_stream.end,
        },
    )
    if created:
        probation.funding_streams.set([probation_stream])
    for key, ref, title, value, block, special in SUBCONTRACTS:
        sub, created = Subcontract.objects.get_or_create(
            consortium=ctx.consortium,
            reference=ref,
            defaults={
                "contract": contract,
                "title": title,
                "lead": lead,
                "cvo": ctx.orgs[key],
                "value": Decimal(value),
                "start": contract.start,
                "end": contract.end,
                "block_percent": Decimal(block),
                "pbr_percent": Decimal(100) - Decimal(block),
                "special_terms": special,
            },
        )
        if created:
            sub.funding_streams.set([nhs_stream])
            sub.sites.set([s for s in ctx.sites if s.operated_by_id == ctx.orgs[key].pk])

    # Performance returns (their own module, so the two halves of contracts merge cleanly).
    from contracts.demo import returns as demo_returns

    demo_returns.seed(ctx)
