"""@mentions: `@[Display Name]` of a course member becomes a link to their profile, and
the person finds it on their dashboard and in the API while they may see the item;
the autocomplete offers only the course's members, by name."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Enrollment, Reveal, Role
from forum.models.reactions import Mention
from forum.services import courses as course_service
from forum.services import posts as post_service
from forum.services import replies as reply_service
from forum.services.markup import render_markdown


def _link(user) -> str:
    return f'<a class="mention" href="/users/{user.id}"'


def _rows(user) -> list[Mention]:
    return list(db.session.scalars(select(Mention).where(Mention.user_id == user.id)))


def _mentions_section(client) -> str:
    """The dashboard's "Mentions of you" section, as HTML."""
    html = client.get("/").get_data(as_text=True)
    start = html.index('id="mentions-of-you"')
    return html[start:html.index("</section>", start)]


def _post(world, body: str, author=None, **kwargs):
    return post_service.create_post(author or world.student, world.discussion,
                                    title=kwargs.pop("title", "On reparations"), body=body,
                                    **kwargs)


# Writing: links and rows


def test_a_classmate_mentioned_in_a_post_is_linked_recorded_and_told(world, login_as):
    post = _post(world, "As @[Ben Carter] argued, the terms were moderate.",
                 title="Keynes was wrong")
    assert _link(world.classmate) in post.body_html
    assert ">@Ben Carter</a>" in post.body_html
    assert [(m.post_id, m.reply_id) for m in _rows(world.classmate)] == [(post.id, None)]

    section = _mentions_section(login_as(world.classmate))
    assert "Keynes was wrong" in section
    assert f'href="/posts/{post.id}"' in section
    assert world.course.code in section
    assert world.student.display_name not in section  # never who mentioned them


def test_the_name_matches_regardless_of_case_and_spaces(world):
    post = _post(world, "Thanks, @[ben   CARTER].")
    assert _link(world.classmate) in post.body_html
    assert len(_rows(world.classmate)) == 1


def test_an_outsiders_name_stays_plain_text(world):
    post = _post(world, "Unlike @[Olga Outsider], I read the treaty.")
    assert "class=\"mention\"" not in post.body_html
    assert "@[Olga Outsider]" in post.body_html
    assert _rows(world.outsider) == []


def test_a_name_nobody_has_stays_plain_text_without_an_error(world):
    post = _post(world, "Ask @[Nobody Here] about it.")
    assert "@[Nobody Here]" in post.body_html and "class=\"mention\"" not in post.body_html


def test_a_mention_in_code_stays_plain(world):
    post = _post(world, "Write `@[Ben Carter]` to mention him.\n\n    @[Ben Carter]\n")
    assert "class=\"mention\"" not in post.body_html
    assert "<code>@[Ben Carter]</code>" in post.body_html
    assert _rows(world.classmate) == []


def test_a_name_two_members_share_is_left_plain(world, make):
    make.member(world.course, Role.STUDENT, "Ben Carter")
    post = _post(world, "Ask @[Ben Carter].")
    assert "class=\"mention\"" not in post.body_html
    assert db.session.scalars(select(Mention)).all() == []


def test_mentioning_yourself_links_but_records_nothing(world):
    post = _post(world, "I, @[Ana Lindqvist], stand by this.")
    assert _link(world.student) in post.body_html
    assert _rows(world.student) == []


def test_replies_and_prompts_record_their_mentions(world):
    reply = reply_service.reply_to(world.classmate, world.post, None,
                                   "I agree with @[Tomás Reyes] here.")
    prompt = reply_service.ask_prompt(world.instructor, world.post, None,
                                      "What would @[Ben Carter] say?")
    assert _link(world.ta) in reply.body_html and _link(world.classmate) in prompt.body_html
    assert [m.reply_id for m in _rows(world.ta)] == [reply.id]
    assert [m.reply_id for m in _rows(world.classmate)] == [prompt.id]


def test_a_guests_comment_never_resolves_mentions(blog, make):
    comment = make.guest_comment(blog.post, body="Hello @[Ben Carter]!")
    assert "class=\"mention\"" not in comment.body_html
    assert _rows(blog.classmate) == []


def test_the_rendered_mention_is_escaped():
    html = render_markdown('Hi @[<img src=x onerror="alert(1)">]',
                           {'<img src=x onerror="alert(1)">': 7})
    assert '<a class="mention" href="/users/7" rel="nofollow ugc">@&lt;img' in html
    assert "<img" not in html


# Editing


