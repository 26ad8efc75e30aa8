"""A file written for one download, sent by the pages and the API alike: streamed as an
attachment that no cache keeps, and removed once the answer is closed."""

from __future__ import annotations

from flask import Response


def attachment(download, mimetype: str) -> Response:
    """`download` has `chunks()`, `name`, `size` and `discard()`
    (services.course_archives.ArchiveDownload)."""
    response = Response(download.chunks(), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{download.name}"',
        "Content-Length": str(download.size), "Cache-Control": "no-store"})
    response.call_on_close(download.discard)
    return response
