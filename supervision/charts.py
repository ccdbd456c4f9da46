"""The compliance chart: drawn server-side with matplotlib's object API (never pyplot, which
keeps global state), as SVG, cached by a hash of the figures it shows. The page shows the
same figures as a table."""

import hashlib

from django.core.cache import cache

CACHE_SECONDS = 60 * 60


def data_hash(points):
    return hashlib.sha256(repr(points).encode()).hexdigest()[:16]


def compliance_svg(points):
    """points: [(month label, rate or None, met, due)]."""
    key = f"supervision-chart-{data_hash(points)}"
    svg = cache.get(key)
    if svg is None:
        svg = _draw(points)
        cache.set(key, svg, CACHE_SECONDS)
    return svg


def _draw(points):
    import io

    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3.2), layout="constrained")
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
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
