"""Demo assurance packs for the NHS contract: last quarter's signed off, queried (and
answered) and acknowledged; this quarter's in draft. Prepared after every other app's demo
data, since a pack reads them all."""

import datetime

from django.utils import timezone

from consortium import dates
from contracts.models import AssurancePack, Contract
from contracts.services import assurance as svc
from sample.consortium import on

NARRATIVE = (
    "Referrals held up across the quarter and court liaison met its targets. Two returns "
    "came in late, both from members carrying a vacancy; the consortium has agreed cover. "
    "Payments to members were made on time except one, paid four days late after a "
    "remittance query."
)


def seed(ctx):
    contract = Contract.objects.filter(consortium=ctx.consortium, reference="NHS-HJ-001").first()
    if contract is None or AssurancePack.objects.filter(contract=contract).exists():
        return
    lead, commissioner = ctx.users["lead"], ctx.users["commissioner"]
    today = timezone.localdate()
    (current,) = dates.quarter_periods(today, today)
    last = dates.quarter_periods(
        dates.add_months(current[0], -3), dates.add_months(current[0], -3)
    )[0]
    if last[0] < contract.start:
        return
    signed_on = min(last[1] + datetime.timedelta(days=18), today)
    with on(signed_on):
        pack = svc.pack_prepare(contract=contract, start=last[0], end=last[1], by=lead)
        pack = svc.pack_save_narrative(
            pack=pack, by=lead, narrative=NARRATIVE, expected_version=pack.version
        )
        svc.action_save(
            pack=pack,
            by=lead,
            text="Fill the vacant court practitioner post at Larkspur Women's Centre.",
            owner="Larkspur Women's Centre",
            due=current[0] + datetime.timedelta(days=45),
        )
        svc.action_save(
            pack=pack,
            by=lead,
            text="Agree cover arrangements for late returns with each member.",
            owner="Consortium lead",
            status="done",
        )
        pack = svc.pack_sign_off(pack=pack, by=lead, confirmed=svc.signoff_gaps(pack, lead))
    with on(min(signed_on + datetime.timedelta(days=3), today)):
        query = svc.query_raise(
            pack=pack,
            by=commissioner,
            question="Which returns were late, and is the cover in place for this quarter?",
        )
    with on(min(signed_on + datetime.timedelta(days=4), today)):
        svc.query_answer(
            query=query,
            by=lead,
            answer="Two monthly returns, one from each member with a vacancy. Cover is agreed "
            "and the next pack reports on it.",
        )
    with on(min(signed_on + datetime.timedelta(days=6), today)):
        svc.pack_acknowledge(pack=pack, by=commissioner)
    with on(today):
        svc.pack_prepare(contract=contract, start=current[0], end=current[1], by=lead)
