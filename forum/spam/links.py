"""Links in a comment: where they point, and whether that is a place sources live."""

from __future__ import annotations

import re

from forum.spam import lexicon

URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]{}\"'`|]+", re.IGNORECASE)
# A bare "cheap-essays.net" is an advertisement even where Markdown makes no link of it.
BARE_DOMAIN = re.compile(
    rf"(?<![\w@./-])((?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+(?:{lexicon.TLDS}))"
    r"(?![\w@-])(?:/[^\s<>()\[\]{}\"'`|]*)?",
    re.IGNORECASE,
)
# Starts only where an address can start, so a long run of word characters is read once.
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}\.[\w.-]+")
GENERIC_TLDS = frozenset(["com", "net", "org"])


def count_links(body: str) -> int:
    """Links written out (http://, https://, www.): what the guests' link limit counts."""
    return sum(1 for _ in URL.finditer(body))


def link_signals(body: str) -> list[str]:
    """How many links a comment has that are not to known sources, and where they go."""
    hosts = [m.group() for m in URL.finditer(body)]
    rest = URL.sub(" ", body)
    hosts += [m.group(1) for m in BARE_DOMAIN.finditer(rest) if not EMAIL.search(m.group())]
    kinds: dict[str, None] = {}
    # Students cite archives and libraries, often two at a time; only links elsewhere count.
    others = max(0, len(hosts) - 20)
    for host in hosts[:20]:
        domain = registered_domain(host)
        source = bool(domain) and is_source(domain, host)
        others += not source
        if domain:
            kinds["sig:link_domain:" + domain] = None
            tld = domain.rsplit(".", 1)[-1]
            if tld not in GENERIC_TLDS:  # everyone links to .com; few people to .xyz
                kinds["sig:link_tld:" + tld] = None
            kinds["sig:link_kind:" + ("source" if source else "other")] = None
    count = "0" if others == 0 else "1" if others == 1 else "2+"
    return ["sig:links:" + count, *kinds]


def registered_domain(address: str) -> str:
    """The registrable part of a link's host: "https://www.cheap-essays.net/x" gives
    "cheap-essays.net", "news.bbc.co.uk" gives "bbc.co.uk"; "" when there is none."""
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", address.strip().lower())
    host = re.split(r"[/?#:\s]", host, maxsplit=1)[0].strip(".")
    host = host.removeprefix("www.")
    labels = [label for label in host.split(".") if label]
    if len(labels) < 2 or not all(re.fullmatch(r"[\w-]+", label) for label in labels):
        return ""
    under_second_level = labels[-2] in lexicon.SECOND_LEVEL and len(labels[-1]) == 2
    keep = 3 if len(labels) > 2 and under_second_level else 2
    return ".".join(labels[-keep:])


def is_source(domain: str, host: str = "") -> bool:
    """Whether a link points at an archive, library, university or museum."""
    host = host.lower()
    full = re.sub(r"^[a-z]+://", "", host).split("/", 1)[0].removeprefix("www.") or domain
    return (
        domain in lexicon.SOURCE_DOMAINS
        or full in lexicon.SOURCE_DOMAINS
        or full.endswith(lexicon.SOURCE_SUFFIXES)
        or any(hint in full for hint in lexicon.SOURCE_HINTS)
    )
