"""Fast redraws of a matplotlib figure whose frame does not change (blitting on the Agg canvas).

A `BlitFigure` draws everything that is not marked `animated` (axes, ticks, labels, legends,
colour bars) once and keeps the pixels as a background. A redraw restores that background, draws
only the animated artists (nodes, edges, bars, labels) and encodes the canvas as PNG with light
compression: a few tens of milliseconds instead of a full draw with all its text. The network
picture and the firm-loss histogram are drawn so.
"""

from __future__ import annotations

import io

from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

PNG_COMPRESSION = 1  # fast to encode; the images are small either way
FIGURE_SIZE, FIGURE_DPI = (6.4, 4.6), 80  # 512 x 368 pixels: fits a cell of Mesa's page grid (390 px high)


class BlitFigure:
    """A figure plus its Agg canvas, the cached background and the artists drawn over it."""

    def __init__(self, figure: Figure):
        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        self.animated: list[Artist] = []
        self._background = None

    def animate(self, artist: Artist) -> Artist:
        """Mark `artist` as redrawn every frame (left out of the cached background)."""
        artist.set_animated(True)
        self.animated.append(artist)
        return artist

    def png(self) -> bytes:
        """The figure as PNG bytes: cached background plus the animated artists as they are now."""
        if self._background is None:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in self.animated:
            artist.draw(renderer)
        image = Image.frombuffer("RGBA", self.canvas.get_width_height(), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        out = io.BytesIO()
        image.convert("RGB").save(out, format="png", compress_level=PNG_COMPRESSION)
        return out.getvalue()
