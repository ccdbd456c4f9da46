"""Funding streams from a spreadsheet (consortium.importing)."""

from consortium.importing import (
    Column,
    ImportKind,
    organisation_named,
    problem_at,
    register,
    unknown_organisations,
)
from funding.access import can_manage_money
from funding.models import FundingStream
from funding.services import stream_save


@register
class StreamImport(ImportKind):
    key = "funding-streams"
    order = 33  # before posts, which name the streams that pay for them
    title = "Funding streams"
    sheet = "Funding streams"
    noun = ("funding stream", "funding streams")
    natural_key = ("name",)
    defaults = {"notice_period_days": 0}
    list_url = "funding:stream_list"
    columns = [
        Column("Name", "name", required=True, help="The stream's name or reference, unique."),
        Column(
            "Funder",
            "funder",
            required=True,
            help="The funder's name as a member in Concord.",
            refers=True,
        ),
        Column("Kind", "kind", "choice", required=True, choices=FundingStream.Kind),
        Column("Amount", "amount", "money", required=True),
        Column("Start date", "start", "date", required=True),
        Column("End date", "end", "date", required=True),
        Column("Status", "status", "choice", required=True, choices=FundingStream.Status),
        Column("Renewal decision date", "renewal_decision_date", "date"),
        Column("Notice period (days)", "notice_period_days", "int"),
        Column("Restrictions", "restrictions", max_length=2000),
        Column("Services funded", "services_funded", max_length=2000),
    ]
    check = staticmethod(can_manage_money)

    def existing(self, user):
        streams = FundingStream.objects.visible_to(user).select_related("funder")
        return {(s.name.strip().casefold(),): s for s in streams}

    def values_of(self, s):
        return {
            "name": s.name,
            "funder": s.funder.name,
            "kind": s.kind,
            "amount": s.amount,
            "start": s.start,
            "end": s.end,
            "status": s.status,
            "renewal_decision_date": s.renewal_decision_date,
            "notice_period_days": s.notice_period_days,
            "restrictions": s.restrictions,
            "services_funded": s.services_funded,
        }

    def validate(self, user, rows):
        problems = unknown_organisations(self, user, rows, "funder")
        for row in rows:
            start, end = row.values.get("start"), row.values.get("end")
            if start and end and end < start:
                problem_at(
                    problems,
                    row,
                    "end",
                    self,
                    f"End date: {end:%-d %B %Y} is before the start date, {start:%-d %B %Y}.",
                )
        return problems

    def save(self, user, stream, values, *, reason):
        stream = stream or FundingStream()
        for name, value in values.items():
            if name != "funder":
                setattr(stream, name, value)
        stream.funder = organisation_named(user, values["funder"])
        return stream_save(by=user, stream=stream, reason=f"Imported from a spreadsheet: {reason}")