def test_editing_a_post_replaces_its_mentions(world, login_as):
    post = _post(world, "Ask @[Ben Carter] and @[Tomás Reyes].", title="Ask them")
    kept = _rows(world.ta)[0].id
    post_service.update_post(world.student, post, version=post.version, title="Ask them",
                             body="Ask @[Tomás Reyes] and @[Dr. Okafor].")
    assert _rows(world.classmate) == []
    assert [m.id for m in _rows(world.ta)] == [kept]  # still named: the same row
    assert len(_rows(world.instructor)) == 1
    assert "Ask them" not in _mentions_section(login_as(world.classmate))


def test_editing_a_reply_to_drop_a_mention_removes_it(world, login_as):
    reply = reply_service.reply_to(world.student, world.post, None, "Right, @[Ben Carter]?")
    assert f"#reply-{reply.id}" in _mentions_section(login_as(world.classmate))
    reply_service.update_reply(world.student, reply, version=reply.version, body="Right?")
    assert _rows(world.classmate) == []
    assert f"#reply-{reply.id}" not in _mentions_section(login_as(world.classmate))


# What the dashboard shows


def test_a_mention_in_a_deleted_post_does_not_show(world, login_as):
    post = _post(world, "Pace @[Ben Carter].", title="Soon withdrawn")
    assert "Soon withdrawn" in _mentions_section(login_as(world.classmate))
    post_service.delete_post(world.student, post)
    assert "Soon withdrawn" not in _mentions_section(login_as(world.classmate))


def test_a_mention_in_a_deleted_reply_does_not_show(world, login_as):
    reply = reply_service.reply_to(world.student, world.post, None,
                                   "Pace @[Ben Carter] and @[Tomás Reyes].")
    reply_service.delete_reply(world.student, reply)
    assert f"#reply-{reply.id}" not in _mentions_section(login_as(world.classmate))
    # Staff may open deleted replies; a deleted one is still no mention of them.
    assert f"#reply-{reply.id}" not in _mentions_section(login_as(world.ta))


def test_a_mention_in_a_draft_does_not_show(world, login_as):
    _post(world, "Ask @[Ben Carter].", title="Still a draft", publish=False)
    assert len(_rows(world.classmate)) == 1  # recorded, shown once published
    assert "Still a draft" not in _mentions_section(login_as(world.classmate))


def test_a_mention_in_a_held_post_does_not_show(world, login_as):
    from forum.models import Moderation

    post = _post(world, "Ask @[Tomás Reyes].", title="Held back")
    post.moderation = Moderation.PENDING
    db.session.commit()
    assert "Held back" not in _mentions_section(login_as(world.ta))  # staff, yet held


def test_a_mention_in_a_course_the_person_left_does_not_show(world, login_as):
    _post(world, "Ask @[Ben Carter].", title="Before he left")
    assert "Before he left" in _mentions_section(login_as(world.classmate))
    enrollment = db.session.scalar(select(Enrollment).where(
        Enrollment.user_id == world.classmate.id, Enrollment.course_id == world.course.id))
    course_service.remove_member(world.instructor, enrollment)
    assert "Before he left" not in _mentions_section(login_as(world.classmate))


def test_a_mention_in_writing_not_yet_revealed_to_the_person_does_not_show(
        world, make, login_as):
    discussion = make.discussion(world.course, title="Blind week",
                                 created_by_id=world.instructor.id,
                                 reveal=Reveal.AFTER_POSTING)
    post_service.create_post(world.student, discussion, title="Blind post",
                             body="Ask @[Ben Carter].")
    assert "Blind post" not in _mentions_section(login_as(world.classmate))
    post_service.create_post(world.classmate, discussion, title="Mine", body="My view.")
    assert "Blind post" in _mentions_section(login_as(world.classmate))


def test_an_anonymous_authors_name_is_never_shown(world, login_as):
    from forum.models import Anonymity

    world.discussion.anonymity = Anonymity.REQUIRED
    db.session.commit()
    _post(world, "Ask @[Ben Carter].", title="Written unnamed")
    section = _mentions_section(login_as(world.classmate))
    assert "Written unnamed" in section and world.student.display_name not in section


# The API's list


