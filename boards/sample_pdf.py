"""A small, valid PDF written from its objects, for the demo and the load test.

Plain Python (no Django), so the load test's locustfile can use it too.
"""

import io


def minimal_pdf(objects, *, version=b"1.7"):
    """A PDF of the given object bodies, numbered from 1, with a correct
    cross-reference table; object 1 must be the catalogue."""
    out = io.BytesIO()
    out.write(b"%PDF-" + version + b"\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, xref)
    )
    return out.getvalue()
