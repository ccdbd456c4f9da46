"""The Django admin, scoped by the same access policy as every page. Out-of-scope objects
answer 404; the admin's history link leads to Concord's own scoped history page."""

from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.shortcuts import redirect
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from consortium import access, onboarding
from consortium.forms import StartConsortiumForm
from consortium.models import Consortium, Event, Membership, Organisation, RoleAssignment, Site
from consortium.onboarding import can_start_consortium
from consortium.views import save_or_refuse


class ReadOnlyAdminMixin:
    """An admin that lists and shows but never adds, changes or deletes: for records that are
    written only through Concord's own pages (which check the rules and record the business
    events) or are append-only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FencedAdmin(admin.ModelAdmin):
    """Objects the admin's queryset does not hold answer 404, not a redirect."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("Not found")
        return obj


class ScopedAdmin(FencedAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if hasattr(related, "Access") and hasattr(related.objects, "visible_to"):
            kwargs["queryset"] = related.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        related = db_field.related_model
        if hasattr(related, "Access") and hasattr(related.objects, "visible_to"):
            kwargs["queryset"] = related.objects.visible_to(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        return redirect("history", label=obj._meta.label, pk=obj.pk)

    def view_on_site_url(self, obj):
        return obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else None

    def has_change_permission(self, request, obj=None):
        # A frozen record (an approved return or allocation) is read-only here too.
        if getattr(obj, "is_frozen", False):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if getattr(obj, "is_frozen", False):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        obj._change_reason = "Changed in the admin" if change else "Added in the admin"
        obj.save()


@admin.register(Consortium)
class ConsortiumAdmin(ScopedAdmin):
    list_display = ["name", "open_book_allocations", "lead_work_approved_by"]

    def get_urls(self):
        from django.urls import path

        start = path(
            "start/",
            self.admin_site.admin_view(start_consortium),
            name="consortium_consortium_start",
        )
        return [start, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):

        extra_context = {**(extra_context or {}), "can_start": can_start_consortium(request.user)}
        return super().changelist_view(request, extra_context)


def start_consortium(request):
    """The operator starts a consortium (as `manage.py start_consortium` does): anybody else
    gets 404."""
    from django.shortcuts import render

    access.require(onboarding.can_start_consortium(request.user))
    form = StartConsortiumForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: onboarding.consortium_start(
                by=request.user, base_url=request.build_absolute_uri("/"), **form.cleaned_data
            ),
            success=lambda s: (
                f"{s.consortium.name} started. We have emailed {s.administrator.email} a link "
                "to set a password."
            ),
            to=lambda s: "admin:index",
        )
        if response:
            return response
    return render(
        request,
        "consortium/form_page.html",
        {"form": form, "title": "Start a consortium", "submit_label": "Start the consortium"},
    )


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdmin):
    list_display = ["name", "kind", "registered_number"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    list_display = ["organisation", "consortium", "role", "joined", "left"]
    list_filter = ["role"]
    list_select_related = ["organisation", "consortium"]


@admin.register(Site)
class SiteAdmin(ScopedAdmin):
    list_display = ["name", "kind", "borough", "operated_by"]
    list_filter = ["kind"]
    list_select_related = ["operated_by"]
    search_fields = ["name", "borough"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    list_display = ["user", "organisation", "role"]
    list_filter = ["role"]
    list_select_related = ["user", "organisation"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = _people_in_scope(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, FencedAdmin):
    list_display = ["at", "verb", "object_repr", "by", "reason"]
    list_select_related = ["by"]

    def get_queryset(self, request):
        actor = access.actor(request.user)
        return super().get_queryset(request).filter(consortium_id=actor.consortium_id)


def _people_in_scope(request):
    ids = RoleAssignment.objects.visible_to(request.user).values("user")
    return get_user_model().objects.filter(pk__in=ids)


User = get_user_model()
admin.site.unregister(User)
# Roles are RoleAssignments; permission groups are not used.
admin.site.unregister(Group)
# Second factors are each person's own (Sign-in settings); a lost one is reset with
# `manage.py reset_two_factor`. django-otp's admin pages list everyone's, unscoped.
for _model in (StaticDevice, TOTPDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
# The task queue is the operators' (`manage.py db_worker`, the database); its admin lists every
# consortium's tasks, unscoped.
for _model in apps.get_app_config("django_tasks_database").get_models():
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(User)
class ScopedUserAdmin(UserAdmin):
    """Only people who hold a role in the administrator's consortium."""

    def get_queryset(self, request):
        return _people_in_scope(request)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("Not found")
        return obj


@admin.register(WebAuthnCredential)
class PasskeyAdmin(ReadOnlyAdminMixin, FencedAdmin):
    """Passkeys and security keys of the people in the administrator's consortium, to read:
    people add and remove their own (Sign-in settings); a lost one goes with an
    administrator's reset of the person's second factors."""

    list_display = ["name", "user", "created_at", "last_used_at", "discoverable"]
    list_select_related = ["user"]
    fields = [
        "user",
        "name",
        "confirmed",
        "created_at",
        "last_used_at",
        "transports",
        "discoverable",
        "backup_eligible",
        "backup_state",
        "sign_count",
        "aaguid",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(user__in=_people_in_scope(request))


admin.site.site_header = "Concord administration"
admin.site.site_title = "Concord administration"


@login_required
def view_on_site(request, content_type_id, object_id):
    """The admin's "view on site" link, through the access policy (Django's own shortcut
    would look the object up unscoped)."""
    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
    except ContentType.DoesNotExist:
        raise Http404("Not found") from None
    if model is None or not hasattr(model, "Access") or not hasattr(model, "get_absolute_url"):
        raise Http404("Not found")
    obj = access.get_visible_or_404(model, request.user, pk=object_id)
    return redirect(obj.get_absolute_url())
