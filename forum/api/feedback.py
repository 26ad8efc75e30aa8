"""Passage feedback over the API: /posts/{id}/annotations, /annotations/{id}."""

from __future__ import annotations

from flask.views import MethodView

from forum.api.auth import actor, require_user
from forum.api.common import PAGINATION, Blueprint, at, created, page_of
from forum.api.grading_schemas import AnnotationInputSchema, AnnotationSchema
from forum.api.present import user_ref
from forum.models import Annotation
from forum.services import annotations as annotation_service
from forum.services.posts import get_post

bp = Blueprint("Annotations", __name__, url_prefix="/api/v1",
               description="Staff comments on passages of posts")


def annotation_view(annotation, found: bool) -> dict:
    return {"id": annotation.id, "post_id": annotation.post_id,
            "author": user_ref(annotation.author), "quote": annotation.quote,
            "body": annotation.body, "body_html": annotation.body_html,
            "visibility": annotation.visibility, "orphaned": not found,
            "created_at": annotation.created_at}


@bp.route("/posts/<id:post_id>/annotations")
class Annotations(MethodView):
    @bp.response(200, AnnotationSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors()
    @bp.doc(operationId="listAnnotations")
    def get(self, post_id: int, pagination_parameters):
        """Passage comments you may see: private ones for the author and staff"""
        post = get_post(actor(), post_id)
        return page_of(annotation_service.annotations_for(actor(), post),
                       lambda a: annotation_view(a.annotation, a.found), pagination_parameters)

    @bp.arguments(AnnotationInputSchema)
    @bp.created(AnnotationSchema, Annotation, at(".AnnotationItem", "annotation_id"))
    @bp.errors(403, 409, 422)
    @bp.doc(operationId="createAnnotation")
    def post(self, data, post_id: int):
        """Comment on a passage copied from the post (instructors and TAs)"""
        user = require_user()
        post = get_post(user, post_id)
        annotation = annotation_service.annotate(user, post, **data)
        return created(lambda: annotation_view(annotation, True), annotation)


@bp.route("/annotations/<id:annotation_id>")
class AnnotationItem(MethodView):
    @bp.response(204)
    @bp.errors(403)
    @bp.doc(operationId="deleteAnnotation")
    def delete(self, annotation_id: int):
        """Withdraw a passage comment (instructors and TAs); it stays on record"""
        user = require_user()
        annotation_service.delete_annotation(
            user, annotation_service.get_annotation(user, annotation_id))
