"""Where an import's image files come from: a copy of a blog's uploads folder on disk,
or the web. Both refuse what could reach past them: a path that leaves the folder, an
address inside the network (unless allowed), a file larger than an upload may be."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import stat
import time
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

UPLOADS_MARK = "/wp-content/uploads/"
FETCH_TIMEOUT = 5.0  # seconds to connect, and to wait for each piece of the answer
FETCH_DEADLINE = 20.0  # seconds for one image, all pieces and redirects together
REDIRECTS_MAX = 3
USER_AGENT = "forum-wordpress-import"
_REDIRECTS = {301, 302, 303, 307, 308}


class Refused(Exception):
    """The file could not be had; the message says why, for the importer."""


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.3g} MB"


def uploads_relative_path(url: str) -> str | None:
    """The part of an address after /wp-content/uploads/, decoded; None if it has none."""
    path = urlsplit(url).path
    if UPLOADS_MARK not in path:
        return None
    return unquote(path.split(UPLOADS_MARK, 1)[1])


def read_upload(folder: Path, url: str, max_bytes: int) -> bytes:
    """The file an uploads address names inside `folder` (the blog's
    wp-content/uploads). Raises Refused: not there, outside the folder, too large."""
    relative = uploads_relative_path(url)
    if not relative or "\x00" in relative:
        raise Refused("not an address in wp-content/uploads")
    root = folder.resolve()
    path = (root / relative).resolve()  # symbolic links followed before the check
    if not path.is_relative_to(root) or path == root:
        raise Refused("its path leads outside the uploads folder; refused")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise Refused("not a file in the uploads folder")
        if info.st_size > max_bytes:
            raise Refused(f"larger than {_megabytes(max_bytes)}")
        with path.open("rb") as file:
            return file.read(max_bytes + 1)
    except FileNotFoundError as error:
        raise Refused("not in the uploads folder") from error
    except OSError as error:
        raise Refused(f"could not be read from the uploads folder ({error.strerror})") \
            from error


# IPv6 prefixes that carry an IPv4 address inside (NAT64, 6to4, the old IPv4-compatible
# form) or are private by an older rule (site-local): judged by what they reach.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_SITE_LOCAL = ipaddress.IPv6Network("fec0::/10")


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address in _SITE_LOCAL or address in _IPV4_COMPATIBLE:
            return False
        inner = address.ipv4_mapped or address.sixtofour or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None)
        if inner is not None:
            address = inner
    return address.is_global and not address.is_multicast


def _address(host: str, port: int, allow_private: bool) -> str:
    """The address to connect to: every address the name has must be public, unless
    private ones are allowed; the connection then goes to the one checked (no second
    lookup that could answer otherwise)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise Refused(f"the name {host} could not be looked up") from error
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise Refused(f"the name {host} has no address")
    if not allow_private and not all(_is_public(a) for a in addresses):
        raise Refused("a private, loopback or reserved address; refused")
    return str(addresses[0])


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str):
        super().__init__(host, port, timeout=FETCH_TIMEOUT)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str):
        super().__init__(host, port, timeout=FETCH_TIMEOUT,
                         context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _connection(url: str, allow_private: bool) -> tuple[http.client.HTTPConnection, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise Refused("not a valid address") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("only http and https addresses are fetched")
    port = port or (443 if parts.scheme == "https" else 80)
    address = _address(parts.hostname, port, allow_private)
    kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    target = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        target += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    return kind(parts.hostname, port, address), target


def _body(answer: http.client.HTTPResponse, max_bytes: int, deadline: float) -> bytes:
    length = answer.getheader("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise Refused(f"larger than {_megabytes(max_bytes)}")
    chunks, size = [], 0
    while chunk := answer.read1(65536):
        size += len(chunk)
        if size > max_bytes:
            raise Refused(f"larger than {_megabytes(max_bytes)}")
        if time.monotonic() > deadline:
            raise Refused(f"not fetched within {FETCH_DEADLINE:g} seconds")
        chunks.append(chunk)
    return b"".join(chunks)


def fetch(url: str, max_bytes: int, *, allow_private: bool = False) -> bytes:
    """GET an http(s) address, following a few redirects (each checked again), within
    short timeouts and at most max_bytes. Raises Refused."""
    deadline = time.monotonic() + FETCH_DEADLINE
    for _ in range(REDIRECTS_MAX + 1):
        connection, target = _connection(url, allow_private)
        try:
            connection.request("GET", target, headers={"User-Agent": USER_AGENT,
                                                       "Accept": "image/*"})
            answer = connection.getresponse()
            if answer.status in _REDIRECTS and answer.getheader("Location"):
                url = urljoin(url, answer.getheader("Location"))
                continue
            if answer.status != 200:
                raise Refused(f"the server answered {answer.status} {answer.reason}")
            return _body(answer, max_bytes, deadline)
        except TimeoutError as error:
            raise Refused("the server did not answer in time") from error
        except (OSError, http.client.HTTPException) as error:
            raise Refused(f"could not be fetched ({error.__class__.__name__})") from error
        finally:
            connection.close()
    raise Refused(f"more than {REDIRECTS_MAX} redirects")

