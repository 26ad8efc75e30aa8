"""What a comment is made of, as feature strings the model counts, and how to say each one."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from forum.spam import lexicon
from forum.spam.links import EMAIL, URL, link_signals, registered_domain

MAX_FEATURES = 1_000  # bounds the learned-count rows the database fetches per comment
MAX_FEATURE_LENGTH = 120  # characters; a feature is a database key
MAX_TEXT = 100_000  # characters read of a body; BODY_MAX is half that
FAST_SECONDS = 5.0
NEW_ACCOUNT_DAYS = 1.0
BURST_COMMENTS = 3
SHORT_WORDS = 8
LONG_WORDS = 80

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_NAME_DOMAIN = re.compile(rf"[a-z0-9-]+\s*(?:\.|\s+dot\s+)\s*(?:{lexicon.TLDS})\b", re.I)
_PHONE = re.compile(r"(?<![\w/])\+?\d[\d\s().-]{8,}\d")
_MESSENGER = re.compile(
    r"\b(?:whats\s?app|telegram|viber|wechat|signal\s+app|skype|t\.me|wa\.me|телеграм\w*"
    r"|ватсап\w*|вотсап\w*|вайбер\w*)\b|微信|加我|电报",
    re.I,
)
_MONEY = re.compile(r"[$€£₹₽¥]\s?\d|\d\s?(?:usd|eur|dollars?|euros?|btc|usdt)\b|\d\s?%", re.I)
_PLACE_PHRASE = re.compile(r"\b(?:in|near|at)\s+[A-Z][a-z]+", re.UNICODE)


@dataclass(frozen=True)
class Comment:
    """A comment as the filter sees it: text, who wrote it and how it arrived."""

    body: str
    author_name: str
    website: str = ""
    post_text: str = ""  # title and body of the post or reply it answers
    is_guest: bool = True
    honeypot_filled: bool = False
    seconds_to_submit: float | None = None  # None: unknown, as through the API
    account_age_days: float | None = None  # members only
    recent_comments: int = 0  # from the same address or person in the last 10 minutes


def features(comment: Comment) -> list[str]:
    """The comment's signals and words, deduplicated, in a fixed order, at most
    MAX_FEATURES of them (signals first, so a long body never crowds them out)."""
    body = _clean(comment.body[:MAX_TEXT])
    found = dict.fromkeys(_signals(comment, body))
    for token in _tokens(comment.author_name[:200]):
        found.setdefault("name:" + token)
    for token in _tokens(body):
        if len(found) >= MAX_FEATURES:
            break
        # Function words appear in nearly every long comment, so they would only say
        # "long", which a signal already says.
        if token not in lexicon.STOPWORDS:
            found.setdefault(token)
    return [feature for feature in found if len(feature) <= MAX_FEATURE_LENGTH][:MAX_FEATURES]


def _clean(text: str) -> str:
    # NFKC folds full-width letters and ligatures spammers use to dodge word lists.
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE)


def _tokens(text: str) -> Iterator[str]:
    """Lower-cased words; runs of CJK characters as overlapping pairs, since they carry no
    spaces between words."""
    for match in _TOKEN.finditer(text.lower()):
        word = match.group()
        if _CJK_RUN.match(word):
            if len(word) == 1:
                yield word
            for i in range(len(word) - 1):
                yield word[i : i + 2]
        elif 2 <= len(word) <= 25 and not (word.isdigit() and len(word) > 4):
            yield word


def _signals(comment: Comment, body: str) -> list[str]:
    lowered = body.lower()
    out = ["sig:guest" if comment.is_guest else "sig:member"]
    out += link_signals(body)
    if comment.website.strip():
        out.append("sig:website")
        domain = registered_domain(comment.website)
        if domain:
            out.append("sig:site:" + domain)
    if comment.post_text.strip():
        out.append("sig:overlap:" + _overlap(body, comment.post_text))
    if lexicon.PRAISE.search(lowered) or lexicon.PRAISE_CJK.search(body):
        out.append("sig:praise")
    if lexicon.SHARE_REQUEST.search(lowered):
        out.append("sig:share_request")
    if lexicon.BROKEN_ENGLISH.search(lowered) or re.search(r"(?:^|[.!?]\s+)i\s", body):
        out.append("sig:broken_english")
    out += _name_signals(comment.author_name[:200])
    if EMAIL.search(body) or _PHONE.search(body) or _MESSENGER.search(body):
        out.append("sig:contact")
    if _MONEY.search(body):
        out.append("sig:money")
    if "sig:overlap:foreign" in out and not any(
        feature.startswith(("sig:link_kind:other", "sig:website", "sig:praise", "sig:share"))
        or feature.startswith("sig:name:")
        or feature in ("sig:contact", "sig:money")
        for feature in out
    ):
        # Naive Bayes weighs features one by one; a foreign-language comment selling
        # nothing differs from one that sells, and only this pair can tell them apart.
        out.append("sig:plain")
    if _shouting(body):
        out.append("sig:shouting")
    if "!!" in body:
        out.append("sig:exclamations")
    # Chinese and Japanese put no spaces between words; two characters make about one.
    words = len(body.split()) + len(_CJK_RUN.findall(body)) // 2
    out.append(
        "sig:short" if words < SHORT_WORDS else "sig:long" if words > LONG_WORDS else "sig:medium"
    )
    if comment.honeypot_filled:
        out.append("sig:honeypot")
    if comment.seconds_to_submit is not None and comment.seconds_to_submit < FAST_SECONDS:
        out.append("sig:fast")
    if comment.account_age_days is not None and comment.account_age_days < NEW_ACCOUNT_DAYS:
        out.append("sig:new_account")
    if comment.recent_comments >= BURST_COMMENTS:
        out.append("sig:burst")
    return out


def _stems(text: str) -> set[str]:
    """Content words without accents, cut to five letters: enough to meet "reparation" and
    "reparations", "república" and "republic"."""
    plain = "".join(
        ch
        for ch in unicodedata.normalize("NFKD", text[:MAX_TEXT].lower())
        if not unicodedata.combining(ch)
    )
    words = _TOKEN.findall(URL.sub(" ", plain))
    return {
        word[:5]
        for word in words
        if len(word) >= 4
        and not word.isdigit()
        and word not in lexicon.STOPWORDS
        and word not in lexicon.GENERIC_WORDS
    } | {word for word in words if word.isdigit() and len(word) == 4}


def _english(text: str) -> bool | None:
    """Whether a text reads as English, by its script and function words; None when there
    is too little to tell."""
    text = text[:5_000]
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) >= 12 and sum(ch.isascii() for ch in letters) < 0.8 * len(letters):
        return False
    words = _TOKEN.findall(text.lower())
    if len(words) < 4:
        return None
    english = sum(word in lexicon.ENGLISH_FUNCTION_WORDS for word in words)
    other = sum(word in lexicon.OTHER_FUNCTION_WORDS for word in words)
    if english == other:
        return None
    return english > other


def _overlap(body: str, post_text: str) -> str:
    shared = len(_stems(body) & _stems(post_text))
    if shared == 0 and _english(post_text) and _english(body) is False:
        # A reader writing in their own language shares few words with an English post;
        # that is not the same sign as a comment that ignores the post.
        return "foreign"
    return "none" if shared == 0 else "low" if shared == 1 else "some"


def _name_signals(name: str) -> list[str]:
    out = []
    words = [w.lower() for w in _TOKEN.findall(name)]
    if _NAME_DOMAIN.search(name) or "://" in name or "www." in name.lower():
        out.append("sig:name:domain")
    business = any(word in lexicon.BUSINESS_WORDS for word in words)
    if business:
        out.append("sig:name:business")
    place = any(word in lexicon.PLACES for word in words)
    if (
        _PLACE_PHRASE.search(name)
        or (place and business)
        or (len(words) >= 3 and words[-1] in lexicon.PLACES)
    ):
        out.append("sig:name:place")
    if len(words) > 4:
        out.append("sig:name:long")
    if any(ch.isdigit() for ch in name):
        out.append("sig:name:digits")
    return out


def _shouting(body: str) -> bool:
    letters = [ch for ch in body[:5_000] if ch.isalpha() and ch.upper() != ch.lower()]
    return len(letters) >= 12 and sum(ch.isupper() for ch in letters) > 0.6 * len(letters)


REASONS: dict[str, str] = {
    "sig:guest": "written by a guest",
    "sig:member": "written by a member",
    "sig:links:0": "no links but to archives, libraries or universities",
    "sig:links:1": "a link to a site that is not a known source",
    "sig:links:2+": "2 or more links to sites that are not known sources",
    "sig:link_kind:source": "links to an archive, library, university or museum",
    "sig:link_kind:other": "links to a site that is not a known source",
    "sig:website": "left a website address",
    "sig:overlap:none": "shares no words with the post",
    "sig:overlap:low": "shares only one word with the post",
    "sig:overlap:some": "on topic: shares words with the post",
    "sig:overlap:foreign": "written in another language than the post",
    "sig:plain": "sells nothing: no links, website, praise, contact details or business name",
    "sig:praise": "generic praise",
    "sig:share_request": "asks to share or promote the blog elsewhere",
    "sig:broken_english": "phrasing typical of mass-produced comments",
    "sig:name:domain": "author name looks like a domain",
    "sig:name:business": "author name looks like a business or keywords",
    "sig:name:place": "author name names a place, as business listings do",
    "sig:name:long": "author name is unusually long",
    "sig:name:digits": "author name contains digits",
    "sig:contact": "gives a phone number, messenger or email to contact",
    "sig:money": "mentions prices, money or percentages",
    "sig:shouting": "written mostly in capitals",
    "sig:exclamations": "repeated exclamation marks",
    "sig:short": "very short",
    "sig:medium": "of ordinary length",
    "sig:long": "long",
    "sig:honeypot": "filled in a field hidden from people",
    "sig:fast": "submitted seconds after the form was shown",
    "sig:new_account": "account made less than a day ago",
    "sig:burst": "several comments from the same sender within minutes",
}


def describe(feature: str) -> str:
    """A moderator's reading of one feature."""
    if feature in REASONS:
        return REASONS[feature]
    if ":" not in feature:
        return f'the characters "{feature}"' if _CJK_RUN.match(feature) else f'the word "{feature}"'
    kind, _, value = feature.partition(":")
    if kind == "sig":
        name, _, value = value.partition(":")
        if name == "link_domain":
            return f"links to {value}"
        if name == "link_tld":
            return f'links to a ".{value}" address'
        if name == "site":
            return f"gives the website {value}"
        return feature
    if kind == "name":
        return f'the author name contains "{value}"'
    return feature
