"""Images: POST /images (multipart/form-data) uploads one, for a post to take."""

from __future__ import annotations

from flask import request, url_for
from flask.views import MethodView
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict, FileStorage
from werkzeug.exceptions import UnsupportedMediaType

from forum.api.auth import require_user
from forum.api.common import Blueprint, created
from forum.api.schemas import ImageSchema, ImageUploadSchema
from forum.errors import Invalid
from forum.models import Image
from forum.services import images as image_service


def image_url(image) -> str:
    return url_for("images.show", image_id=image.id, name=image.stored_name, _external=True)


def post_image_view(image) -> dict:
    """An image as a post shows it."""
    return {"id": image.id, "url": image_url(image), "alt": image.alt,
            "credit": image.credit, "credit_url": image.credit_url,
            "width": image.width, "height": image.height}


def image_view(image) -> dict:
    """An upload, as its uploader sees it."""
    return {**post_image_view(image), "content_type": image.content_type}


class MultipartParser(FlaskParser):
    """The `files` location reads a multipart body whole: its file and its fields."""

    def load_files(self, req, schema):
        return MultiDictProxy(CombinedMultiDict([req.files, req.form]), schema)


class UploadBlueprint(Blueprint):
    ARGUMENTS_PARSER = MultipartParser()


bp = UploadBlueprint("Images", __name__, url_prefix="/api/v1",
                     description="Images for posts: upload, then name them in a post")


def require_multipart() -> None:
    """This door takes multipart/form-data, never JSON (415 otherwise)."""
    if request.method == "POST" and request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType("Send the image as multipart/form-data, in a part "
                                   "named 'file'.")


@bp.route("/images")
class ImageUploads(MethodView):
    @bp.arguments(ImageUploadSchema, location="files", unknown=RAISE)  # strict, as JSON
    @bp.created(ImageSchema, Image, image_url)
    @bp.errors(403, 422)
    @bp.doc(operationId="uploadImage")
    def post(self, data):
        """Upload an image; it stays yours alone until a post names it (createPost or
        updatePost `images`), and is removed after a day if none does"""
        user = require_user()
        file = data["file"]
        if not isinstance(file, FileStorage):
            raise Invalid({"file": ["Send the image as a file part named 'file'."]})
        image = image_service.upload_image(
            user, file.stream, alt=data.get("alt"), credit=data.get("credit"),
            credit_url=data.get("credit_url"))
        return created(lambda: image_view(image), image)
