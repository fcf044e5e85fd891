"""Draws the demo's sample images (static/samples/): simple flat illustrations, one per sample article and author.

Our own work, dedicated to the public domain (CC0 1.0); see static/samples/LICENSE.txt.
Plain Python (zlib + struct), no image library: ``python -m tests.digest.sample_images``
writes them again, byte for byte the same.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

from syndication.paths import STATIC_DIR

SAMPLES_DIR = STATIC_DIR / "samples"
WIDTH, HEIGHT = 640, 360
PORTRAIT = 160
RGB = tuple[int, int, int]


class Canvas:
    """An RGB raster with a few filled shapes; every shape is drawn as horizontal spans."""

    def __init__(self, width: int, height: int, color: RGB) -> None:
        self.width, self.height = width, height
        self.rows = [bytearray(bytes(color) * width) for _ in range(height)]

    def span(self, y: int, x0: float, x1: float, color: RGB) -> None:
        if not 0 <= y < self.height:
            return
        start, end = max(0, math.ceil(x0)), min(self.width, math.floor(x1) + 1)
        if end > start:
            self.rows[y][start * 3 : end * 3] = bytes(color) * (end - start)

    def gradient(self, top: RGB, bottom: RGB, y0: int = 0, y1: int | None = None) -> None:
        y1 = self.height if y1 is None else y1
        for y in range(y0, y1):
            t = (y - y0) / max(1, y1 - y0 - 1)
            self.span(y, 0, self.width, mix(top, bottom, t))

    def rect(self, x0: float, y0: float, x1: float, y1: float, color: RGB) -> None:
        for y in range(max(0, math.ceil(y0)), min(self.height, math.floor(y1) + 1)):
            self.span(y, x0, x1, color)

    def circle(self, cx: float, cy: float, r: float, color: RGB) -> None:
        for y in range(max(0, math.ceil(cy - r)), min(self.height, math.floor(cy + r) + 1)):
            half = math.sqrt(max(0.0, r * r - (y - cy) ** 2))
            self.span(y, cx - half, cx + half, color)

    def polygon(self, points: Sequence[tuple[float, float]], color: RGB) -> None:
        ys = [p[1] for p in points]
        for y in range(max(0, math.ceil(min(ys))), min(self.height, math.floor(max(ys)) + 1)):
            crossings = []
            for (ax, ay), (bx, by) in zip(points, [*points[1:], points[0]], strict=True):
                if (ay <= y < by) or (by <= y < ay):
                    crossings.append(ax + (y - ay) * (bx - ax) / (by - ay))
            crossings.sort()
            for left, right in zip(crossings[::2], crossings[1::2], strict=False):
                self.span(y, left, right, color)

    def hills(self, base: float, amplitude: float, waves: float, phase: float, color: RGB) -> None:
        points = [(0.0, float(self.height))]
        for x in range(0, self.width + 8, 8):
            points.append((x, base - amplitude * math.sin(waves * x / self.width * math.tau + phase)))
        points.append((float(self.width), float(self.height)))
        self.polygon(points, color)

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(row) for row in self.rows)

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        data = zlib.compress(raw, 9)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def _sky(c: Canvas, top: RGB = (120, 170, 215), bottom: RGB = (215, 230, 240)) -> None:
    c.gradient(top, bottom)


def building(c: Canvas) -> None:
    _sky(c)
    c.rect(0, 300, WIDTH, HEIGHT, (120, 120, 115))
    c.rect(150, 70, 490, 300, (60, 80, 95))
    for col in range(8):
        for row in range(6):
            c.rect(166 + col * 40, 86 + row * 36, 194 + col * 40, 112 + row * 36, (150, 200, 225))
    c.rect(300, 250, 340, 300, (40, 50, 60))


def bridge(c: Canvas) -> None:
    _sky(c, (90, 150, 210), (220, 225, 230))
    c.rect(0, 250, WIDTH, HEIGHT, (50, 100, 140))
    c.rect(0, 200, WIDTH, 214, (200, 200, 195))
    for x in range(40, WIDTH, 60):
        arch = 200 - 60 * math.sin(math.pi * x / WIDTH)
        c.rect(x - 2, arch, x + 2, 200, (230, 230, 225))
    c.polygon([(0, 200), (WIDTH / 2, 130), (WIDTH, 200), (WIDTH, 206), (WIDTH / 2, 138), (0, 206)], (240, 240, 235))
    for x in range(80, WIDTH, 160):
        c.rect(x - 6, 214, x + 6, 250, (170, 170, 165))


def vineyard(c: Canvas) -> None:
    _sky(c, (140, 185, 225), (235, 225, 200))
    c.hills(170, 30, 1.2, 0.5, (110, 140, 70))
    for row in range(9):
        y = 200 + row * 18
        c.rect(0, y, WIDTH, y + 6, (70, 100, 45))
    for x, shade in ((120, (200, 60, 50)), (200, (40, 90, 170)), (280, (240, 180, 40))):
        c.circle(x, 150, 10, (90, 60, 45))
        c.rect(x - 8, 160, x + 8, 200, shade)


def lecture_hall(c: Canvas) -> None:
    c.gradient((70, 60, 90), (40, 35, 55))
    c.rect(170, 40, 470, 190, (210, 225, 240))
    for i in range(5):
        c.circle(250 + i * 35, 110 + 25 * math.sin(i), 8, (60, 110, 190))
    for row in range(5):
        y = 220 + row * 28
        c.rect(40 - row * 10, y, WIDTH - 40 + row * 10, y + 14, (150, 95, 55))


def theatre(c: Canvas) -> None:
    c.rect(0, 0, WIDTH, HEIGHT, (30, 20, 25))
    c.polygon([(0, 0), (180, 0), (120, 300), (0, 300)], (150, 25, 35))
    c.polygon([(WIDTH, 0), (WIDTH - 180, 0), (WIDTH - 120, 300), (WIDTH, 300)], (150, 25, 35))
    c.rect(0, 300, WIDTH, HEIGHT, (90, 60, 40))
    c.polygon([(320, 20), (220, 300), (420, 300)], (70, 60, 50))
    for x in (260, 380):
        c.circle(x, 200, 14, (230, 200, 170))
        c.rect(x - 14, 214, x + 14, 300, (40, 60, 110))


def wind_park(c: Canvas) -> None:
    _sky(c, (110, 160, 215), (225, 235, 240))
    c.hills(260, 25, 1.5, 1.0, (95, 135, 80))
    for x, h in ((160, 150), (330, 180), (500, 140)):
        top = 260 - h
        c.rect(x - 3, top, x + 3, 262, (240, 240, 240))
        for angle in (90, 210, 330):
            a = math.radians(angle + x)
            tip = (x + 70 * math.cos(a), top - 70 * math.sin(a))
            side = (x + 8 * math.cos(a + 1.3), top - 8 * math.sin(a + 1.3))
            c.polygon([(x, top), side, tip], (245, 245, 245))
        c.circle(x, top, 5, (200, 200, 200))


def parliament(c: Canvas) -> None:
    c.gradient((200, 190, 170), (170, 160, 140))
    for ring in range(5):
        r = 250 - ring * 35
        color = (40 + ring * 15, 70 + ring * 12, 120 + ring * 10)
        arc = [(320 + r * math.cos(math.pi * i / 24), 330 - r * math.sin(math.pi * i / 24)) for i in range(25)]
        c.polygon(arc, color)
    c.rect(280, 280, 360, 330, (110, 80, 50))
    c.rect(0, 330, WIDTH, HEIGHT, (120, 90, 60))


def classroom(c: Canvas) -> None:
    c.rect(0, 0, WIDTH, HEIGHT, (235, 225, 200))
    c.rect(120, 40, 520, 180, (40, 80, 60))
    for i, word in enumerate((90, 140, 60)):
        c.rect(150, 70 + i * 30, 150 + word * 2, 76 + i * 30, (230, 235, 230))
    for row in range(2):
        for col in range(4):
            x, y = 80 + col * 140, 230 + row * 60
            c.rect(x, y, x + 100, y + 14, (170, 120, 70))
            c.rect(x + 10, y + 14, x + 16, y + 50, (120, 85, 50))
            c.rect(x + 84, y + 14, x + 90, y + 50, (120, 85, 50))


def meeting(c: Canvas) -> None:
    c.gradient((225, 220, 210), (200, 195, 185))
    c.rect(60, 200, 580, 240, (120, 80, 50))
    for i in range(4):
        for x, suit in ((110 + i * 55, (30, 45, 80)), (370 + i * 55, (70, 70, 75))):
            c.circle(x, 150, 16, (225, 190, 160))
            c.rect(x - 18, 168, x + 18, 200, suit)
    c.rect(300, 120, 340, 150, (250, 250, 250))


def train(c: Canvas) -> None:
    _sky(c, (150, 180, 210), (235, 235, 235))
    c.hills(210, 20, 2.0, 0.2, (120, 150, 95))
    c.rect(0, 280, WIDTH, 290, (90, 80, 70))
    for x in range(0, WIDTH, 24):
        c.rect(x, 290, x + 12, 296, (110, 90, 70))
    c.rect(90, 190, 560, 280, (200, 30, 40))
    for x in range(110, 540, 60):
        c.rect(x, 205, x + 40, 235, (180, 215, 235))
    c.rect(90, 255, 560, 262, (240, 240, 240))


def factory(c: Canvas) -> None:
    c.gradient((190, 195, 200), (160, 165, 170))
    roof = [(x, 80 if (x // 80) % 2 else 120) for x in range(0, WIDTH + 1, 80)]
    c.polygon([(0, 120), *roof, (WIDTH, 120)], (90, 95, 100))
    c.rect(0, 120, WIDTH, 300, (140, 145, 150))
    c.rect(0, 300, WIDTH, HEIGHT, (100, 100, 100))
    c.rect(160, 200, 420, 300, (230, 140, 30))
    c.circle(230, 250, 30, (60, 60, 65))
    c.rect(420, 180, 440, 300, (60, 60, 65))


def forest(c: Canvas) -> None:
    _sky(c, (160, 190, 215), (220, 220, 205))
    c.hills(220, 15, 1.0, 0.0, (90, 110, 60))
    for i, x in enumerate(range(30, WIDTH, 70)):
        crown = (150, 110, 40) if i % 3 == 1 else (60, 110, 50)
        c.rect(x - 6, 220, x + 6, 320, (90, 65, 40))
        c.circle(x, 190 - (i % 2) * 20, 40, crown)
    c.rect(0, 320, WIDTH, HEIGHT, (110, 90, 55))


def christmas_market(c: Canvas) -> None:
    c.gradient((15, 20, 50), (40, 40, 80))
    c.rect(0, 300, WIDTH, HEIGHT, (70, 60, 60))
    for i in range(4):
        x = 40 + i * 150
        c.polygon([(x - 10, 210), (x + 60, 160), (x + 130, 210)], (150, 40, 40))
        c.rect(x, 210, x + 120, 300, (120, 80, 50))
        c.rect(x + 10, 225, x + 110, 260, (250, 200, 100))
    for x in range(20, WIDTH, 30):
        c.circle(x, 120 + 12 * math.sin(x / 40), 4, (255, 220, 120))
    c.circle(560, 60, 20, (240, 240, 220))


def portrait(background: RGB, skin: RGB, hair: RGB, shirt: RGB) -> Callable[[Canvas], None]:
    def draw(c: Canvas) -> None:
        c.gradient(background, mix(background, (255, 255, 255), 0.35))
        c.circle(80, 175, 62, shirt)
        c.circle(80, 70, 36, hair)
        c.circle(80, 78, 32, skin)
        c.rect(70, 105, 90, 120, skin)

    return draw


ARTICLE_IMAGES: dict[str, Callable[[Canvas], None]] = {
    "pfaff-areal-neubau": building,
    "radbruecke-entwurf": bridge,
    "marathon-weinberge": vineyard,
    "hoersaal-ki": lecture_hall,
    "die-raeuber-premiere": theatre,
    "windpark-kusel": wind_park,
    "landtag-mainz-plenarsaal": parliament,
    "grundschule-klassenzimmer": classroom,
    "gespraeche-wohnraum": meeting,
    "regionalbahn-westpfalz": train,
    "werkhalle-maschinenbau": factory,
    "buchen-pfaelzerwald": forest,
    "weihnachtsmarkt-stiftsplatz": christmas_market,
}
PORTRAITS: dict[str, Callable[[Canvas], None]] = {
    "jana-becker": portrait((70, 120, 160), (235, 200, 175), (120, 70, 35), (200, 90, 60)),
    "stefan-gross": portrait((110, 140, 90), (225, 190, 165), (60, 50, 45), (40, 60, 100)),
    "timo-wagner": portrait((180, 130, 60), (230, 195, 170), (200, 160, 90), (60, 110, 70)),
    "leonie-schaefer": portrait((140, 90, 130), (240, 205, 185), (40, 30, 30), (230, 200, 90)),
    "aylin-demir": portrait((60, 130, 130), (190, 145, 110), (30, 25, 25), (170, 50, 80)),
    "marc-fuchs": portrait((120, 110, 150), (230, 190, 160), (150, 110, 70), (80, 80, 90)),
}


def render_all() -> dict[str, bytes]:
    """Relative path under static/samples/ → PNG bytes."""
    images: dict[str, bytes] = {}
    for name, draw in ARTICLE_IMAGES.items():
        canvas = Canvas(WIDTH, HEIGHT, (0, 0, 0))
        draw(canvas)
        images[f"bilder/{name}.png"] = canvas.png()
    for name, draw in PORTRAITS.items():
        canvas = Canvas(PORTRAIT, PORTRAIT, (0, 0, 0))
        draw(canvas)
        images[f"autoren/{name}.png"] = canvas.png()
    return images


def write_all(folder: Path = SAMPLES_DIR) -> list[Path]:
    written = []
    for relative, data in render_all().items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    return written


if __name__ == "__main__":
    for path in write_all():
        print(f"{path.stat().st_size:>7} {path}")
