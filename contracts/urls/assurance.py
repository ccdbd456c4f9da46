from django.urls import path

from contracts.views import assurance as views

app_name = "assurance"
urlpatterns = [
    path("", views.PackList.as_view(), name="pack_list"),
    path("prepare/", views.pack_prepare, name="pack_prepare"),
    path("<int:pk>/", views.pack_detail, name="pack_detail"),
    path("<int:pk>/narrative/", views.pack_edit, name="pack_edit"),
    path("<int:pk>/actions/add/", views.action_edit, name="action_add"),
    path("<int:pk>/actions/<int:action_pk>/", views.action_edit, name="action_edit"),
    path("<int:pk>/refresh/", views.pack_refresh, name="pack_refresh"),
    path("<int:pk>/sign-off/", views.pack_sign_off, name="pack_sign_off"),
    path("<int:pk>/signing/", views.pack_signing, name="pack_signing"),
    path("<int:pk>/signing/retry/", views.pack_sign_off_retry, name="pack_sign_off_retry"),
    path("<int:pk>/acknowledge/", views.pack_acknowledge, name="pack_acknowledge"),
    path("<int:pk>/query/", views.query_raise, name="query_raise"),
    path("queries/<int:pk>/answer/", views.query_answer, name="query_answer"),
    path("<int:pk>/correct/", views.pack_revise, name="pack_revise"),
    path("<int:pk>/pack.xlsx", views.pack_xlsx, name="pack_xlsx"),
    path("<int:pk>/pack.pdf", views.pack_pdf, name="pack_pdf"),
]
