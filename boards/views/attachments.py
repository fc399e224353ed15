"""Attachment downloads: the files of posts, only for those who may read them.

Files are never served from MEDIA_URL; every request comes through here, so
a file goes when its post is deleted or its thread hidden. Browsers keep a
copy but must ask again before showing it (no-cache): a copy kept from
before the thread was hidden is then refused, not confirmed.
"""

import hashlib

from django.http import FileResponse, Http404
from django.utils.cache import get_conditional_response
from django.utils.csp import CSP
from django.utils.http import http_date, quote_etag
from django.views.decorators.cache import cache_control
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from .. import permissions
from ..attachments import THUMBNAIL_CONTENT_TYPE
from ..models import Attachment

# A browser showing an image on its own wraps it in a page of its making,
# which needs inline styles; nothing may run, and nothing else may load.
FILE_CSP = {
    "default-src": [CSP.NONE],
    "img-src": [CSP.SELF],
    "style-src": [CSP.UNSAFE_INLINE],
    "sandbox": True,
}


def _file_response(request, attachment, stored, **kwargs):
    """The stored file, or 304 when the browser's copy is still this file.

    Called after the permission check only. A stored file never changes
    (a new upload gets a new random name), so its name makes the ETag.
    """
    etag = quote_etag(hashlib.sha256(stored.name.encode()).hexdigest()[:32])
    last_modified = int(attachment.created_at.timestamp())
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = FileResponse(stored.open("rb"), **kwargs)
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = http_date(last_modified)
    return response


@require_safe
@cache_control(private=True, no_cache=True)
@csp_override(FILE_CSP)
def download(request, pk, name):
    """The file itself: images shown in the browser, the rest downloaded."""
    attachment = permissions.access_attachment(request.user, pk)
    # The name in the URL is for people reading it, but it must be right.
    if name != attachment.original_name:
        raise Http404
    return _file_response(
        request,
        attachment,
        attachment.file,
        as_attachment=attachment.kind != Attachment.Kind.IMAGE,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


@require_safe
@cache_control(private=True, no_cache=True)
@csp_override(FILE_CSP)
def thumbnail(request, pk):
    """The small preview of an image attachment."""
    attachment = permissions.access_attachment(request.user, pk)
    if not attachment.thumbnail:
        raise Http404
    return _file_response(
        request,
        attachment,
        attachment.thumbnail,
        content_type=THUMBNAIL_CONTENT_TYPE,
    )
