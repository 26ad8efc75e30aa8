"""A WordPress import's images: copied from a copy of the blog's uploads folder or
fetched from a real HTTP server on loopback, checked like any upload, shown by the post
with their alt text and credit; those that cannot be had stay links, with the reason."""

from __future__ import annotations

import io
import os
import threading
from contextlib import nullcontext
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image as PILImage
from sqlalchemy import func, select

from forum.errors import Invalid
from forum.extensions import db
from forum.formats.wxr import read_wxr
from forum.models import Image, Post
from forum.services import image_sources, wordpress
from forum.services.wordpress_images import NOT_HTTP, ImageSources, copy_images
from tests.servers import free_port
from tests.test_wordpress_import import make_seminar

DATA = Path(__file__).parent / "data" / "wordpress"
IMAGES = DATA / "images.xml"
BLOG_HOST = "https://hist212.blogs.example.edu"
MAX_BYTES = 40_000
MAX_PIXELS = 1_000_000


@pytest.fixture
def seminar(make):
    return make_seminar(make)


@pytest.fixture
def app_config(tmp_path):
    return {"FORUM_UPLOADS_DIR": str(tmp_path / "forum-uploads"),
            "FORUM_UPLOAD_MAX_BYTES": MAX_BYTES, "FORUM_UPLOAD_MAX_PIXELS": MAX_PIXELS}


