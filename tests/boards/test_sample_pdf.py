"""The demo's and the load test's PDF: valid, with a correct cross-reference table."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from boards.attachments import prepare_upload
from boards.sample_pdf import minimal_pdf

OBJECTS = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
]


def test_each_cross_reference_points_at_its_object():
    data = minimal_pdf(OBJECTS)
    offsets = [int(match) for match in re.findall(rb"(\d{10}) 00000 n", data)]
    assert len(offsets) == len(OBJECTS)
    for number, offset in enumerate(offsets, start=1):
        assert data[offset:].startswith(b"%d 0 obj\n" % number)
    startxref = int(re.search(rb"startxref\n(\d+)", data).group(1))
    assert data[startxref:].startswith(b"xref\n")


def test_the_upload_checks_accept_it():
    upload = SimpleUploadedFile("案内.pdf", minimal_pdf(OBJECTS), "application/pdf")
    assert prepare_upload(upload).content_type == "application/pdf"
