"""The risks app's pages, one module per sub-domain (as contracts.views): registers and
the heat map, risks, suggested risks, SWOT analyses; risks.urls names them."""