def _png(size=(40, 30), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def _noise_png(side: int) -> bytes:
    """A PNG that does not compress: larger than MAX_BYTES at 150 by 150."""
    out = io.BytesIO()
    PILImage.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def _blog_files() -> dict[str, bytes]:
    """The blog's uploads, by their path under wp-content/uploads."""
    return {"2019/03/map-600x400.png": _png(), "2019/03/map.png": _png((80, 60)),
            "2019/03/poster.png": _png(color=(20, 20, 160)),
            "2019/03/notes.png": b"Lecture notes, week 3: not a picture at all.",
            "2019/03/huge.png": _noise_png(150),
            "2019/03/wide.png": _png((2000, 1000))}


@pytest.fixture
def uploads(tmp_path) -> Path:
    """A copy of the blog's wp-content/uploads, and beside it (where ../../etc/passwd
    from it leads) a readable image that must never be taken."""
    folder = tmp_path / "blog" / "wp-content" / "uploads"
    for name, data in _blog_files().items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    (tmp_path / "blog" / "etc").mkdir()
    (tmp_path / "blog" / "etc" / "passwd").write_bytes(_png())
    return folder


def _import(seminar, blog, sources):
    copies = copy_images(seminar.instructor, seminar.course, blog, sources)
    return wordpress.import_wordpress(seminar.instructor, seminar.course, blog, copies)


def _stored_files(app) -> list[Path]:
    folder = Path(app.config["FORUM_UPLOADS_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


def _reasons(summary) -> dict[str, str]:
    return {left.url.rsplit("/", 1)[-1]: left.reason for left in summary.images_left}


def test_images_come_from_the_uploads_folder_with_their_alt_text_and_credit(
        app, seminar, uploads, login_as):
    summary = _import(seminar, read_wxr(IMAGES), ImageSources(uploads=uploads))

    post = db.session.scalars(select(Post)).one()
    map_image, poster = post.images
    assert (map_image.alt, map_image.credit, map_image.credit_url) == (
        "Map of Europe in 1923", "Europe in 1923 (Wikimedia Commons)",
        "https://commons.wikimedia.org/wiki/File:Europe_1923.png")
    assert (map_image.width, map_image.height, map_image.uploader_id) == (40, 30,
                                                                          seminar.ana.id)
    # The block editor's figure had no alt and no caption: its attachment's are taken.
    assert (poster.alt, poster.credit) == ("A poster against the occupation of the Ruhr",
                                           "Poster of the Reich government, 1923")
    assert [i.position for i in post.images] == [0, 1]
    assert f"![Map of Europe in 1923](/images/{map_image.id}/{map_image.stored_name})" \
        in post.body
    assert ("*Europe in 1923 ([Wikimedia Commons](https://commons.wikimedia.org/wiki/"
            "File:Europe_1923.png))*") in post.body
    assert "hist212.blogs.example.edu/wp-content/uploads/2019/03/map" not in post.body
    assert f'<img src="/images/{poster.id}/{poster.stored_name}"' in post.body_html

    page = login_as(seminar.ben).get(f"/posts/{post.id}")
    assert page.status_code == 200
    assert page.text.count(f"/images/{map_image.id}/{map_image.stored_name}") == 1
    served = login_as(seminar.ben).get(f"/images/{map_image.id}/{map_image.stored_name}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert PILImage.open(io.BytesIO(served.data)).size == (40, 30)
    assert len(_stored_files(app)) == 2

    assert summary.images_copied == 2
    reasons = _reasons(summary)
    assert reasons["missing.png"] == "not in the uploads folder"
    assert "outside the uploads folder" in reasons["passwd"]
    assert "not an image" in reasons["notes.png"]
    assert "larger than" in reasons["huge.png"]
    assert "megapixels" in reasons["wide.png"]
    assert reasons["scan.png"] == NOT_HTTP  # the ftp: one
    for name in ("missing.png", "notes.png", "huge.png", "wide.png", "passwd"):
        assert f"uploads/2019/03/{name}" in post.body or name == "passwd"
    assert "uploads/../../etc/passwd" in post.body  # left as written, a link


def test_a_symbolic_link_out_of_the_uploads_folder_is_refused(seminar, uploads, tmp_path):
    (uploads / "2019" / "03" / "missing.png").symlink_to(tmp_path / "blog" / "etc" / "passwd")
    summary = _import(seminar, read_wxr(IMAGES), ImageSources(uploads=uploads))
    assert "outside the uploads folder" in _reasons(summary)["missing.png"]
    assert summary.images_copied == 2


def test_without_a_source_every_image_stays_a_link_and_is_reported(seminar):
    summary = wordpress.import_wordpress(seminar.instructor, seminar.course,
                                         read_wxr(IMAGES))
    assert summary.images_copied == 0 and summary.remote_images == 8
    assert all("--uploads" in left.reason for left in summary.images_left
               if not left.url.startswith("ftp:"))
    assert db.session.scalar(select(func.count()).select_from(Image)) == 0


def test_a_failed_import_leaves_no_image_behind(app, seminar, uploads):
    blog = read_wxr(IMAGES)
    comment = blog.posts[2].comments[0]
    object.__setattr__(comment, "content", "x" * 60_000)  # past the body limit
    copies = copy_images(seminar.instructor, seminar.course, blog,
                         ImageSources(uploads=uploads))
    assert len(_stored_files(app)) == 2
    with pytest.raises(Invalid):
        wordpress.import_wordpress(seminar.instructor, seminar.course, blog, copies)
    assert _stored_files(app) == []
    for model in (Image, Post):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0


class _Blog(BaseHTTPRequestHandler):
    """The blog's web server: its uploads, a redirect, and a file that never ends."""

    files: dict[str, bytes] = {}

    def do_GET(self):
        path = self.path.removeprefix("/wp-content/uploads/")
        if path == "2019/03/map-600x400.png":
            self.send_response(302)
            self.send_header("Location", "/wp-content/uploads/moved/2019/03/map-600x400.png")
            self.end_headers()
            return
        path = path.removeprefix("moved/")
        if path == "2019/03/huge.png":  # no length announced: counted while read
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(b"\x89PNG\r\n\x1a\n" + bytes(MAX_BYTES * 2))
            return
        data = self.files.get(path)
        if data is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def web_blog():
    """The blog on a real HTTP server on loopback; yields its address."""
    port = free_port()
    _Blog.files = _blog_files()
    server = ThreadingHTTPServer(("127.0.0.1", port), _Blog)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()
    thread.join()


def _served_blog(tmp_path, address: str) -> Path:
    served = tmp_path / "served.xml"
    served.write_text(IMAGES.read_text(encoding="utf-8").replace(BLOG_HOST, address),
                      encoding="utf-8")
    return served


def test_images_are_fetched_over_http_where_private_addresses_are_allowed(
        app, seminar, web_blog, tmp_path):
    blog = read_wxr(_served_blog(tmp_path, web_blog))
    summary = _import(seminar, blog, ImageSources(fetch=True, fetch_private=True))

    post = db.session.scalars(select(Post)).one()
    assert [i.alt for i in post.images] == ["Map of Europe in 1923",
                                            "A poster against the occupation of the Ruhr"]
    assert post.images[0].credit == "Europe in 1923 (Wikimedia Commons)"
    assert f"/images/{post.images[0].id}/" in post.body_html
    reasons = _reasons(summary)
    assert reasons["missing.png"].startswith("the server answered 404")
    assert "larger than" in reasons["huge.png"]
    assert "not an image" in reasons["notes.png"]
    assert "megapixels" in reasons["wide.png"]
    assert summary.images_copied == 2 and len(_stored_files(app)) == 2


def test_a_loopback_address_is_refused_unless_the_setting_allows_it(
        app, seminar, web_blog, tmp_path):
    blog = read_wxr(_served_blog(tmp_path, web_blog))
    assert app.config["FORUM_IMPORT_FETCH_PRIVATE"] is False
    refused = copy_images(seminar.instructor, seminar.course, blog, ImageSources(fetch=True))
    assert refused.copied == {} and _stored_files(app) == []
    assert all("private, loopback" in reason for (_post, src), reason
               in refused.reasons.items() if src.startswith("http"))

    app.config["FORUM_IMPORT_FETCH_PRIVATE"] = True
    allowed = copy_images(seminar.instructor, seminar.course, blog, ImageSources(fetch=True))
    assert sum(len(c) for c in allowed.copied.values()) == 2
    allowed.discard()
    assert _stored_files(app) == []


def test_the_command_copies_from_the_uploads_folder_and_reports_what_it_left(
        app, seminar, uploads):
    result = app.test_cli_runner().invoke(args=[
        "import-wordpress", str(IMAGES), "--course", "HIST-212", "--uploads", str(uploads)])
    assert result.exit_code == 0, result.output
    assert "Images: 2 copied into the forum; 6 left at their address" in result.output
    assert "missing.png in 'The Ruhr in pictures': not in the uploads folder" in result.output
    assert db.session.scalar(select(func.count()).select_from(Image)) == 2


@pytest.mark.parametrize(("url", "reason"), [
    ("http://10.1.2.3/wp-content/uploads/a.png", "private, loopback"),
    ("http://192.168.0.10/a.png", "private, loopback"),
    ("http://169.254.169.254/latest/meta-data/", "private, loopback"),  # cloud metadata
    ("http://[::1]/a.png", "private, loopback"),
    ("http://[::ffff:127.0.0.1]/a.png", "private, loopback"),
    ("http://localhost/a.png", "private, loopback"),
    ("http://0.0.0.0/a.png", "private, loopback"),
    ("file:///etc/passwd", "only http and https"),
    ("gopher://127.0.0.1:6379/_FLUSHALL", "only http and https"),
    ("http://127.0.0.1:99999/a.png", "not a valid address"),
])
def test_fetching_refuses_addresses_inside_the_network(url, reason):
    with pytest.raises(image_sources.Refused, match=reason):
        image_sources.fetch(url, MAX_BYTES)


def test_a_redirect_into_the_network_is_refused(web_blog):
    """The redirect's target is checked again: here, loopback without the setting."""
    with pytest.raises(image_sources.Refused, match="private, loopback"):
        image_sources.fetch(f"{web_blog}/wp-content/uploads/2019/03/map-600x400.png",
                            MAX_BYTES)
    fetched = image_sources.fetch(f"{web_blog}/wp-content/uploads/2019/03/map-600x400.png",
                                  MAX_BYTES, allow_private=True)
    assert fetched == _blog_files()["2019/03/map-600x400.png"]


@pytest.mark.parametrize("path", [
    "../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd", "2019/../../../etc/passwd",
    "/etc/passwd", "2019/03/%00.png",
])
def test_an_uploads_path_leaving_the_folder_is_refused(uploads, path):
    url = f"{BLOG_HOST}/wp-content/uploads/{path}"
    with pytest.raises(image_sources.Refused):
        image_sources.read_upload(uploads, url, MAX_BYTES)


def test_the_command_refusing_an_item_half_way_keeps_no_image_and_no_row(
        app, seminar, uploads, tmp_path):
    text = IMAGES.read_text(encoding="utf-8").replace(
        "The poster says it all.", "x" * 60_000)  # a comment past the body limit
    broken = tmp_path / "broken.xml"
    broken.write_text(text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=[
        "import-wordpress", str(broken), "--course", "HIST-212", "--uploads", str(uploads)])
    assert result.exit_code == 1 and "nothing imported" in result.output
    assert "comment 201" in result.output
    assert _stored_files(app) == []
    for model in (Image, Post):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0


@pytest.mark.parametrize(("address", "public"), [
    ("8.8.8.8", True), ("2606:4700::1111", True), ("64:ff9b::808:808", True),
    ("10.0.0.1", False), ("127.0.0.1", False), ("169.254.169.254", False),
    ("::ffff:127.0.0.1", False), ("64:ff9b::a9fe:a9fe", False),  # NAT64 to the metadata
    ("2002:7f00:1::", False), ("::127.0.0.1", False), ("fec0::1", False), ("::1", False),
])
def test_an_address_is_judged_by_what_it_reaches(address, public):
    """IPv6 forms that carry an IPv4 address inside (mapped, NAT64, 6to4, compatible)
    are judged by that address; site-local counts as private."""
    with nullcontext() if public else pytest.raises(image_sources.Refused):
        image_sources._address(address, 80, allow_private=False)
