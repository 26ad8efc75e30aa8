"""Images of posts: served with their post's visibility; the post form's uploads."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request, url_for
from flask_login import current_user

from forum.errors import Invalid, NotFound
from forum.services import images as image_service

bp = Blueprint("images", __name__)

# Requests that may carry one image file: their body may be that much larger.
UPLOAD_ENDPOINTS = {"discussions.new_post", "posts.edit", "Images.ImageUploads"}
CACHE_CONTROL = "private, max-age=31536000, immutable"  # private: visibility is per viewer


@bp.app_url_value_preprocessor
def allow_one_upload(endpoint: str | None, _values) -> None:
    """A multipart request to a door that takes an image may be larger than other
    requests by one file. Set here, before any hook (CSRF) reads the body."""
    if endpoint in UPLOAD_ENDPOINTS and request.mimetype == "multipart/form-data":
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if limit is not None:
            request.max_content_length = limit + image_service.upload_max_bytes()


def image_url(image) -> str:
    return url_for("images.show", image_id=image.id, name=image.stored_name)


@bp.get("/images/<id:image_id>/<name>")
def show(image_id: int, name: str):
    """The image file, to whoever may see it; others (anonymous visitors too) get a
    plain 404, never a login page."""
    try:
        image = image_service.get_image(current_user, image_id)
    except NotFound:
        abort(404)
    if name != image.stored_name:
        abort(404)
    try:  # at most a few megabytes; read whole, so no file is left open
        data = image_service.file_path(image).read_bytes()
    except FileNotFoundError:
        abort(404)
    response = Response(data, mimetype=image.content_type)
    response.set_etag(image.stored_name)  # a file's content never changes under its name
    response.make_conditional(request)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = "inline"
    return response


class UploadRefused(Invalid):
    """A file of the post form was refused; its errors are on the form's rows."""


def post_form_images(form, post=None) -> list[dict] | None:
    """Upload each file the post form carries (stored unattached, the writer's; its
    row then names the image) and return the rows as the post service takes them:
    None when the form sent no image rows (leave the post's images), else the images
    kept, in order. Raises Invalid with errors on the rows' fields; rows uploaded
    before stay uploaded, and shown again."""
    if not form.images_sent():
        return None
    errors: dict[str, list[str]] = {}
    for index, row in enumerate(form.images):
        upload = row.file.data
        if not upload or row.image_id.data:
            continue
        try:
            image = image_service.upload_image(
                current_user, upload.stream, alt=row.alt.data, credit=row.credit.data,
                credit_url=row.credit_url.data)
        except Invalid as error:
            for field, messages in error.errors.items():
                errors.setdefault(f"images-{index}-{field}", []).extend(messages)
        else:
            row.image_id.data = str(image.id)
    if errors:
        raise UploadRefused(errors, "The image was not added: nothing was saved.")
    return form.image_rows()


def form_images(form, post=None) -> dict[int, object]:
    """The images a post form shows back, by id (only the writer's own)."""
    return image_service.own_uploads(current_user, form.image_ids(), post)


def image_errors(form, error: Invalid) -> Invalid:
    """The post service's image errors (by the place of the image in the list it was
    given) put on the form's rows: `images-<n>-id` on row n's image."""
    if isinstance(error, UploadRefused):
        return error
    rows = [index for index, row in enumerate(form.images)
            if str(row.image_id.data or "").strip() and not row.remove.data]
    placed: dict[str, list[str]] = {}
    for name, messages in error.errors.items():
        parts = name.split("-", 2)
        if len(parts) == 3 and parts[0] == "images" and parts[1].isdigit() \
                and int(parts[1]) < len(rows):
            field = "image_id" if parts[2] == "id" else parts[2]
            name = f"images-{rows[int(parts[1])]}-{field}"
        placed.setdefault(name, []).extend(messages)
    return Invalid(placed, error.message, conflict=error.conflict)
