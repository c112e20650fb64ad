"""A one-page PDF shipping label, written by hand so the plugin needs no PDF library.

PDF's built-in fonts cover Latin text only, so the label prints what is
ASCII (tracking number, shipment and order numbers, phone); a real carrier
returns its own label with the address.
"""

from __future__ import annotations

from dinghuo.plugins import ShipmentRequest


def _escape(text: str) -> str:
    ascii_only = text.encode("ascii", "replace").decode("ascii")
    return ascii_only.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_label(tracking_number: str, request: ShipmentRequest) -> bytes:
    """A 100 × 150 mm label: tracking number large, then shipment, order and phone."""
    lines = [
        (24, f"{tracking_number}"),
        (12, f"Shipment {request.shipment_number}"),
        (12, f"Order {request.order_number}"),
        (12, f"Service {request.service or 'standard'}"),
        (12, f"Tel {request.destination.phone}"),
        (12, f"Parcels {len(request.parcels)}"),
    ]
    text = ["BT"]
    y = 380
    for size, line in lines:
        text.append(f"/F1 {size} Tf 1 0 0 1 20 {y} Tm ({_escape(line)}) Tj")
        y -= size + 14
    text.append("ET")
    stream = "\n".join(text).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 283 425] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
