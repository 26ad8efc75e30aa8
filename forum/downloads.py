"""Files sent for download by the pages and the API alike, as attachments that no cache
keeps: an archive job's file, kept for a while."""

from __future__ import annotations

from flask import Response, send_file


def kept_file(kept, mimetype: str) -> Response:
    """`kept` has an open `handle`, `name` and `size` (services.archive_jobs.KeptFile)."""
    response = send_file(kept.handle, mimetype=mimetype, as_attachment=True,
                         download_name=kept.name, conditional=False, etag=False, max_age=0)
    response.headers["Content-Length"] = str(kept.size)
    response.headers["Cache-Control"] = "no-store"
    return response
