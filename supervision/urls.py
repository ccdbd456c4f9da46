from django.urls import path

from supervision import views

app_name = "supervision"
urlpatterns = [
    path("posts/", views.PostList.as_view(), name="post_list"),
    path("posts/at-risk/", views.PostAtRiskList.as_view(), name="post_at_risk_list"),
    path("posts/add/", views.post_edit, name="post_create"),
    path("posts/<int:pk>/", views.post_detail, name="post_detail"),
    path("posts/<int:pk>/change/", views.post_edit, name="post_edit"),
    path("staff/", views.StaffList.as_view(), name="staff_list"),
    path("staff/add/", views.staff_edit, name="staff_create"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/change/", views.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/leave/", views.leave_add, name="leave_add"),
    path("staff/<int:pk>/requirement/", views.requirement_add, name="requirement_add"),
    path("sessions/", views.SessionList.as_view(), name="session_list"),
    path("sessions/add/", views.session_create, name="session_create"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("actions/<int:pk>/done/", views.action_done, name="action_done"),
    path("my/record/", views.my_record, name="my_record"),
    path("my/supervision/", views.my_supervision, name="my_supervision"),
    path("compliance/", views.compliance_matrix, name="compliance"),
    path("compliance/chart.svg", views.compliance_chart, name="compliance_chart"),
]
