import django_tables2 as tables
from django.utils.html import format_html

from consortium.columns import ConcordTable, MoneyColumn
from consortium.exports import Export, stub_of
from funding.models import Allocation, FundingStream, Payment

__all__ = ["AllocationTable", "MoneyColumn", "PaymentTable", "StreamTable"]


class StreamTable(ConcordTable):
    name = tables.Column(linkify=True)
    funder = tables.Column(accessor="funder__name", verbose_name="Funder")
    amount = MoneyColumn()
    expiry = tables.Column(verbose_name="Expiry", empty_values=(), orderable=False)

    export = {"expiry": Export("status", "end", stub=True)}

    class Meta(ConcordTable.Meta):
        model = FundingStream
        fields = ["name", "funder", "kind", "amount", "start", "end", "status", "expiry"]

    def render_expiry(self, record):
        text = self.value_expiry(record)
        if not text:
            return "—"
        horizon = record.horizon(self.today)
        tone = (
            "red"
            if horizon and horizon <= 30
            else "orange"
            if horizon and horizon <= 90
            else "yellow"
        )
        return format_html('<strong class="govuk-tag govuk-tag--{}">{}</strong>', tone, text)

    def value_expiry(self, record):
        horizon = record.horizon(self.today)
        if horizon is None:
            return "Ended" if record.days_left(self.today) < 0 else ""
        return f"Ends within {horizon} days"


class AllocationTable(ConcordTable):
    allocation = tables.Column(
        accessor="stream__name",
        verbose_name="Funding stream",
        linkify=lambda record: record.get_absolute_url(),
    )
    pot = MoneyColumn()

    class Meta(ConcordTable.Meta):
        model = Allocation
        fields = [
            "allocation",
            "period_start",
            "period_end",
            "revision",
            "formula",
            "pot",
            "status",
        ]


class PaymentTable(ConcordTable):
    payment = tables.Column(
        accessor="description",
        verbose_name="Payment",
        linkify=lambda record: record.get_absolute_url(),
        empty_values=(),
    )
    recipient = tables.Column(accessor="recipient__name", verbose_name="To")
    amount = MoneyColumn()
    overdue = tables.Column(verbose_name="Overdue", empty_values=(), orderable=False)

    export = {
        "payment": Export("description", stub=True),
        "overdue": Export("status", "due_date", today=True, cell=lambda *a: overdue_text(*a)),
    }

    class Meta(ConcordTable.Meta):
        model = Payment
        fields = [
            "payment",
            "recipient",
            "due_date",
            "amount",
            "status",
            "is_adjustment",
            "paid_on",
            "reference",
            "overdue",
        ]

    def render_payment(self, record):
        return record.description or "Payment"

    def render_overdue(self, record):
        if record.is_overdue(self.today):
            return format_html('<strong class="govuk-tag govuk-tag--red">{}</strong>', "Overdue")
        return ""

    def value_overdue(self, record):
        return "Overdue" if record.is_overdue(self.today) else ""


def overdue_text(today, status, due_date):
    """The overdue column's words for a payment's status and due date (read once per
    download, not per row)."""
    payment = stub_of(Payment, {"status": status, "due_date": due_date})
    return "Overdue" if payment.is_overdue(today) else ""
