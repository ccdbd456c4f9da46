"""The funding app's part of the API: payments the person may see (a member: those owed to
it), each with its status and whether it is overdue. Read only."""

import datetime

from django.http import HttpResponse
from django.utils import timezone
from ninja import Router, Schema
from pydantic import Field

from consortium.api import Cursor, Id, Limit, Money, Page, Scope, answers, listing, needs, one
from funding.models import Payment

router = Router(tags=["Payments"])


class PaymentOut(Schema):
    id: int
    version: int
    recipient: int = Field(alias="recipient_id")
    description: str
    basis: str
    due_date: datetime.date
    amount: Money
    status: str
    overdue: bool
    paid_on: datetime.date | None
    reference: str
    updated_at: datetime.datetime


class PaymentPage(Page):
    items: list[PaymentOut]


def _out(today):
    return lambda p: {**p.__dict__, "overdue": p.is_overdue(today)}


@router.get("/payments", response=answers({200: PaymentPage}))
@needs(Scope.READ)
def payments(
    request,
    cursor: Cursor = None,
    limit: Limit = 100,
    updated_since: datetime.datetime = None,
    status: Payment.Status = None,
):
    """Payments the person may see: those owed to their organisation, for a member."""
    qs = Payment.objects.all()
    if status is not None:
        qs = qs.filter(status=status)
    return listing(
        request,
        qs,
        _out(timezone.localdate()),
        cursor=cursor,
        limit=limit,
        updated_since=updated_since,
    )


@router.get("/payments/{pk}", response=answers({200: PaymentOut}))
@needs(Scope.READ)
def payment(request, pk: Id, response: HttpResponse):
    return _out(timezone.localdate())(one(request, response, Payment.objects.all(), pk))
