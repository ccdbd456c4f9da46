import django_tables2 as tables
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from consortium.columns import ConcordTable, DateColumn
from consortium.exports import Export
from supervision.models import Post, StaffMember, SupervisionSession


class PostTable(ConcordTable):
    title = tables.Column(linkify=True)
    sites = tables.Column(empty_values=(), orderable=False)
    gap = tables.Column(verbose_name="Gap (days)", empty_values=(), orderable=False)

    export = {
        "organisation": Export("organisation__name", stub=True),
        "sites": Export(record=True),
        "gap": Export("status", "vacancy_start", stub=True),
    }

    class Meta(ConcordTable.Meta):
        model = Post
        fields = ["title", "organisation", "sites", "fte", "status", "vacancy_start", "gap"]

    def render_sites(self, record):
        return ", ".join(s.name for s in record.sites.all()) or "—"

    def value_sites(self, record):
        return self.render_sites(record)

    def render_gap(self, record):
        gap = record.gap_days()
        return "—" if gap is None else gap

    def value_gap(self, record):
        return record.gap_days()


class PostMoneyTable(PostTable):
    funding = tables.Column(verbose_name="Funded by", empty_values=(), orderable=False)

    export = {**PostTable.export, "funding": Export(record=True)}

    class Meta(PostTable.Meta):
        pass

    def render_funding(self, record):
        return (
            ", ".join(f"{s.name} (ends {s.end:%-d %b %Y})" for s in record.funded_by.all()) or "—"
        )

    def value_funding(self, record):
        return self.render_funding(record)


class PostAtRiskTable(ConcordTable):
    title = tables.Column(linkify=True)
    organisation = tables.Column(verbose_name="Employer")
    funding_end = DateColumn(verbose_name="Funding ends", format="j F Y")

    # The end date is the list's own annotation (the earliest end of the streams behind the
    # post), not a field: written in ISO form like every other date column's download.
    export = {
        "organisation": Export("organisation__name", stub=True),
        "funding_end": Export("funding_end", cell=lambda end: end or "—"),
    }

    class Meta(ConcordTable.Meta):
        model = Post
        fields = ["title", "organisation", "status", "funding_end"]
        empty_text = "No post matches these filters."


def deployable_tag(staff):
    fitness = staff.fitness()
    if fitness.deployable:
        return mark_safe('<strong class="govuk-tag govuk-tag--green">Deployable</strong>')
    return format_html(
        '<strong class="govuk-tag govuk-tag--red">Not deployable</strong> {}',
        "; ".join(fitness.reasons),
    )


class StaffTable(ConcordTable):
    name = tables.Column(
        accessor="last_name", verbose_name="Name", order_by=("last_name", "first_name")
    )
    deployable = tables.Column(verbose_name="Fit to practise", empty_values=(), orderable=False)
    supervisor = tables.Column(
        accessor="clinical_supervisor__last_name", verbose_name="Clinical supervisor"
    )

    export = {
        "name": Export("first_name", "last_name", stub=True),
        "organisation": Export("organisation__name", stub=True),
        "post": Export("post_id", "post__title", stub=True),
        "deployable": Export(
            "registration_expiry",
            "dbs_date",
            "dbs_update_service",
            "needs_police_vetting",
            "police_vetting_expiry",
            stub=True,
        ),
        "supervisor": Export(
            "clinical_supervisor__first_name",
            "clinical_supervisor__last_name",
            "clinical_supervisor__username",
            stub=True,
        ),
    }

    class Meta(ConcordTable.Meta):
        model = StaffMember
        fields = [
            "name",
            "organisation",
            "post",
            "profession",
            "registration_body",
            "registration_expiry",
            "dbs_date",
            "deployable",
            "supervisor",
        ]

    def render_name(self, record):
        return format_html(
            '<a class="govuk-link" href="{}">{}</a>', record.get_absolute_url(), record.name
        )

    def value_name(self, record):
        return record.name

    def render_post(self, record):
        return record.post.title if record.post_id else "—"

    def value_post(self, record):
        return record.post.title if record.post_id else ""

    def render_deployable(self, record):
        return deployable_tag(record)

    def value_deployable(self, record):
        fitness = record.fitness()
        return (
            "Deployable" if fitness.deployable else "Not deployable: " + "; ".join(fitness.reasons)
        )

    def render_supervisor(self, record):
        s = record.clinical_supervisor
        return (s.get_full_name() or s.username) if s else "—"

    def value_supervisor(self, record):
        s = record.clinical_supervisor
        return (s.get_full_name() or s.username) if s else ""


class SessionTable(ConcordTable):
    """Sessions. Confidential notes are not a column, and never will be: they live in
    SessionNote, which no list reads."""

    date = DateColumn(linkify=True, format="j M Y")
    attendees = tables.Column(empty_values=(), orderable=False)
    supervisor = tables.Column(
        accessor="supervisor__last_name",
        verbose_name="Supervisor",
        order_by=("supervisor__last_name", "supervisor__first_name"),
    )
    duration_minutes = tables.Column(verbose_name="Minutes")

    export = {
        "attendees": Export(
            "first_name",
            "last_name",
            many="attendees",
            cell=lambda people: ", ".join(f"{first} {last}" for first, last in people),
        ),
        "supervisor": Export(
            "supervisor__first_name", "supervisor__last_name", "supervisor__username", stub=True
        ),
    }

    class Meta(ConcordTable.Meta):
        model = SupervisionSession
        fields = [
            "date",
            "kind",
            "status",
            "attendees",
            "supervisor",
            "duration_minutes",
            "format",
            "themes",
        ]

    def render_attendees(self, record):
        return format_html_join(", ", "{}", ((a.name,) for a in record.attendees.all()))

    def value_attendees(self, record):
        return ", ".join(a.name for a in record.attendees.all())

    def render_supervisor(self, record):
        return record.supervisor.get_full_name() or record.supervisor.username

    def value_supervisor(self, record):
        return self.render_supervisor(record)
