"""The risks app's part of the API: risks on the registers the person may see, with their
scores and next review. Read only."""

import datetime

from django.http import HttpResponse
from ninja import Router, Schema
from pydantic import Field

from consortium import access
from consortium.api import Cursor, Id, Limit, Page, Scope, answers, listing, needs, one
from risks.access import can_see_risks
from risks.models import Risk

router = Router(tags=["Risks"])


class RiskOut(Schema):
    id: int
    version: int
    risk_register: int = Field(alias="register_id")
    reference: str
    title: str
    cause: str
    event: str
    consequence: str
    status: str
    treatment: str
    inherent_score: int
    residual_score: int
    target_score: int
    residual_band: str
    next_review: datetime.date | None
    updated_at: datetime.datetime


class RiskPage(Page):
    items: list[RiskOut]


def _risks(request):
    access.require(can_see_risks(request.user))
    return Risk.objects.all()


@router.get("/risks", response=answers({200: RiskPage}))
@needs(Scope.READ)
def risks(
    request,
    cursor: Cursor = None,
    limit: Limit = 100,
    updated_since: datetime.datetime = None,
    status: Risk.Status = None,
):
    """Risks on the registers the person may see."""
    qs = _risks(request)
    if status is not None:
        qs = qs.filter(status=status)
    return listing(
        request, qs, lambda r: r, cursor=cursor, limit=limit, updated_since=updated_since
    )


@router.get("/risks/{pk}", response=answers({200: RiskOut}))
@needs(Scope.READ)
def risk(request, pk: Id, response: HttpResponse):
    return one(request, response, _risks(request), pk)
