"""The admin for the workforce, scoped like every page. Confidential session notes
(SessionNote) are deliberately not registered: nobody reads them here, not even a
superuser, and sessions have no inline or search that touches them."""

from django.contrib import admin

from consortium import access
from consortium.admin import ScopedAdmin, _people_in_scope
from supervision.models import (
    LeavePeriod,
    Post,
    SessionAction,
    StaffMember,
    SupervisionRequirement,
    SupervisionSession,
)


class PeopleScopedAdmin(ScopedAdmin):
    """Scoped, with user choices limited to people of the consortium, and new rows placed in
    the administrator's consortium."""

    user_fields = ()
    exclude = ["consortium"]

    def save_model(self, request, obj, form, change):
        obj.consortium_id = access.actor(request.user).consortium_id
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.user_fields:
            kwargs["queryset"] = _people_in_scope(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Post)
class PostAdmin(PeopleScopedAdmin):
    list_display = ["title", "organisation", "status", "vacancy_start", "fte"]
    list_filter = ["status"]
    list_select_related = ["organisation"]
    search_fields = ["title"]


@admin.register(StaffMember)
class StaffMemberAdmin(PeopleScopedAdmin):
    user_fields = ("clinical_supervisor", "group_supervisor")
    # The sign-in linked to a staff record reads that person's confidential notes, so nobody
    # may attach one here (an administrator could otherwise attach their own).
    readonly_fields = ["user"]
    list_display = ["last_name", "first_name", "organisation", "post", "registration_expiry"]
    list_select_related = ["organisation", "post"]
    search_fields = ["first_name", "last_name"]


@admin.register(LeavePeriod)
class LeavePeriodAdmin(ScopedAdmin):
    list_display = ["staff", "start", "end", "reason"]
    list_select_related = ["staff"]


@admin.register(SupervisionRequirement)
class SupervisionRequirementAdmin(PeopleScopedAdmin):
    list_display = ["kind", "interval_months", "post", "staff"]
    list_select_related = ["post", "staff"]


@admin.register(SupervisionSession)
class SupervisionSessionAdmin(PeopleScopedAdmin):
    user_fields = ("supervisor",)
    list_display = ["date", "kind", "status", "supervisor"]
    list_filter = ["kind", "status"]
    list_select_related = ["supervisor"]
    # Themes only: notes are not on this model, so no search can reach them.
    search_fields = ["themes"]


@admin.register(SessionAction)
class SessionActionAdmin(ScopedAdmin):
    list_display = ["description", "due", "done_on"]
