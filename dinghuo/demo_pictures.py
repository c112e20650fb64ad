"""Product pictures for the demo catalog, drawn at seed time without any imaging library.

Each picture is a flat drawing of the device (phone, foldable, tablet, laptop
or accessory) in the variant's colour on a soft background, written as a PNG
with :mod:`zlib`. Shapes are rounded rectangles filled one row span at a time,
so a picture costs a few milliseconds and the demo needs no Pillow.
"""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass

SIZE = 480
RGB = tuple[int, int, int]

COLOURS: dict[str, RGB] = {
    "雅丹黑": (44, 44, 48),
    "白沙银": (212, 214, 218),
    "南糯紫": (140, 112, 172),
    "雅川青": (72, 128, 118),
    "曜金黑": (52, 46, 40),
    "樱语白": (244, 232, 232),
    "玄黑": (32, 32, 34),
    "深空灰": (92, 96, 104),
    "冰霜银": (198, 204, 212),
    "白色": (242, 242, 242),
    "黑色": (36, 36, 36),
    "紫色": (128, 100, 160),
    "陶瓷白": (246, 244, 238),
}
SCREEN: RGB = (24, 34, 56)
GLASS: RGB = (54, 84, 128)


@dataclass(frozen=True)
class Box:
    """A rounded rectangle: left, top, right, bottom (exclusive) and corner radius."""

    x0: int
    y0: int
    x1: int
    y1: int
    radius: int
    colour: RGB

    def span(self, y: int) -> tuple[int, int] | None:
        """The columns this shape covers on row ``y``, or None."""
        if not self.y0 <= y < self.y1:
            return None
        r = self.radius
        if y < self.y0 + r:
            d = self.y0 + r - y - 0.5
        elif y >= self.y1 - r:
            d = y - (self.y1 - r) + 0.5
        else:
            d = 0.0
        inset = round(r - math.sqrt(max(r * r - d * d, 0))) if d > 0 else 0
        return self.x0 + inset, self.x1 - inset


def _shade(colour: RGB, amount: float) -> RGB:
    """Lighter (amount > 0, towards white) or darker (amount < 0, towards black)."""
    target = 255 if amount > 0 else 0
    return tuple(round(c + (target - c) * abs(amount)) for c in colour)  # type: ignore[return-value]


def _shapes(kind: str, colour: RGB) -> list[Box]:
    edge = _shade(colour, -0.25)
    if kind == "phone":
        lens = (14, 14, 18)
        return [
            Box(96, 70, 256, 410, 30, edge),
            Box(100, 74, 252, 406, 27, colour),
            Box(118, 92, 190, 164, 24, _shade(colour, -0.18)),
            Box(126, 100, 152, 126, 13, lens),
            Box(156, 128, 182, 154, 13, lens),
            Box(214, 50, 384, 430, 32, edge),
            Box(218, 54, 380, 426, 29, colour),
            Box(226, 62, 372, 418, 22, SCREEN),
            Box(291, 74, 307, 90, 8, (8, 8, 10)),
        ]
    if kind == "fold":
        return [
            Box(92, 70, 388, 410, 26, edge),
            Box(96, 74, 384, 406, 23, colour),
            Box(104, 82, 238, 398, 16, SCREEN),
            Box(242, 82, 376, 398, 16, SCREEN),
        ]
    if kind == "tablet":
        return [
            Box(70, 100, 410, 380, 28, edge),
            Box(74, 104, 406, 376, 25, colour),
            Box(86, 116, 394, 364, 14, SCREEN),
        ]
    if kind == "laptop":
        return [
            Box(96, 96, 384, 300, 14, edge),
            Box(104, 104, 376, 292, 8, SCREEN),
            Box(60, 300, 420, 326, 10, colour),
            Box(200, 300, 280, 308, 4, edge),
        ]
    return [
        Box(150, 130, 330, 350, 42, edge),
        Box(154, 134, 326, 346, 39, colour),
        Box(208, 206, 272, 274, 32, _shade(colour, -0.12)),
    ]


def draw(kind: str, colour_name: str) -> bytes:
    """A PNG of a ``kind`` device ("phone", "fold", "tablet", "laptop", else an accessory)."""
    colour = COLOURS.get(colour_name, (120, 126, 136))
    shapes = _shapes(kind, colour)
    top, bottom = _shade(colour, 0.86), _shade(colour, 0.7)
    if sum(colour) > 600:
        top, bottom = (236, 240, 246), (214, 220, 230)
    rows = bytearray()
    for y in range(SIZE):
        t = y / (SIZE - 1)
        background = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        row = bytearray(bytes(background) * SIZE)
        for shape in shapes:
            covered = shape.span(y)
            if covered:
                x0, x1 = covered
                fill = shape.colour
                if shape.colour == SCREEN:
                    fill = tuple(
                        round(a + (b - a) * ((y - shape.y0) / max(shape.y1 - shape.y0, 1)))
                        for a, b in zip(GLASS, SCREEN, strict=True)
                    )  # type: ignore[assignment]
                row[x0 * 3 : x1 * 3] = bytes(fill) * (x1 - x0)
        rows += b"\x00" + row
    return _png(rows)


def _png(raw: bytearray) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 6))
        + chunk(b"IEND", b"")
    )
