"""Images on posts: what is taken (by content, size and pixels), what is stripped, who
may see an image (as who may see its post), attaching, letting go and cleaning up."""

from __future__ import annotations

import io
import random
import re
import struct
import zlib
from datetime import timedelta

import pytest
from PIL import Image as PILImage
from PIL import ImageFile
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Image, Post, utcnow
from forum.services import images as image_service
from forum.services import posts as post_service

CACHE = "private, max-age=31536000, immutable"


@pytest.fixture
def app_config(tmp_path):
    return {"FORUM_UPLOADS_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def uploads(tmp_path):
    return tmp_path / "uploads"


def picture(fmt: str = "PNG", size=(12, 8), noisy: bool = False, **options) -> bytes:
    image = PILImage.new("RGB", size, (200, 40, 90))
    if noisy:
        image = PILImage.frombytes("RGB", size,
                                   random.Random(1).randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header declares a huge image: a decompression bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def upload(api, user, data: bytes, name: str = "photo.png", **fields):
    return api.client.post(
        "/api/v1/images", data={"file": (io.BytesIO(data), name), **fields},
        headers={"Authorization": f"Bearer {api.token_for(user)}"} if user else {},
        content_type="multipart/form-data")


def uploaded(api, user, data: bytes | None = None, **fields) -> dict:
    response = upload(api, user, data or picture(), **fields)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def image_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Image))


def stored_files(uploads) -> list:
    return sorted(p for p in uploads.glob("*") if p.is_file()) if uploads.exists() else []


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def post_with_image(api, user, discussion, image: dict, **post) -> dict:
    response = api.post(user, f"/api/v1/discussions/{discussion.id}/posts", {
        "title": "With a picture", "body": "See the map.", **post,
        "images": [{"id": image["id"], "alt": "A map of the Ruhr, 1923",
                    "credit": "Bundesarchiv", "credit_url": "https://example.org/map"}]})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


# What is taken

