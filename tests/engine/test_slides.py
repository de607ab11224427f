"""A chart as a projector slide (pruning_core/plots/slides.py): the layout at presenter sizes with its title and
caption, and the PNG Chromium draws from it through kaleido - 1280x720 and not blank."""
from __future__ import annotations

import io

import numpy as np
import PIL.Image
import pytest

from pruning_core.plots import figures, slides
from pruning_core.plots.browser import chromium_installed

ROWS = [{"percent": p, "accuracy_after_prune": 0.97 - p / 1000, "accuracy_after_retrain": 0.98 - p / 3000}
        for p in (10.0, 50.0, 90.0)]
CAPTION = ("Look at the gap between the lines: the dashed line drops right after each prune, the solid one shows "
           "what retraining wins back - until very high sparsity. <b>not bold</b>")


def chart():
    return figures.accuracy_vs_sparsity(ROWS, 0.98, (0.0, 0.98), 330)


def test_the_slide_is_1280_by_720_with_title_and_caption_at_presenter_sizes():
    fig = chart()
    before = fig.to_json()
    slide = slides.slide_figure(fig, "Accuracy vs weights pruned", CAPTION)
    assert fig.to_json() == before  # the page's figure (maybe cached) is left as it was
    assert (slide.layout.width, slide.layout.height) == (1280, 720)
    assert slide.layout.title.text == "Accuracy vs weights pruned" and slide.layout.title.font.size >= 20
    caption = slide.layout.annotations[-1]
    assert caption.text.replace("<br>", " ") == CAPTION.replace("<", "&lt;").replace(">", "&gt;")
    assert caption.text.count("<br>") == 1 and caption.font.size >= 20
    assert slide.layout.font.size >= 20
    assert all(axis.tickfont.size >= 20 for axis in [*slide.select_xaxes(), *slide.select_yaxes()])
    # The caption stands under the x axis, inside the slide: in the bottom margin, above the slide's edge.
    plot_px = 720 - slide.layout.margin.t - slide.layout.margin.b
    assert -slide.layout.margin.b / plot_px < caption.y < 0


def test_a_long_caption_wraps_between_words():
    lines = slides.caption_lines("word " * 60)
    assert len(lines) == 3 and all(len(line) <= slides.CAPTION_CHARS for line in lines)


@pytest.mark.skipif(not chromium_installed(), reason="Debian's Chromium is not installed")
def test_the_slide_png_is_1280_by_720_and_not_blank():
    png = slides.slide_png(chart(), "Accuracy vs weights pruned", CAPTION)
    image = PIL.Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (1280, 720)
    pixels = np.asarray(image.convert("RGB")).astype(int)
    # Not blank: the red retrain line and dark text are drawn on the white slide.
    red = (pixels[..., 0] > 180) & (pixels[..., 1] < 80) & (pixels[..., 2] < 80)
    dark = pixels.sum(axis=2) < 400  # text: plotly's #2a3f5f, the caption's #444444
    assert red.sum() > 500 and dark.sum() > 2000
    assert dark[-60:].sum() > 200  # the caption's text at the bottom of the slide
