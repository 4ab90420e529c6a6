"""Render resources/icons/hitl-desktop.svg into every raster the app and its bundles use.

    python tools/bundle/render_icons.py

Writes, next to the SVG (resources/icons/):
- png/hitl-desktop-<N>.png for N in 16…512 (window icon, Linux hicolor theme),
- hitl-desktop.ico (Windows executable; PNG-compressed entries, 16…256),
- hitl-desktop.iconset/ (the names macOS `iconutil -c icns` expects) and hitl-desktop.icns
  built from the same PNGs, so a macOS build needs no extra tool.

Qt's own SVG renderer draws the icon, so no other imaging library is involved. The ICO and ICNS
containers are written here: both are a small header followed by the PNG files verbatim.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parents[2] / "resources" / "icons"
NAME = "hitl-desktop"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# (iconset file name, pixel size, ICNS element type) — Apple's table of PNG-backed icon types.
ICONSET = (
    ("icon_16x16.png", 16, b"icp4"), ("icon_16x16@2x.png", 32, b"ic11"),
    ("icon_32x32.png", 32, b"icp5"), ("icon_32x32@2x.png", 64, b"ic12"),
    ("icon_128x128.png", 128, b"ic07"), ("icon_128x128@2x.png", 256, b"ic13"),
    ("icon_256x256.png", 256, b"ic08"), ("icon_256x256@2x.png", 512, b"ic14"),
    ("icon_512x512.png", 512, b"ic09"), ("icon_512x512@2x.png", 1024, b"ic10"),
)


def render_png(svg: Path, size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG for Qt")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.convertToFormat(QImage.Format.Format_ARGB32).save(buffer, "PNG")
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO file whose images are PNGs (supported since Windows Vista)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, png in sorted(pngs.items()):
        dimension = 0 if size >= 256 else size  # 0 means 256 in an ICO directory entry
        entries += struct.pack("<BBBBHHII", dimension, dimension, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    return header + entries + blobs


def icns_bytes(elements: list[tuple[bytes, bytes]]) -> bytes:
    body = b"".join(kind + struct.pack(">I", 8 + len(png)) + png for kind, png in elements)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    svg = ICONS / f"{NAME}.svg"
    sizes = sorted({*PNG_SIZES, *ICO_SIZES, *(size for _, size, _ in ICONSET)})
    pngs = {size: render_png(svg, size) for size in sizes}

    (ICONS / "png").mkdir(exist_ok=True)
    for size in PNG_SIZES:
        (ICONS / "png" / f"{NAME}-{size}.png").write_bytes(pngs[size])
    (ICONS / f"{NAME}.ico").write_bytes(ico_bytes({size: pngs[size] for size in ICO_SIZES}))
    iconset = ICONS / f"{NAME}.iconset"
    iconset.mkdir(exist_ok=True)
    for file_name, size, _kind in ICONSET:
        (iconset / file_name).write_bytes(pngs[size])
    (ICONS / f"{NAME}.icns").write_bytes(icns_bytes([(kind, pngs[size]) for _, size, kind in ICONSET]))
    print(f"Wrote {len(PNG_SIZES)} PNGs, {NAME}.ico, {NAME}.iconset/ and {NAME}.icns into {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
