"""Atom feeds and iCalendar files, written from plain values (no database, no Flask)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

GENERATOR = "Course forum"
CALENDAR_PRODID = "-//Course forum//Due dates//EN"

# Characters XML 1.0 cannot carry at all (lxml refuses them): a title may hold one, as
# only NUL and lone surrogates are kept out of stored text.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# A link or image on this site, as the sanitizer writes it: a path in double quotes.
_SITE_PATH = re.compile(r'\b(href|src)="(/(?!/)[^"]*)"')


def xml_text(text: str) -> str:
    """The text with what XML cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text or "")


def absolute_links(html: str, root: str) -> str:
    """Sanitized HTML whose site paths (mentions' profile links, images) are made
    absolute against `root` ("https://forum.example/"), as a feed reader needs them."""
    base = root.rstrip("/")
    return _SITE_PATH.sub(lambda m: f'{m.group(1)}="{base}{m.group(2)}"', html or "")


@dataclass(frozen=True)
class AtomEntry:
    id: str
    title: str
    link: str
    author: str
    published: datetime
    updated: datetime
    html: str  # sanitized, links absolute
    category: str | None = None


@dataclass(frozen=True)
class AtomFeed:
    id: str
    title: str
    link: str  # the page the feed follows
    self_link: str
    updated: datetime  # used when there are no entries
    entries: list[AtomEntry]
    subtitle: str | None = None


def write_atom(feed: AtomFeed) -> bytes:
    """The feed as an Atom document, entries in the order given."""
    from feedgen.feed import FeedGenerator  # lxml: loaded by the processes that write feeds

    generator = FeedGenerator()
    generator.id(feed.id)
    generator.title(xml_text(feed.title))
    if feed.subtitle:
        generator.subtitle(xml_text(feed.subtitle))
    generator.link(href=feed.link, rel="alternate", type="text/html")
    generator.link(href=feed.self_link, rel="self", type="application/atom+xml")
    generator.generator(GENERATOR)
    newest = max((entry.updated for entry in feed.entries), default=feed.updated)
    generator.updated(newest)
    for entry in feed.entries:
        item = generator.add_entry(order="append")
        item.id(entry.id)
        item.title(xml_text(entry.title))
        item.link(href=entry.link, rel="alternate", type="text/html")
        item.author(name=xml_text(entry.author))
        item.published(entry.published)
        item.updated(entry.updated)
        item.content(xml_text(entry.html), type="html")
        if entry.category:
            item.category(term=xml_text(entry.category))
    return generator.atom_str(pretty=True)


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    summary: str
    start: datetime  # aware, in the time zone the event is shown in
    url: str
    stamp: datetime  # when its source last changed (UTC)
    sequence: int = 0
    description: str = ""


def write_calendar(name: str, events: Iterable[CalendarEvent]) -> bytes:
    """An iCalendar file of the events, each at its own time zone (a VTIMEZONE for
    each zone used, over the years the events span)."""
    from icalendar import Calendar, Event  # loaded by the processes that write calendars

    calendar = Calendar()
    calendar.add("prodid", CALENDAR_PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", xml_text(name))
    years = []
    for event in events:
        item = Event()
        item.add("uid", event.uid)
        item.add("summary", xml_text(event.summary))
        item.add("dtstart", event.start)
        item.add("dtstamp", event.stamp)
        item.add("last-modified", event.stamp)
        item.add("sequence", event.sequence)
        item.add("url", event.url)
        if event.description:
            item.add("description", xml_text(event.description))
        calendar.add_component(item)
        years.append(event.start.year)
    if years:
        calendar.add_missing_timezones(first_date=date(max(min(years) - 1, 1), 1, 1),
                                       last_date=date(min(max(years) + 1, 9999), 12, 31))
    return calendar.to_ical()
