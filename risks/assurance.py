"""The risks app's section of the assurance pack: the consortium register's top risks and
its residual heat map, as a table (the same counts as the heat map page)."""

from consortium.assurance import pack_section, table
from risks import selectors
from risks.models import Risk

TOP = 10


@pack_section("risks", "Top risks and the residual heat map", order=50)
def top_risks(ctx):
    risks = list(
        Risk.objects.visible_to(ctx.user)
        .open()
        .filter(register__organisation__isnull=True)
        .select_related("register__matrix", "category")
        .order_by("-residual_score", "reference")[:TOP]
    )
    if not risks:
        return {"empty": "The consortium register has no open risks."}
    heat, _register = selectors.heat_map(ctx.user, kind="residual")
    rows = [
        [
            r.reference,
            r.title,
            r.category.name,
            r.inherent_score,
            r.residual_score,
            r.residual().label,
            r.target_score,
            r.next_review,
        ]
        for r in risks
    ]
    grid = [[f"{lk} {label}", *[c.count for c in cells]] for lk, label, cells in heat.rows]
    # The highest residual band among the open risks: extreme red, high amber, else green.
    band = risks[0].residual().key
    rating = {"extreme": "red", "high": "amber"}.get(band, "green")
    return {
        "summary": [f"{heat.total} open risks on the consortium register."],
        "rag": rating,
        "tables": [
            table(
                [
                    "Reference",
                    "Risk",
                    "Category",
                    "Inherent",
                    "Residual",
                    "Band",
                    "Target",
                    "Next review",
                ],
                rows,
                f"The {len(rows)} highest residual risks",
            ),
            table(
                ["Likelihood \\ consequence"]
                + [f"{n} {label}" for n, label in heat.consequence_labels],
                grid,
                "Residual heat map (open risks per cell)",
            ),
        ],
    }
