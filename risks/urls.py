from django.urls import path

from risks.views import registers, risk, suggestions, swot

app_name = "risks"
urlpatterns = [
    path("", registers.RegisterList.as_view(), name="register_list"),
    path("open/", registers.register_open, name="register_open"),
    path("registers/<int:pk>/", registers.register_detail, name="register_detail"),
    path("registers/<int:register_pk>/add/", risk.risk_create, name="risk_create"),
    path(
        "registers/<int:pk>/matrix/", registers.register_adopt_matrix, name="register_adopt_matrix"
    ),
    path("list/", registers.RiskList.as_view(), name="risk_list"),
    path("heat-map/", registers.heatmap, name="heatmap"),
    path("heat-map/chart.svg", registers.heatmap_chart, name="heatmap_chart"),
    path("risks/<int:pk>/", risk.risk_detail, name="risk_detail"),
    path("risks/<int:pk>/change/", risk.risk_edit, name="risk_edit"),
    path("risks/<int:pk>/review/", risk.risk_review, name="risk_review"),
    path("risks/<int:pk>/close/", risk.risk_close, name="risk_close"),
    path("risks/<int:pk>/control/", risk.control_add, name="control_add"),
    path("risks/<int:pk>/action/", risk.action_add, name="action_add"),
    path("risks/<int:pk>/accept/", risk.risk_accept, name="risk_accept"),
    path("risks/<int:pk>/escalate/", risk.risk_escalate, name="risk_escalate"),
    path("risks/<int:pk>/de-escalate/", risk.risk_deescalate, name="risk_deescalate"),
    path("actions/<int:pk>/done/", risk.action_done, name="action_done"),
    path("escalations/<int:pk>/", risk.escalation_decide, name="escalation_decide"),
    path("suggested/", suggestions.suggestions, name="suggestions"),
    path("suggested/dismiss/", suggestions.suggestion_dismiss, name="suggestion_dismiss"),
    path("swot/", swot.SwotList.as_view(), name="swot_list"),
    path("swot/add/", swot.swot_create, name="swot_create"),
    path("swot/<int:pk>/", swot.swot_detail, name="swot_detail"),
    path("swot/<int:pk>/item/", swot.swot_item_add, name="swot_item_add"),
    path("swot/<int:pk>/agree/", swot.swot_agree, name="swot_agree"),
    path("swot/<int:pk>/new-round/", swot.swot_new_round, name="swot_new_round"),
    path("swot/<int:pk>/compare/<int:other>/", swot.swot_compare, name="swot_compare"),
    path("swot/items/<int:pk>/consensus/", swot.swot_item_override, name="swot_item_override"),
    path("swot/items/<int:pk>/action/", swot.swot_action_add, name="swot_action_add"),
    path("settings/", registers.risk_settings, name="risk_settings"),
]
