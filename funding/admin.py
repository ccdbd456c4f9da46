"""The admin for money, scoped like every page, to read: streams and payments are recorded
and moved on through Concord's own pages (which check the rules, keep who approved what and
record the business events), so the admin lists and shows them but does not add, change or
delete them."""

from django.contrib import admin

from consortium.admin import ReadOnlyAdminMixin, ScopedAdmin
from funding.models import FundingStream, Payment


class ReadOnlyAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    pass


@admin.register(FundingStream)
class FundingStreamAdmin(ReadOnlyAdmin):
    list_display = ["name", "funder", "kind", "amount", "start", "end", "status"]
    list_filter = ["kind", "status"]
    list_select_related = ["funder"]
    search_fields = ["name"]
    exclude = ["consortium"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "description",
        "recipient",
        "due_date",
        "amount",
        "status",
        "is_adjustment",
        "paid_on",
        "reference",
    ]
    list_filter = ["status", "is_adjustment"]
    list_select_related = ["recipient"]
    search_fields = ["description", "reference"]
    exclude = ["consortium"]
