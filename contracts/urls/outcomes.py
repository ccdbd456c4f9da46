from django.urls import path

from contracts.views import outcomes as views

app_name = "outcomes"
urlpatterns = [
    path("measures/", views.MeasureList.as_view(), name="measure_list"),
    path("measures/add/", views.measure_edit, name="measure_create"),
    path("measures/<int:pk>/", views.measure_detail, name="measure_detail"),
    path("measures/<int:pk>/change/", views.measure_edit, name="measure_edit"),
    path("measures/<int:pk>/claim/", views.claim_start, name="claim_start"),
    path("measures/<int:pk>/publish/", views.measure_publish, name="measure_publish"),
    path("measures/<int:pk>/revise/", views.measure_revise, name="measure_revise"),
    path("claims/", views.ClaimList.as_view(), name="claim_list"),
    path("claims/<int:pk>/", views.claim_detail, name="claim_detail"),
    path("claims/<int:pk>/lines/add/", views.line_add, name="line_add"),
    path("claims/<int:pk>/template.xlsx", views.claim_template, name="claim_template"),
    path("claims/<int:pk>/upload/", views.claim_upload, name="claim_upload"),
    path("claims/<int:pk>/counts/", views.claim_counts, name="claim_counts"),
    path("claims/<int:pk>/submit/", views.claim_submit, name="claim_submit"),
    path("claims/<int:pk>/sample/", views.claim_sample, name="claim_sample"),
    path("claims/<int:pk>/verify_all/", views.claim_verify_all, name="claim_verify_all"),
    path("claims/<int:pk>/verify/", views.claim_verify, name="claim_verify"),
    path("claims/<int:pk>/return/", views.claim_return, name="claim_return"),
    path("claims/<int:pk>/reject/", views.claim_reject, name="claim_reject"),
    path("claims/<int:pk>/approve/", views.claim_approve, name="claim_approve"),
    path("claims/<int:pk>/pay/", views.claim_pay, name="claim_pay"),
    path("lines/<int:pk>/decide/", views.line_decide, name="line_decide"),
    path("lines/<int:pk>/remove/", views.line_remove, name="line_remove"),
    path("statement/", views.statement, name="pbr_statement"),
    path("exposure/", views.exposure, name="exposure"),
    path("allocation-figures/", views.allocation_figures, name="allocation_figures"),
]
