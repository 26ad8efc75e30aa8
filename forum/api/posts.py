"""Posts and their threads: /discussions/{id}/posts, /posts/{id}, thread, revisions."""

from __future__ import annotations

from flask.views import MethodView

from forum.api.auth import actor, require_user
from forum.api.common import PAGINATION, Blueprint, at, created, fetched_page, page_of
from forum.api.present import nest, post_view, user_ref
from forum.api.schemas import (
    PostInputSchema,
    PostListArgsSchema,
    PostSchema,
    PostUpdateSchema,
    RevisionSchema,
    ThreadSchema,
)
from forum.models import Post
from forum.services import posts as post_service
from forum.services import reactions as reaction_service
from forum.services import reading
from forum.services.discussions import get_discussion
from forum.services.images import preload_images
from forum.services.threads import load_thread

bp = Blueprint("Posts", __name__, url_prefix="/api/v1",
               description="Posts, their threads and revisions")


@bp.route("/discussions/<id:discussion_id>/posts")
class Posts(MethodView):
    @bp.arguments(PostListArgsSchema, location="query")
    @bp.response(200, PostSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors(422)
    @bp.doc(operationId="listPosts")
    def get(self, args, discussion_id: int, pagination_parameters):
        """Posts you may see: your drafts first, then published ones in order"""
        viewer = actor()
        discussion = get_discussion(viewer, discussion_id)
        liked: set[int] = set()
        unread = []

        def fetch(offset: int, limit: int):
            summaries, total = post_service.page_of_posts(
                viewer, discussion, offset=offset, limit=limit,
                author_id=args.get("author_id"), since=args.get("since"))
            liked.update(reaction_service.liked_posts(viewer, [s.post.id for s in summaries]))
            preload_images([s.post for s in summaries])  # one statement for the page
            unread.append(reading.unread_in_discussion(
                viewer, discussion, [s.post.id for s in summaries]))
            return summaries, total

        return fetched_page(
            fetch, lambda s: post_view(s.post, viewer, s.reply_count, s.post.id in liked,
                                       unread[0]),
            pagination_parameters)

    @bp.arguments(PostInputSchema)
    @bp.created(PostSchema, Post, at(".PostItem", "post_id"))
    @bp.errors(403, 422)
    @bp.doc(operationId="createPost")
    def post(self, data, discussion_id: int):
        """Write a post with its sources, published or as a draft"""
        user = require_user()
        discussion = get_discussion(user, discussion_id)
        post = post_service.create_post(user, discussion, **data)
        return created(lambda: post_view(post, user, 0), post)


def _etag(post) -> dict:
    return {"id": post.id, "version": post.version, "deleted": post.is_deleted}


@bp.route("/posts/<id:post_id>")
class PostItem(MethodView):
    @bp.etag
    @bp.response(200, PostSchema)
    @bp.errors()
    @bp.doc(operationId="getPost")
    def get(self, post_id: int):
        """A post (a tombstone if it was deleted)"""
        post = post_service.get_post(actor(), post_id)
        bp.set_etag(_etag(post))
        return post_view(post, actor(),
                         unread=reading.unread_in_discussion(actor(), post.discussion, [post.id]))

    @bp.etag
    @bp.arguments(PostUpdateSchema)
    @bp.response(200, PostSchema)
    @bp.errors(403, 422)
    @bp.doc(operationId="updatePost")
    def patch(self, data, post_id: int):
        """Edit your post; a published post keeps its earlier text as a revision"""
        user = require_user()
        post = post_service.get_post(user, post_id)
        post_service.authorize_edit_post(user, post)
        bp.check_etag(_etag(post))
        fields = {"title": post.title, "body": post.body,
                  "sources": [{"citation": s.citation, "url": s.url} for s in post.sources],
                  **data}
        post_service.update_post(user, post, version=post.version, **fields)
        bp.set_etag(_etag(post))
        return post_view(post, user)

    @bp.response(204)
    @bp.errors(403)
    @bp.doc(operationId="deletePost")
    def delete(self, post_id: int):
        """Delete a post to a tombstone; its replies stay (author or staff)"""
        user = require_user()
        post_service.delete_post(user, post_service.get_post(user, post_id))


@bp.route("/posts/<id:post_id>/restore")
class PostRestore(MethodView):
    @bp.response(200, PostSchema)
    @bp.errors(403)
    @bp.doc(operationId="restorePost")
    def post(self, post_id: int):
        """Bring a deleted post back (instructors and TAs)"""
        user = require_user()
        post = post_service.restore_post(user, post_service.get_post(user, post_id))
        return post_view(post, user)


@bp.route("/posts/<id:post_id>/thread")
class PostThread(MethodView):
    @bp.response(200, ThreadSchema)
    @bp.errors()
    @bp.doc(operationId="getThread")
    def get(self, post_id: int):
        """The post with its whole reply tree, nested, in one response"""
        post = post_service.get_post(actor(), post_id)
        nodes = load_thread(actor(), post)
        post_liked, liked = reaction_service.liked_in_thread(actor(), post)
        read = reading.stored_read_state(actor(), post)
        new = frozenset(n.reply.id for n in nodes if reading.is_new_node(read, n))
        unread = reading.UnreadPosts(
            frozenset({post.id} if read.post_is_new and post.is_live else ()),
            {post.id: len(new)})
        return {**post_view(post, actor(), len(nodes), post_liked, unread),
                "replies": nest(nodes, actor(), liked, new)}


@bp.route("/posts/<id:post_id>/revisions")
class PostRevisions(MethodView):
    @bp.response(200, RevisionSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors(403)
    @bp.doc(operationId="listPostRevisions")
    def get(self, post_id: int, pagination_parameters):
        """Earlier texts of the post, newest first (its author and staff)"""
        user = require_user()
        post = post_service.get_post(user, post_id)
        return page_of(post_service.revisions_of(user, post), revision_view,
                       pagination_parameters)


def revision_view(revision) -> dict:
    return {"id": revision.id, "title": revision.title, "body": revision.body,
            "editor": user_ref(revision.editor), "created_at": revision.created_at}
