from django.urls import path

from consortium import views

app_name = "consortium"
urlpatterns = [
    path("organisations/", views.OrganisationList.as_view(), name="organisation_list"),
    path("organisations/add/", views.organisation_edit, name="organisation_create"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/change/", views.organisation_edit, name="organisation_edit"),
    path("sites/", views.SiteList.as_view(), name="site_list"),
    path("sites/add/", views.site_edit, name="site_create"),
    path("sites/<int:pk>/", views.site_detail, name="site_detail"),
    path("sites/<int:pk>/change/", views.site_edit, name="site_edit"),
    path("people/", views.People.as_view(), name="people"),
    path("people/add/", views.person_create, name="person_create"),
    path("people/<int:user_id>/", views.person_detail, name="person_detail"),
    path(
        "people/<int:user_id>/reset-two-factor/",
        views.person_reset_two_factor,
        name="person_reset_two_factor",
    ),
    path("roles/<int:pk>/remove/", views.role_revoke, name="role_revoke"),
    path("settings/", views.consortium_settings, name="settings"),
    path("switch/", views.switch_consortium, name="switch"),
    path("security-log/", views.SecurityLog.as_view(), name="security_log"),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("downloads/<int:pk>/", views.download_status, name="download_status"),
    path("downloads/<int:pk>/file/", views.download_file, name="download_file"),
    path("downloads/<int:pk>/retry/", views.download_retry, name="download_retry"),
    path("import/", views.import_list, name="import_list"),
    path("import/<slug:kind>/", views.import_upload, name="import_upload"),
    path("import/<slug:kind>/template.xlsx", views.import_template, name="import_template"),
]
