from django.urls import path

from contracts.views import performance
from contracts.views import returns as views

app_name = "returns"
urlpatterns = [
    path("returns/", views.ReturnList.as_view(), name="return_list"),
    path("returns/<int:pk>/", views.return_detail, name="return_detail"),
    path("returns/<int:pk>/edit/", views.return_edit, name="return_edit"),
    path("returns/<int:pk>/template.xlsx", views.return_template, name="return_template"),
    path("returns/<int:pk>/upload/", views.return_upload, name="return_upload"),
    path("returns/<int:pk>/submit/", views.return_submit, name="return_submit"),
    path("returns/<int:pk>/approve/", views.return_approve, name="return_approve"),
    path("returns/<int:pk>/return/", views.return_return, name="return_return"),
    path("returns/<int:pk>/reopen/", views.return_reopen, name="return_reopen"),
    path("returns/<int:pk>/lock/", views.return_lock, name="return_lock"),
    path("returns/periods/<int:period_pk>/start/", views.return_start, name="return_start"),
    path("indicators/", performance.IndicatorList.as_view(), name="indicator_list"),
    path("indicators/add/", performance.indicator_edit, name="indicator_create"),
    path("indicators/<int:pk>/", performance.indicator_detail, name="indicator_detail"),
    path("indicators/<int:pk>/change/", performance.indicator_edit, name="indicator_edit"),
    path("reports/", performance.TemplateList.as_view(), name="template_list"),
    path("reports/<int:pk>/", performance.template_detail, name="template_detail"),
    path("reports/<int:pk>/report/", performance.template_report, name="template_report"),
    path("performance/", performance.performance, name="performance"),
    path("performance/activity/", performance.activity, name="activity"),
    path("performance/<int:pk>/", performance.performance, name="subcontract_performance"),
    path("performance/<int:pk>/periods/", performance.period_setup, name="period_setup"),
]
