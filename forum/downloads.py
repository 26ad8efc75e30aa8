"""Files sent for download by the pages and the API alike, as attachments that no cache
keeps: one written for a single download (removed once the answer is closed), or one
kept for a while (an archive job's)."""

from __future__ import annotations

from flask import Response, send_file


def attachment(download, mimetype: str) -> Response:
    """`download` has `chunks()`, `name`, `size` and `discard()`
    (services.course_archives.ArchiveDownload)."""
    response = Response(download.chunks(), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{download.name}"',
        "Content-Length": str(download.size), "Cache-Control": "no-store"})
    response.call_on_close(download.discard)
    return response


def kept_file(kept, mimetype: str) -> Response:
    """`kept` has an open `handle`, `name` and `size` (services.archive_jobs.KeptFile)."""
    response = send_file(kept.handle, mimetype=mimetype, as_attachment=True,
                         download_name=kept.name, conditional=False, etag=False, max_age=0)
    response.headers["Content-Length"] = str(kept.size)
    response.headers["Cache-Control"] = "no-store"
    return response
