from django.urls import path

from contracts import views

app_name = "contracts"
urlpatterns = [
    path("", views.ContractList.as_view(), name="contract_list"),
    path("add/", views.contract_edit, name="contract_create"),
    path("<int:pk>/", views.contract_detail, name="contract_detail"),
    path("<int:pk>/change/", views.contract_edit, name="contract_edit"),
    path("<int:pk>/vary/", views.contract_variation, name="contract_variation"),
    path("subcontracts/", views.SubcontractList.as_view(), name="subcontract_list"),
    path("subcontracts/add/", views.subcontract_edit, name="subcontract_create"),
    path("subcontracts/<int:pk>/", views.subcontract_detail, name="subcontract_detail"),
    path("subcontracts/<int:pk>/change/", views.subcontract_edit, name="subcontract_edit"),
    path("subcontracts/<int:pk>/vary/", views.subcontract_variation, name="subcontract_variation"),
]
