"""Text that stays inside its box on a printed card: a long name shrinks, then wraps.

fpdf2's ``cell`` draws past its width when the text is longer, onto the QR code or the next
card. ``fit`` finds the largest font size at which the text fits on one line; below a floor it
wraps onto as many lines as the box is tall enough for, shrinking further; what still does not
fit (a name of hundreds of letters) ends in an ellipsis rather than leaving the box.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpdf import FPDF

PT = 25.4 / 72  # millimetres per point
LEADING = 1.15  # line height as a multiple of the font size


@dataclass(frozen=True, slots=True)
class Fitted:
    """Font size (pt), the lines to draw and their height (mm)."""

    size: float
    lines: list[str]

    @property
    def line_height(self) -> float:
        return self.size * PT * LEADING


def fit(
    pdf: FPDF, text: str, width: float, height: float, largest: float, smallest: float
) -> Fitted:
    """The biggest size from ``largest`` down to ``smallest`` at which ``text`` fits the box."""
    size = largest
    while size >= smallest:
        pdf.set_font_size(size)
        lines = wrap(pdf, text, width)
        if len(lines) * size * PT * LEADING <= height:
            return Fitted(size, lines)
        size -= 0.5
    pdf.set_font_size(smallest)
    room = max(1, int(height // (smallest * PT * LEADING)))
    lines = wrap(pdf, text, width)
    if len(lines) > room:
        lines = [*lines[: room - 1], _cut(pdf, "".join(lines[room - 1 :]), width)]
    return Fitted(smallest, lines)


def wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """Lines no wider than ``width`` at the current font: at a space when there is one, else
    between any two characters (Chinese names have no spaces)."""
    lines: list[str] = []
    line = ""
    for char in text:
        if line and pdf.get_string_width(line + char) > width:
            head, space, tail = line.rpartition(" ")
            if space and head:
                lines.append(head)
                line = tail.lstrip() + char
            else:
                lines.append(line)
                line = "" if char == " " else char
        else:
            line += char
    return [*lines, line] if line or not lines else lines


def _cut(pdf: FPDF, text: str, width: float) -> str:
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def draw(
    pdf: FPDF, text: str, x: float, y: float, box: tuple[float, float], sizes: tuple[float, float]
) -> Fitted:
    """Draw ``text`` inside the ``box`` (width, height) at (x, y), as large as fits."""
    width, height = box
    fitted = fit(pdf, text, width, height, *sizes)
    for number, line in enumerate(fitted.lines):
        pdf.set_xy(x, y + number * fitted.line_height)
        pdf.cell(width, fitted.line_height, line)
    return fitted
