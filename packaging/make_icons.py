"""Draw ConvScope's icon: a 3x3 kernel over an image tile, projecting onto one output pixel.

One list of shapes (on a 256 x 256 canvas) is written out twice: as resources/icon.svg (the
source for anyone who edits the icon) and, through Pillow, as the PNG sizes and the Windows
ICO, so no SVG renderer is needed to rebuild them. Run from the repository root:

    python packaging/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256)
CANVAS = 256
SUPERSAMPLE = 4  # draw big, then shrink: smooth edges without an anti-aliasing renderer

BACKGROUND = "#1f2f46"
KERNEL = "#ff9f1c"
BEAM = "#7a5c35"  # the kernel's orange at 40% over the background, pre-mixed (no alpha)
TILE_ORIGIN, CELL, CELLS = (28, 84), 30, 5
KERNEL_CELLS = 3
OUTPUT_BOX = (184, 30, 228, 74)


def _gray(row: int, col: int) -> str:
    """A fixed, varied pattern of gray pixels for the image tile."""
    value = 70 + ((row * 3 + col * 5) % 7) * 26
    return f"#{value:02x}{value:02x}{value:02x}"


def shapes() -> list[tuple]:
    """The icon, back to front: (kind, geometry, fill, outline, width)."""
    x0, y0 = TILE_ORIGIN
    items: list[tuple] = [("round", (8, 8, 248, 248), BACKGROUND, None, 0)]
    for row in range(CELLS):
        for col in range(CELLS):
            box = (x0 + col * CELL, y0 + row * CELL, x0 + (col + 1) * CELL, y0 + (row + 1) * CELL)
            items.append(("rect", box, _gray(row, col), BACKGROUND, 2))
    k1 = (x0 + KERNEL_CELLS * CELL, y0 + KERNEL_CELLS * CELL)
    left, top, right, bottom = OUTPUT_BOX
    items.append(("poly", ((k1[0], y0), (left, top), (left, bottom), (k1[0], k1[1])),
                  BEAM, None, 0))
    for i in range(1, KERNEL_CELLS):
        items.append(("line", (x0 + i * CELL, y0, x0 + i * CELL, k1[1]), None, KERNEL, 3))
        items.append(("line", (x0, y0 + i * CELL, k1[0], y0 + i * CELL), None, KERNEL, 3))
    items.append(("rect", (x0, y0, k1[0], k1[1]), None, KERNEL, 8))
    items.append(("rect", OUTPUT_BOX, KERNEL, "#ffffff", 4))
    return items


def svg_text() -> str:
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{CANVAS}" height="{CANVAS}" '
             f'viewBox="0 0 {CANVAS} {CANVAS}">',
             "  <title>ConvScope: a 3x3 kernel over an image tile</title>"]
    for kind, geo, fill, outline, width in shapes():
        paint = fill or "none"
        stroke = f' stroke="{outline}" stroke-width="{width}"' if outline else ""
        if kind in ("round", "rect"):
            x, y, r, b = geo
            radius = ' rx="40"' if kind == "round" else ""
            parts.append(f'  <rect x="{x}" y="{y}" width="{r - x}" height="{b - y}"{radius} '
                         f'fill="{paint}"{stroke}/>')
        elif kind == "poly":
            points = " ".join(f"{px},{py}" for px, py in geo)
            parts.append(f'  <polygon points="{points}" fill="{paint}"/>')
        else:
            x, y, r, b = geo
            parts.append(f'  <line x1="{x}" y1="{y}" x2="{r}" y2="{b}"{stroke}/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def render(size: int) -> Image.Image:
    scale = size * SUPERSAMPLE / CANVAS
    big = Image.new("RGBA", (size * SUPERSAMPLE,) * 2, (0, 0, 0, 0))
    draw = ImageDraw.Draw(big)
    for kind, geo, fill, outline, width in shapes():
        scaled = [round(v * scale) for v in (geo if kind != "poly" else sum(geo, ()))]
        line_width = max(1, round(width * scale))
        if kind == "round":
            draw.rounded_rectangle(scaled, radius=round(40 * scale), fill=fill)
        elif kind == "rect":
            inset = line_width // 2  # SVG strokes are centred on the edge
            box = [scaled[0] - inset, scaled[1] - inset, scaled[2] + inset, scaled[3] + inset]
            draw.rectangle(box if outline else scaled, fill=fill, outline=outline,
                           width=line_width if outline else 0)
        elif kind == "poly":
            draw.polygon(list(zip(scaled[::2], scaled[1::2])), fill=fill)
        else:
            draw.line(scaled, fill=outline, width=line_width)
    return big.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    (RESOURCES / "icon.svg").write_text(svg_text())
    images = {size: render(size) for size in PNG_SIZES}
    for size, image in images.items():
        image.save(RESOURCES / f"icon-{size}.png", optimize=True)
    largest = images[max(PNG_SIZES)]
    ico_sizes = [s for s in PNG_SIZES if s != max(PNG_SIZES)]
    largest.save(RESOURCES / "icon.ico", format="ICO", sizes=[(s, s) for s in PNG_SIZES],
                 append_images=[images[s] for s in ico_sizes])
    print(f"wrote icon.svg, icon-{{{','.join(map(str, PNG_SIZES))}}}.png and icon.ico "
          f"in {RESOURCES}")


if __name__ == "__main__":
    main()