def test_the_api_list_matches_the_dashboard(world, api, login_as):
    _post(world, "Ask @[Ben Carter].", title="First")
    reply = reply_service.reply_to(world.student, world.post, None, "And @[Ben Carter]?")
    draft = _post(world, "Ask @[Ben Carter].", title="Draft", publish=False)
    response = api.get(world.classmate, "/api/v1/me/mentions")
    assert response.status_code == 200
    items = response.json
    assert draft.id not in {item["post_id"] for item in items}
    assert {item["reply_id"] for item in items} == {None, reply.id}
    for item in items:
        assert set(item) == {"id", "post_id", "reply_id", "post_title", "course_id",
                             "course_code", "created_at"}  # no author
    expected = [f"/posts/{i['post_id']}" + (f"#reply-{i['reply_id']}" if i["reply_id"] else "")
                for i in items]
    shown = re.findall(r'href="([^"]+)"', _mentions_section(login_as(world.classmate)))
    assert shown == expected

    paged = api.get(world.classmate, "/api/v1/me/mentions?page_size=1")
    assert len(paged.json) == 1 and '"total": 2' in paged.headers["X-Pagination"]


def test_the_dashboard_lists_mentions_in_one_statement(world, make, login_as, count_queries):
    def statements() -> int:
        client = login_as(world.classmate)
        with count_queries() as counter:
            client.get("/")
        return counter.count

    _post(world, "Ask @[Ben Carter].")
    few = statements()
    for n in range(5):
        discussion = make.discussion(world.course, title=f"Week {n}")
        post = post_service.create_post(world.student, discussion, title=f"Post {n}",
                                        body="Ask @[Ben Carter].")
        reply_service.reply_to(world.ta, post, None, "And @[Ben Carter].")
    assert statements() == few


# The autocomplete


def test_the_autocomplete_offers_classmates_by_name_and_nothing_else(world, make, api):
    make.member(world.other_course, Role.STUDENT, "Bea Outsider")
    url = f"/api/v1/courses/{world.course.id}/mentionable"
    response = api.get(world.student, url + "?q=BE")
    assert response.status_code == 200
    assert response.json == [{"id": world.classmate.id, "display_name": "Ben Carter"}]
    everyone = api.get(world.student, url).json
    assert {p["display_name"] for p in everyone} == {"Dr. Okafor", "Tomás Reyes", "Ben Carter"}
    assert all(set(p) == {"id", "display_name"} for p in everyone)  # never emails
    assert api.get(world.student, url + "?q=olga").json == []
    assert api.get(world.student, url + "?q=tomás").json[0]["id"] == world.ta.id


def test_the_autocomplete_offers_at_most_ten(world, make, api):
    for n in range(12):
        make.member(world.course, Role.STUDENT, f"Student {n:02}")
    found = api.get(world.student,
                    f"/api/v1/courses/{world.course.id}/mentionable?q=student").json
    assert [p["display_name"] for p in found] == [f"Student {n:02}" for n in range(10)]


@pytest.mark.parametrize("seat, status", [("outsider", 404), ("anonymous", 401)])
def test_the_autocomplete_refuses_those_outside_the_course(world, api, seat, status):
    response = api.get(world.actors[seat],
                       f"/api/v1/courses/{world.course.id}/mentionable?q=b")
    assert response.status_code == status


def test_the_autocomplete_refuses_outsiders_of_a_public_course(world, make, api):
    public = make.course(public=True)
    make.member(public, Role.STUDENT, "Ben Public")
    response = api.get(world.outsider, f"/api/v1/courses/{public.id}/mentionable?q=b")
    assert response.status_code == 404


def test_the_web_autocomplete_answers_members_with_json(world, login_as):
    url = f"/courses/{world.course.id}/mentionable?q=be"
    response = login_as(world.student).get(url)
    assert response.status_code == 200 and response.is_json
    assert response.json == [{"id": world.classmate.id, "display_name": "Ben Carter"}]
    assert response.headers["Cache-Control"] == "no-store"
    assert login_as(world.outsider).get(url).status_code == 404
    assert login_as(None).get(url).status_code == 302


def test_course_pages_name_the_autocomplete_for_members_only(world, login_as):
    marker = f'data-mentionable-url="/courses/{world.course.id}/mentionable"'
    page = login_as(world.classmate).get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert marker in page and "mentions.js" in page
    assert marker not in login_as(None).get("/login").get_data(as_text=True)


def test_restoring_an_earlier_text_restores_its_mentions(world):
    from forum.services import moderation

    post = post_service.create_post(world.student, world.discussion, title="Credit",
                                    body="With thanks to @[Ben Carter].")
    post_service.update_post(world.student, post, version=post.version, title="Credit",
                             body="With thanks to nobody.")
    assert not db.session.scalars(select(Mention).where(Mention.post_id == post.id)).all()
    earlier = post_service.revisions_of(world.student, post)[0]
    moderation.restore_revision(world.ta, earlier)
    assert f'href="/users/{world.classmate.id}"' in post.body_html
    assert [m.user_id for m in db.session.scalars(
        select(Mention).where(Mention.post_id == post.id))] == [world.classmate.id]
