"""Charts, one way: drawn server-side with matplotlib's Figure API (never pyplot, which keeps
global state), imported only when a chart is drawn, and cached in Django's cache by a SHA-256
hash of the figures the chart shows. A chart comes back with those same figures, so the page
can give them as a table: the text alternative every chart needs."""

import hashlib
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.utils.html import escape

CACHE_SECONDS = 60 * 60


@dataclass(frozen=True)
class Chart:
    image: str | bytes  # SVG text, or PNG bytes
    figures: Any  # what it shows, for the table beside it
    content_type: str = "image/svg+xml"


def figures_hash(figures) -> str:
    """A stable digest of a chart's figures (for the cache and for cache-busting URLs)."""
    return hashlib.sha256(repr(figures).encode()).hexdigest()


def render(
    name: str,
    figures: Any,
    draw: Callable,
    *,
    image_format: str = "svg",
    **figure_options,
) -> Chart:
    """Draw `figures` with `draw(fig, figures)` on a matplotlib Figure made with
    `figure_options`, or take the drawing from the cache when the same figures were drawn
    before."""
    key = f"chart:{name}:{image_format}:{figures_hash(figures)}"
    image = cache.get(key)
    if image is None:
        from matplotlib.figure import Figure

        fig = Figure(**figure_options)
        draw(fig, figures)
        buffer = io.BytesIO() if image_format == "png" else io.StringIO()
        metadata = {"Software": None} if image_format == "png" else {"Date": None}
        fig.savefig(buffer, format=image_format, metadata=metadata)
        image = buffer.getvalue()
        cache.set(key, image, CACHE_SECONDS)
    content_type = "image/png" if image_format == "png" else "image/svg+xml"
    return Chart(image=image, figures=figures, content_type=content_type)


def render_svg(name: str, figures: Any, draw: Callable[[Any], str]) -> Chart:
    """As `render`, for a chart written as SVG text by `draw(figures)` without matplotlib
    (a plain bar chart costs a millisecond this way, against matplotlib's import and layout
    on every first drawing)."""
    key = f"chart:{name}:svg-text:{figures_hash(figures)}"
    image = cache.get(key)
    if image is None:
        image = draw(figures)
        cache.set(key, image, CACHE_SECONDS)
    return Chart(image=image, figures=figures)


def stacked_bars_svg(
    title: str,
    labels: list,
    series: list,
    *,
    value_label: Callable[[float], str] = "{:,.0f}".format,
    axis_title: str = "",
    width: int = 900,
    height: int = 380,
) -> str:
    """A stacked bar chart as SVG text: `series` is [(name, colour, [value per label])],
    stacked in that order from the axis up, with a legend and a labelled value axis. The
    values are floats for drawing only; the page gives the exact figures in its table."""
    left, right, top, bottom = 80, 170, 36, 60
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(s[2][i] for s in series) for i in range(len(labels))]
    highest = max([*totals, 0.0])
    step = _nice_step(highest / 4) if highest > 0 else 1.0
    ceiling = step * max(1, -(-highest // step))
    y = lambda v: top + plot_h - plot_h * v / ceiling  # noqa: E731
    slot = plot_w / max(1, len(labels))
    bar = slot * 0.8
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" font-family="sans-serif">',
        f"<title>{escape(title)}</title>",
        f'<text x="{width / 2:.0f}" y="20" text-anchor="middle" font-size="14">'
        f"{escape(title)}</text>",
    ]
    ticks = int(ceiling / step)
    for k in range(ticks + 1):
        v = step * k
        out.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'stroke="#b1b4b6" stroke-width="{1 if k == 0 else 0.5}"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="10">'
            f"{escape(value_label(v))}</text>"
        )
    if axis_title:
        out.append(
            f'<text transform="translate(14 {top + plot_h / 2:.0f}) rotate(-90)" '
            f'text-anchor="middle" font-size="11">{escape(axis_title)}</text>'
        )
    for i, label in enumerate(labels):
        x = left + slot * i + (slot - bar) / 2
        base = 0.0
        for _name, colour, values in series:
            v = values[i]
            if v > 0:
                out.append(
                    f'<rect x="{x:.1f}" y="{y(base + v):.1f}" width="{bar:.1f}" '
                    f'height="{y(base) - y(base + v):.1f}" fill="{colour}"/>'
                )
            base += v
        cx, cy = x + bar / 2, top + plot_h + 8
        out.append(
            f'<text transform="translate({cx:.1f} {cy}) rotate(-90)" text-anchor="end" '
            f'dominant-baseline="middle" font-size="9">{escape(str(label))}</text>'
        )
    for k, (name, colour, _values) in enumerate(series):
        ly = top + 14 * k
        out.append(
            f'<rect x="{width - right + 12}" y="{ly}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{width - right + 27}" y="{ly + 9}" font-size="10">{escape(name)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def _nice_step(rough: float) -> float:
    """1, 2 or 5 times a power of ten, at least `rough`."""
    power = 10 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
