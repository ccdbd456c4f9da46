from django.urls import path

from funding import views

app_name = "funding"
urlpatterns = [
    path("streams/", views.StreamList.as_view(), name="stream_list"),
    path("streams/add/", views.stream_edit, name="stream_create"),
    path("streams/<int:pk>/", views.stream_detail, name="stream_detail"),
    path("streams/<int:pk>/change/", views.stream_edit, name="stream_edit"),
    path("runway/", views.runway, name="runway"),
    path("runway/chart.svg", views.runway_chart, name="runway_chart"),
    path("allocations/", views.AllocationList.as_view(), name="allocation_list"),
    path("allocations/add/", views.allocation_edit, name="allocation_create"),
    path("statement/", views.statement, name="statement"),
    path("allocations/<int:pk>/", views.allocation_detail, name="allocation_detail"),
    path("allocations/<int:pk>/change/", views.allocation_edit, name="allocation_edit"),
    path("allocations/<int:pk>/approve/", views.allocation_approve, name="allocation_approve"),
    path("allocations/<int:pk>/revise/", views.allocation_revise, name="allocation_revise"),
    path(
        "allocations/<int:pk>/compare/<int:other>/",
        views.allocation_compare,
        name="allocation_compare",
    ),
    path("allocations/<int:pk>/schedule/", views.schedule_generate, name="schedule_generate"),
    path("payments/", views.PaymentList.as_view(), name="payment_list"),
    path("payments/add/", views.payment_edit, name="payment_create"),
    path("payments/<int:pk>/", views.payment_detail, name="payment_detail"),
    path("payments/<int:pk>/change/", views.payment_edit, name="payment_edit"),
    path("payments/<int:pk>/approve/", views.payment_approve, name="payment_approve"),
    path("payments/<int:pk>/pay/", views.payment_pay, name="payment_pay"),
    path("payments/<int:pk>/withhold/", views.payment_withhold, name="payment_withhold"),
]