@pytest.mark.parametrize(("fmt", "content_type"), [
    ("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("GIF", "image/gif")])
def test_each_format_is_taken_and_stored_under_a_server_made_name(
        world, api, uploads, fmt, content_type):
    body = uploaded(api, world.student, picture(fmt), name="../../forum/app.py")
    assert body["content_type"] == content_type
    assert (body["width"], body["height"]) == (12, 8)
    [stored] = stored_files(uploads)
    assert re.fullmatch(r"[0-9a-f]{32}\.(png|jpg|webp|gif)", stored.name)
    with PILImage.open(stored) as image:
        assert image.format == fmt and image.size == (12, 8)


@pytest.mark.parametrize(("data", "message"), [
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "not an image we take"),
    (b"Just some notes, saved as notes.png\n" * 20, "not an image we take"),
    (picture("PNG", (64, 64), noisy=True)[:300], "damaged or incomplete"),
    (png_claiming(10_000, 10_000), "megapixels"),
    (b"", "empty"),
], ids=["svg", "text-named-png", "truncated-png", "decompression-bomb", "empty"])
def test_bad_files_are_refused_with_a_clear_422_and_nothing_stored(
        world, api, uploads, data, message):
    response = upload(api, world.student, data, name="picture.png")
    assert response.status_code == 422
    assert message in " ".join(response.json["errors"]["file"])
    assert image_count() == 0 and stored_files(uploads) == []


def test_a_bomb_is_refused_from_its_header_before_any_decoding(world, api, monkeypatch):
    def no_decoding(self):
        raise AssertionError("decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    response = upload(api, world.student, png_claiming(8_000, 8_000))
    assert response.status_code == 422
    assert "megapixels" in response.json["errors"]["file"][0]


def test_a_file_over_the_size_limit_is_refused(world, api, app, uploads):
    app.config["FORUM_UPLOAD_MAX_BYTES"] = 2_000
    data = picture("PNG", (64, 64), noisy=True)
    assert len(data) > 2_000
    response = upload(api, world.student, data)
    assert response.status_code == 422
    assert "larger than" in response.json["errors"]["file"][0]
    assert image_count() == 0 and stored_files(uploads) == []


def test_a_body_past_the_request_limit_is_413_with_a_clear_answer(world, api, app):
    app.config["MAX_CONTENT_LENGTH"] = 1_000
    app.config["FORUM_UPLOAD_MAX_BYTES"] = 1_000
    response = upload(api, world.student, b"\xff\xd8\xff" + b"x" * 5_000)
    assert response.status_code == 413 and response.is_json
    assert image_count() == 0


def test_the_api_takes_only_multipart_uploads(world, api):
    response = api.post(world.student, "/api/v1/images", {"file": "aGVsbG8="})
    assert response.status_code == 415
    assert upload(api, None, picture()).status_code == 401


def test_exif_and_gps_are_stripped(world, api, uploads):
    exif = PILImage.Exif()
    exif[0x010F] = "SecretCam Industries"  # Make
    exif[0x0131] = "TrackMe 1.0"  # Software
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}  # GPS
    data = picture("JPEG", (40, 30), exif=exif.tobytes())
    with PILImage.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(0x8825)  # the upload carries a location
    uploaded(api, world.student, data)
    [stored] = stored_files(uploads)
    content = stored.read_bytes()
    assert b"Exif" not in content and b"SecretCam" not in content
    with PILImage.open(stored) as image:
        assert dict(image.getexif()) == {} and "exif" not in image.info


# Who sees an image

def test_an_image_is_served_with_nosniff_and_a_long_private_cache(world, api, login_as):
    image = uploaded(api, world.student)
    post_with_image(api, world.student, world.discussion, image)
    response = login_as(world.classmate).get(path_of(image["url"]))
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == CACHE
    assert PILImage.open(io.BytesIO(response.data)).size == (12, 8)


def test_an_image_of_a_draft_is_only_for_its_author(world, api, login_as):
    image = uploaded(api, world.student)
    post_with_image(api, world.student, world.discussion, image, publish=False)
    url = path_of(image["url"])
    assert login_as(world.student).get(url).status_code == 200
    assert login_as(world.classmate).get(url).status_code == 404


def test_an_image_of_a_private_course_is_hidden_from_outsiders(world, api, login_as):
    image = uploaded(api, world.student)
    post_with_image(api, world.student, world.discussion, image)
    url = path_of(image["url"])
    assert login_as(world.classmate).get(url).status_code == 200
    assert login_as(world.outsider).get(url).status_code == 404
    assert login_as(None).get(url).status_code == 404  # a plain 404, not a login page
    # The URL's name must be the stored one, too.
    assert login_as(world.classmate).get(url.rsplit("/", 1)[0] + "/x.png").status_code == 404


def test_an_unattached_upload_is_only_for_its_uploader(world, api, login_as):
    url = path_of(uploaded(api, world.student)["url"])
    assert login_as(world.student).get(url).status_code == 200
    for someone in (world.classmate, world.instructor, world.admin, None):
        assert login_as(someone).get(url).status_code == 404


def test_a_deleted_posts_images_stay_for_staff_only(world, api, login_as):
    image = uploaded(api, world.student)
    created = post_with_image(api, world.student, world.discussion, image)
    post_service.delete_post(world.student, db.session.get(Post, created["id"]))
    url = path_of(image["url"])
    assert login_as(world.instructor).get(url).status_code == 200
    assert login_as(world.classmate).get(url).status_code == 404
    assert db.session.get(Image, image["id"]).post_id == created["id"]


# Attaching

def test_a_post_shows_its_images_in_the_api(world, api):
    image = uploaded(api, world.student)
    created = post_with_image(api, world.student, world.discussion, image)
    assert created["images"] == [{
        "id": image["id"], "url": image["url"], "alt": "A map of the Ruhr, 1923",
        "credit": "Bundesarchiv", "credit_url": "https://example.org/map",
        "width": 12, "height": 8}]
    shown = api.get(world.classmate, f"/api/v1/posts/{created['id']}").json
    assert shown["images"] == created["images"]


def test_attaching_someone_elses_upload_is_refused_and_writes_nothing(world, api):
    theirs = uploaded(api, world.classmate)
    response = api.post(world.student, f"/api/v1/discussions/{world.discussion.id}/posts", {
        "title": "Borrowed", "body": "Text", "images": [{"id": theirs["id"], "alt": "A map"}]})
    assert response.status_code == 422
    assert "images-0-id" in response.json["errors"]
    assert db.session.scalar(select(func.count()).select_from(Post)
                             .where(Post.title == "Borrowed")) == 0
    assert db.session.get(Image, theirs["id"]).post_id is None


def test_an_image_of_another_post_is_refused(world, api):
    image = uploaded(api, world.student)
    post_with_image(api, world.student, world.discussion, image)
    response = api.post(world.student, f"/api/v1/discussions/{world.discussion.id}/posts", {
        "title": "Again", "body": "Text", "images": [{"id": image["id"], "alt": "A map"}]})
    assert response.status_code == 422
    assert "another post" in response.json["errors"]["images-0-id"][0]


def test_alt_text_is_required(world, api):
    image = uploaded(api, world.student)
    response = api.post(world.student, f"/api/v1/discussions/{world.discussion.id}/posts", {
        "title": "No alt", "body": "Text", "images": [{"id": image["id"], "alt": " "}]})
    assert response.status_code == 422
    with pytest.raises(Exception, match="Please correct") as refused:
        post_service.create_post(world.student, world.discussion, title="T", body="B",
                                 images=[{"id": image["id"], "alt": ""}])
    assert refused.value.errors == {"images-0-alt": ["Alt text is required."]}
    assert db.session.get(Image, image["id"]).post_id is None


def test_an_update_replaces_the_images_and_omitting_them_keeps_them(world, api):
    first, second = uploaded(api, world.student), uploaded(api, world.student)
    created = post_with_image(api, world.student, world.discussion, first)
    url = f"/api/v1/posts/{created['id']}"
    assert api.patch(world.student, url, {"title": "Retitled"}).json["images"][0]["id"] \
        == first["id"]
    response = api.patch(world.student, url, {"images": [
        {"id": second["id"], "alt": "A poster"}]})
    assert response.status_code == 200
    assert [i["id"] for i in response.json["images"]] == [second["id"]]
    assert db.session.get(Image, first["id"]).post_id is None  # let go: an orphan now


# Cleaning up

def test_clean_uploads_removes_day_old_orphans_only(world, api, app, uploads):
    old_orphan, new_orphan, old_attached = (uploaded(api, world.student) for _ in range(3))
    post_with_image(api, world.student, world.discussion, old_attached)
    for image in (old_orphan, old_attached):
        db.session.get(Image, image["id"]).created_at = utcnow() - timedelta(days=2)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["clean-uploads"])
    assert result.exit_code == 0 and "Removed 1 " in result.output
    db.session.expire_all()
    assert db.session.get(Image, old_orphan["id"]) is None
    left = {db.session.get(Image, i["id"]).stored_name for i in (new_orphan, old_attached)}
    assert {p.name for p in stored_files(uploads)} == left


# The post form

def _form(title: str, **extra) -> dict:
    return {"title": title, "body": "The Ruhr in 1923.", "publish": "Publish", **extra}


def test_a_post_written_with_an_image_shows_it_with_its_credit(world, login_as):
    client = login_as(world.student)
    response = client.post(f"/discussions/{world.discussion.id}/posts/new", data=_form(
        "Occupation", **{"images-0-file": (io.BytesIO(picture("JPEG")), "ruhr.jpg"),
                         "images-0-alt": "French soldiers in Essen",
                         "images-0-credit": "Photo: Bundesarchiv",
                         "images-0-credit_url": "https://example.org/essen"}),
        content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    figure = re.search(r"<figure.*?</figure>", page, re.S).group(0)
    assert 'alt="French soldiers in Essen"' in figure
    assert re.search(r'<figcaption><a href="https://example.org/essen"[^>]*>'
                     r"Photo: Bundesarchiv</a></figcaption>", figure)


def test_a_refused_post_keeps_its_uploaded_image(world, login_as):
    client = login_as(world.student)
    url = f"/discussions/{world.discussion.id}/posts/new"
    response = client.post(url, data=_form(
        "", **{"images-0-file": (io.BytesIO(picture()), "map.png"),
               "images-0-alt": "A map of the Rhineland", "images-0-credit": "Atlas"}),
        content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Title is required." in page
    image = db.session.scalar(select(Image))
    assert image.post_id is None and image.uploader_id == world.student.id
    assert f'value="{image.id}"' in page and 'value="A map of the Rhineland"' in page
    assert f"/images/{image.id}/{image.stored_name}" in page
    # Sent again with a title, the post takes the image it kept.
    response = client.post(url, data=_form("The Rhineland", **{
        "images-0-image_id": str(image.id), "images-0-alt": "A map of the Rhineland",
        "images-0-credit": "Atlas"}), content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Image, image.id).post.title == "The Rhineland"


def test_a_bad_file_on_the_form_is_shown_with_its_error_and_nothing_saved(
        world, login_as, uploads):
    client = login_as(world.student)
    response = client.post(f"/discussions/{world.discussion.id}/posts/new", data=_form(
        "With a fake", **{"images-0-file": (io.BytesIO(b"<svg/>"), "x.png"),
                          "images-0-alt": "Fake"}), content_type="multipart/form-data")
    assert response.status_code == 422
    assert "not an image we take" in response.get_data(as_text=True)
    assert image_count() == 0 and stored_files(uploads) == []
    assert db.session.scalar(select(func.count()).select_from(Post)
                             .where(Post.title == "With a fake")) == 0


def test_the_edit_form_lists_the_images_and_a_plain_edit_keeps_them(world, api, login_as):
    image = uploaded(api, world.student)
    created = post_with_image(api, world.student, world.discussion, image)
    client = login_as(world.student)
    page = client.get(f"/posts/{created['id']}/edit").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert 'value="A map of the Ruhr, 1923"' in page
    # A form that sends no image rows (an older page, a script) leaves them.
    response = client.post(f"/posts/{created['id']}/edit",
                           data={"title": "Retitled", "body": "New text"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Image, image["id"]).post_id == created["id"]


def test_upload_check_is_a_service_rule(world, app):
    """Not only the doors: the service refuses a non-image whoever calls it."""
    with pytest.raises(Exception, match="Please correct"):
        image_service.upload_image(world.student, io.BytesIO(b"GIF89a broken"))
    assert image_count() == 0
