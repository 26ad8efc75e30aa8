"""Reading WordPress exports safely, and their HTML as the forum's Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest

from forum.formats.wp_markdown import WpImage, find_images, to_markdown
from forum.formats.wxr import WxrError, read_wxr
from forum.services.markup import render_markdown

BLOG = Path(__file__).parent / "data" / "wordpress" / "course_blog.xml"

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>&lol3;</title>
<wp:wxr_version>1.2</wp:wxr_version></channel></rss>
"""


def test_the_reader_reads_posts_comments_and_authors():
    blog = read_wxr(BLOG)
    assert blog.version == "1.2" and blog.title == "HIST 212 \u2013 Europe between the Wars"
    assert blog.authors["alindqvist"].email == "ana@example.edu"
    post = blog.posts[1]
    assert (post.id, post.author_login, post.status, post.post_type) == (
        58, "alindqvist", "publish", "post")
    assert post.categories == [("weekly-responses", "Weekly responses")]
    assert post.tags == ["Versailles"]
    assert post.date_gmt.isoformat() == "2019-03-05T21:47:03+00:00"
    chloe = post.comments[1]
    assert (chloe.id, chloe.parent_id, chloe.approved, chloe.author_email) == (
        102, 101, "1", "chloe@example.edu")
    assert blog.posts[0].attachment_url.endswith("/2019/03/map.jpg")


def test_a_billion_laughs_is_refused(tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(BILLION_LAUGHS)
    with pytest.raises(WxrError, match="DTD"):
        read_wxr(bomb)


def test_an_external_entity_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the server's secret")
    xxe = tmp_path / "xxe.xml"
    xxe.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file://{secret}">]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>&secret;</title>
<wp:wxr_version>1.2</wp:wxr_version></channel></rss>
""")
    with pytest.raises(WxrError, match="declares a DTD") as refused:  # before any fetch
        read_wxr(xxe)
    assert "the server's secret" not in str(refused.value)


def test_a_broken_file_is_refused_with_the_line_where_it_broke(tmp_path):
    lines = BLOG.read_text(encoding="utf-8").splitlines()
    broken_at = next(n for n, line in enumerate(lines, 1) if "<wp:comment_id>104" in line)
    lines[broken_at - 1] = lines[broken_at - 1].replace("</wp:comment_id>", "</wp:comment>")
    broken = tmp_path / "broken.xml"
    broken.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(WxrError) as refused:
        read_wxr(broken)
    assert refused.value.line == broken_at
    assert str(refused.value).startswith(f"line {broken_at}: not well-formed XML")


def test_a_feed_that_is_no_wordpress_export_is_refused(tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text("<rss><channel><title>News</title></channel></rss>")
    with pytest.raises(WxrError, match="no wp:"):
        read_wxr(feed)


@pytest.mark.parametrize(("content", "markdown"), [
    ("One line\nand the next.\n\nA new paragraph.",
     "One line\\\nand the next.\n\nA new paragraph."),
    ("<p>Already <b>made</b></p><p>of paragraphs</p>", "Already **made**\n\nof paragraphs"),
    ("<ol>\n<li>first</li>\n<li>second</li>\n</ol>", "1. first\n2. second"),
    ("<h2>Week 3</h2>\nText", "## Week 3\n\nText"),
    ("<blockquote>First.\n\nSecond.</blockquote>", "> First.\n>\n> Second."),
    ('[caption id="a" width="300"]<img src="https://x.example/a.jpg" alt="A" /> Credit: Jo'
     "[/caption]", "![A](https://x.example/a.jpg)\n\n*Credit: Jo*"),
    ('[caption id="a" caption="Old style"]<img src="https://x.example/b.jpg" alt="" />'
     "[/caption]", "![](https://x.example/b.jpg)\n\n*Old style*"),
    ("[embed]https://vimeo.com/1[/embed]", "<https://vimeo.com/1>"),
    ('[audio mp3="https://x.example/talk.mp3"][/audio]',
     "<https://x.example/talk.mp3>"),
    ('<iframe src="https://www.youtube.com/embed/abc"></iframe>',
     "<https://www.youtube.com/embed/abc>"),
    ("1919. The year [sic] of `code`", "1919\\. The year \\[sic\\] of \\`code\\`"),
    ("# not a heading", "\\# not a heading"),
    ("<pre>keep\n\n  this</pre>", "```\nkeep\n\n  this\n```"),
    ("Hi<script>alert(1)</script> there", "Hi there"),
    ("[contact-form-7 id=\"4\"]", "\\[contact-form-7 id=\"4\"\\]"),
])
def test_wordpress_html_becomes_the_forums_markdown(content, markdown):
    assert to_markdown(content) == markdown


def test_a_gallery_shows_the_images_the_export_holds():
    markdown = to_markdown('[gallery ids="5,6,9"]', {5: "https://x.example/5.jpg",
                                                    6: "https://x.example/6.jpg"})
    assert markdown == "- ![](https://x.example/5.jpg)\n- ![](https://x.example/6.jpg)"


def test_unsafe_links_do_not_survive_the_forums_renderer():
    markdown = to_markdown('<a href="javascript:alert(1)">x</a> <img src=x onerror=alert(1)>')
    html = render_markdown(markdown)
    assert "href" not in html and "onerror" not in html  # the link stays text


def test_the_reader_keeps_an_attachments_alt_text_and_the_blogs_addresses(tmp_path):
    blog = read_wxr(Path(__file__).parent / "data" / "wordpress" / "images.xml")
    poster = next(p for p in blog.posts if p.id == 60)
    assert poster.image_alt == "A poster against the occupation of the Ruhr"
    assert poster.excerpt == "Poster of the Reich government, 1923"
    assert blog.site_urls == ("https://blogs.example.edu", "https://hist212.blogs.example.edu")


def test_the_images_of_a_post_are_found_with_their_captions():
    content = ('[caption id="attachment_5" width="300"]<a href="https://b.example/a.jpg">'
               '<img class="wp-image-5 size-medium" src="https://b.example/a-300x200.jpg" '
               'alt="A  map" /></a> Drawn by <a href="https://jo.example">Jo</a>[/caption]\n\n'
               '<figure class="wp-block-image"><img src="https://b.example/b.png" alt=""/>'
               "<figcaption>A <em>poster</em></figcaption></figure>\n\n"
               '<img src="https://b.example/b.png" alt="again"> [gallery ids="6"]')
    found = find_images(content, {6: "https://b.example/c.gif"})
    assert found == [
        WpImage("https://b.example/a-300x200.jpg", "A map", "Drawn by Jo",
                "https://jo.example", 5),
        WpImage("https://b.example/b.png", "", "A poster"),
        WpImage("https://b.example/c.gif", "", attachment_id=6),
    ]


def test_copied_images_show_the_forums_copy_and_lose_their_link_to_the_blog():
    content = ('<a href="https://b.example/a.jpg"><img src="https://b.example/a-300x200.jpg" '
               'alt="A map"></a> <a href="https://elsewhere.example/">'
               '<img src="https://b.example/b.png" alt="B"></a> '
               '<img src="https://b.example/gone.png" alt="Gone">')
    markdown = to_markdown(content, images={
        "https://b.example/a-300x200.jpg": ("/images/1/x.jpg", "A map of 1923"),
        "https://b.example/b.png": ("/images/2/y.png", "B")})
    assert markdown == ("![A map of 1923](/images/1/x.jpg) "
                        "[![B](/images/2/y.png)](https://elsewhere.example/) "
                        "![Gone](https://b.example/gone.png)")
