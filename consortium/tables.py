import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from consortium.columns import ConcordTable, DateTimeColumn
from consortium.exports import Export
from consortium.models import Organisation, RoleAssignment, SecurityEvent, Site


class OrganisationTable(ConcordTable):
    name = tables.Column(linkify=True)
    role = tables.Column(verbose_name="Role in the consortium", empty_values=(), orderable=False)

    export = {"role": Export(record=True)}

    class Meta(ConcordTable.Meta):
        model = Organisation
        fields = ["name", "kind", "role", "registered_number", "email"]

    def render_role(self, record):
        return ", ".join(m.get_role_display() for m in record.consortium_memberships) or "—"

    def value_role(self, record):
        return self.render_role(record)


class SiteTable(ConcordTable):
    name = tables.Column(linkify=True)

    export = {"operated_by": Export("operated_by__name", stub=True)}

    class Meta(ConcordTable.Meta):
        model = Site
        fields = ["name", "kind", "borough", "operated_by"]


class PeopleTable(ConcordTable):
    person = tables.Column(
        accessor="user__last_name",
        verbose_name="Person",
        order_by=("user__last_name", "user__first_name"),
    )
    email = tables.Column(accessor="user__email", verbose_name="Email")

    export = {
        "person": Export("user__first_name", "user__last_name", "user__username", stub=True),
        "organisation": Export("organisation__name", stub=True),
    }

    class Meta(ConcordTable.Meta):
        model = RoleAssignment
        fields = ["person", "email", "organisation", "role"]

    def render_person(self, record):
        url = reverse("consortium:person_detail", args=[record.user_id])
        return format_html('<a class="govuk-link" href="{}">{}</a>', url, self.value_person(record))

    def value_person(self, record):
        return record.user.get_full_name() or record.user.username


class SecurityEventTable(ConcordTable):
    at = DateTimeColumn(verbose_name="When", format="j M Y H:i:s")
    username = tables.Column(verbose_name="Who")
    ip_address = tables.Column(verbose_name="IP address")
    user_agent = tables.Column(verbose_name="Browser")

    class Meta(ConcordTable.Meta):
        model = SecurityEvent
        fields = ["at", "kind", "username", "detail", "ip_address", "user_agent", "path"]
