"""The compliance chart (drawn and cached by consortium.charts). The page shows the same
figures as a table."""

from consortium import charts


def data_hash(points):
    return charts.figures_hash(points)[:16]


def compliance_svg(points):
    """points: [(month label, rate or None, met, due)]."""
    return charts.render(
        "supervision-compliance", points, _draw, figsize=(8, 3.2), layout="constrained"
    ).image


def _draw(fig, points):
    ax = fig.subplots()
    labels = [p[0] for p in points]
    values = [float(p[1]) if p[1] is not None else 0.0 for p in points]
    bars = ax.bar(range(len(labels)), values, color="#1d70b8")
    for bar, point in zip(bars, points, strict=True):
        text = "no data" if point[1] is None else f"{point[1]}%"
        ax.annotate(
            text,
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=7,
        )
    ax.axhline(80, color="#0b0c0c", linestyle="--", linewidth=1, label="80% threshold")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
    ax.set_ylim(0, 110)
    ax.set_ylabel("Supervision met (%)")
    ax.legend(loc="lower right", fontsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
