"""Contracts and their subcontracts from spreadsheets (consortium.importing): one template for
the prime contracts, one for the subcontracts, which name their contract by its reference.
Each is matched by its reference."""

from consortium.importing import (
    Column,
    ImportKind,
    organisation_named,
    problem_at,
    register,
    unknown_organisations,
)
from contracts.models import Contract, Subcontract
from contracts.services.agreements import agreement_save
from funding.access import can_manage_money
from funding.models import FundingStream

TERMS = [
    Column("Value", "value", "money", required=True, help="The original value."),
    Column("Start date", "start", "date", required=True),
    Column("End date", "end", "date", required=True),
    Column("Status", "status", "choice", required=True, choices=Contract.Status),
    Column("Block payment %", "block_percent", "decimal", help="Empty means 100."),
    Column("Payment by results %", "pbr_percent", "decimal", help="Empty means 0."),
    Column("Payment frequency", "payment_frequency", "choice", choices=Contract.Frequency),
    Column("Payment days", "payment_days", "int", help="Days after the invoice; empty means 30."),
]
DEFAULTS = {
    "block_percent": 100,
    "pbr_percent": 0,
    "payment_frequency": "monthly",
    "payment_days": 30,
}
PARTIES = ("commissioner", "lead", "cvo", "contract", "funding_streams")


class AgreementImport(ImportKind):
    model = None
    natural_key = ("reference",)
    defaults = DEFAULTS
    check = staticmethod(can_manage_money)
    parties = ()

    def existing(self, user):
        rows = self.model.objects.visible_to(user).select_related(*self.parties)
        return {(a.reference.strip().casefold(),): a for a in rows}

    def terms_of(self, a):
        values = {c.key: getattr(a, c.key) for c in self.columns if c.key not in PARTIES}
        for party in self.parties:
            other = getattr(a, party)
            values[party] = (
                (other.reference if party == "contract" else other.name) if other else ""
            )
        return values

    def values_of(self, a):
        return self.terms_of(a)

    def validate(self, user, rows):
        problems = []
        for party in self.parties:
            if party != "contract":
                problems += unknown_organisations(self, user, rows, party)
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

    def fill(self, user, agreement, values):
        for name, value in values.items():
            if name in PARTIES:
                continue
            setattr(agreement, name, value)
        for party in self.parties:
            if party != "contract":
                setattr(agreement, party, organisation_named(user, values[party]))
        return agreement


def _streams(user, text):
    names = [n.strip().casefold() for n in (text or "").split(";") if n.strip()]
    streams = {s.name.casefold(): s for s in FundingStream.objects.visible_to(user)}
    return [streams.get(n) for n in names], names


@register
class ContractImport(AgreementImport):
    key = "contracts"
    order = 60
    title = "Contracts"
    sheet = "Contracts"
    noun = ("contract", "contracts")
    model = Contract
    list_url = "contracts:contract_list"
    parties = ("commissioner", "lead")
    columns = [
        Column("Reference", "reference", required=True, max_length=60),
        Column("Title", "title", required=True),
        Column(
            "Commissioner",
            "commissioner",
            required=True,
            help="By its name in Concord.",
            refers=True,
        ),
        Column("Lead", "lead", required=True, help="The lead agency holding it.", refers=True),
        *TERMS,
        Column(
            "Funding streams",
            "funding_streams",
            max_length=2000,
            help="The streams it brings in, by name, separated by semicolons.",
            refers=True,
        ),
    ]

    def values_of(self, a):
        values = self.terms_of(a)
        values["funding_streams"] = "; ".join(sorted(s.name for s in a.funding_streams.all()))
        return values

    def validate(self, user, rows):
        problems = super().validate(user, rows)
        for row in rows:
            found, names = _streams(user, row.values.get("funding_streams"))
            missing = [n for n, s in zip(names, found, strict=True) if s is None]
            if missing:
                problem_at(
                    problems,
                    row,
                    "funding_streams",
                    self,
                    f"Funding streams: no funding stream is called {', '.join(missing)}. Import "
                    "or add the streams first, or correct the names.",
                )
        return problems

    def save(self, user, contract, values, *, reason):
        contract = self.fill(user, contract or Contract(), values)
        streams, _ = _streams(user, values.get("funding_streams"))
        return agreement_save(
            by=user,
            agreement=contract,
            m2m={"funding_streams": streams},
            reason=f"Imported from a spreadsheet: {reason}",
        )


@register
class SubcontractImport(AgreementImport):
    key = "subcontracts"
    order = 65
    title = "Subcontracts"
    sheet = "Subcontracts"
    noun = ("subcontract", "subcontracts")
    model = Subcontract
    list_url = "contracts:subcontract_list"
    parties = ("contract", "lead", "cvo")
    columns = [
        Column("Reference", "reference", required=True, max_length=60),
        Column("Title", "title", required=True),
        Column(
            "Prime contract",
            "contract",
            help="The reference of the contract it delivers part of, if any.",
            refers=True,
        ),
        Column("Lead", "lead", required=True, help="The lead agency letting it.", refers=True),
        Column(
            "Subcontractor", "cvo", required=True, help="The member delivering it.", refers=True
        ),
        *TERMS,
        Column("Special terms", "special_terms", max_length=5000),
    ]

    def validate(self, user, rows):
        problems = super().validate(user, rows)
        known = {c.reference.casefold() for c in Contract.objects.visible_to(user)}
        for row in rows:
            ref = row.values.get("contract")
            if ref and ref.casefold() not in known:
                problem_at(
                    problems,
                    row,
                    "contract",
                    self,
                    f"Prime contract: no contract has the reference {ref}. Import the contracts "
                    "first, or correct the reference.",
                )
        return problems

    def save(self, user, sub, values, *, reason):
        sub = self.fill(user, sub or Subcontract(), values)
        ref = values.get("contract")
        sub.contract = (
            Contract.objects.visible_to(user).filter(reference__iexact=ref).first() if ref else None
        )
        return agreement_save(
            by=user, agreement=sub, reason=f"Imported from a spreadsheet: {reason}"
        )
