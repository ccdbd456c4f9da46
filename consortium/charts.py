"""Charts, one way: drawn server-side with matplotlib's Figure API (never pyplot, which keeps
global state), imported only when a chart is drawn, and cached in Django's cache by a SHA-256
hash of the figures the chart shows. A chart comes back with those same figures, so the page
can give them as a table: the text alternative every chart needs."""

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

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
