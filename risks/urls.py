from django.urls import path

from risks import views

app_name = "risks"
urlpatterns = [
    path("", views.register_list, name="register_list"),
    path("open/", views.register_open, name="register_open"),
    path("registers/<int:pk>/", views.register_detail, name="register_detail"),
    path("registers/<int:register_pk>/add/", views.risk_create, name="risk_create"),
    path("registers/<int:pk>/matrix/", views.register_adopt_matrix, name="register_adopt_matrix"),
    path("list/", views.RiskList.as_view(), name="risk_list"),
    path("heat-map/", views.heatmap, name="heatmap"),
    path("heat-map/chart.svg", views.heatmap_chart, name="heatmap_chart"),
    path("risks/<int:pk>/", views.risk_detail, name="risk_detail"),
    path("risks/<int:pk>/change/", views.risk_edit, name="risk_edit"),
    path("risks/<int:pk>/review/", views.risk_review, name="risk_review"),
    path("risks/<int:pk>/close/", views.risk_close, name="risk_close"),
    path("risks/<int:pk>/control/", views.control_add, name="control_add"),
    path("risks/<int:pk>/action/", views.action_add, name="action_add"),
    path("risks/<int:pk>/accept/", views.risk_accept, name="risk_accept"),
    path("risks/<int:pk>/escalate/", views.risk_escalate, name="risk_escalate"),
    path("risks/<int:pk>/de-escalate/", views.risk_deescalate, name="risk_deescalate"),
    path("actions/<int:pk>/done/", views.action_done, name="action_done"),
    path("escalations/<int:pk>/", views.escalation_decide, name="escalation_decide"),
    path("suggested/", views.suggestions, name="suggestions"),
    path("suggested/dismiss/", views.suggestion_dismiss, name="suggestion_dismiss"),
    path("swot/", views.swot_list, name="swot_list"),
    path("swot/add/", views.swot_create, name="swot_create"),
    path("swot/<int:pk>/", views.swot_detail, name="swot_detail"),
    path("swot/<int:pk>/item/", views.swot_item_add, name="swot_item_add"),
    path("swot/<int:pk>/agree/", views.swot_agree, name="swot_agree"),
    path("swot/<int:pk>/new-round/", views.swot_new_round, name="swot_new_round"),
    path("swot/<int:pk>/compare/<int:other>/", views.swot_compare, name="swot_compare"),
    path("swot/items/<int:pk>/consensus/", views.swot_item_override, name="swot_item_override"),
    path("swot/items/<int:pk>/action/", views.swot_action_add, name="swot_action_add"),
    path("settings/", views.risk_settings, name="risk_settings"),
]
