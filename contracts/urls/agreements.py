from django.urls import path

from contracts.views import agreements as views

app_name = "contracts"
urlpatterns = [
    path("prime/", views.ContractList.as_view(), name="contract_list"),
    path("prime/add/", views.contract_edit, name="contract_create"),
    path("prime/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("prime/<int:pk>/change/", views.contract_edit, name="contract_edit"),
    path("prime/<int:pk>/vary/", views.contract_variation, name="contract_variation"),
    path("subcontracts/", views.SubcontractList.as_view(), name="subcontract_list"),
    path("subcontracts/add/", views.subcontract_edit, name="subcontract_create"),
    path("subcontracts/<int:pk>/", views.subcontract_detail, name="subcontract_detail"),
    path("subcontracts/<int:pk>/change/", views.subcontract_edit, name="subcontract_edit"),
    path("subcontracts/<int:pk>/vary/", views.subcontract_variation, name="subcontract_variation"),
]
