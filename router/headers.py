"""Proxy header rules: hop-by-hop, X-Forwarded-*, request ids, W3C traceparent, framing."""

from __future__ import annotations

import ipaddress
import random
import re
from collections.abc import Iterable

from router.types import Headers

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        # The router reads the whole body before forwarding (uvicorn answers 100 Continue when
        # it does), so an upstream must never be left waiting to say "continue" itself.
        "expect",
    }
)
# Set by the router itself; whatever the client sent under these names is replaced. And
# X-Strangler-Shadow marks the router's own mirrors (services then roll writes back): a client
# must never be able to send it, or its real write would silently become a dry run.
_REPLACED = frozenset({"host", "x-request-id", "traceparent", "x-strangler-shadow"})
# Forwarding headers: believed (and extended) only from a trusted proxy, else replaced, so a
# client cannot name itself 6.6.6.6 to the backends (uvicorn --forwarded-allow-ips, ProxyFix).
_FORWARDING = frozenset(
    {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded", "x-real-ip"}
)
# RFC 7230 tchar: a Forwarded value made of these needs no quotes.
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:=+/-]{1,128}$")
_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")


class BadFraming(ValueError):
    """The request's body framing is ambiguous; forwarding it invites request smuggling."""


def decode(raw: Iterable[tuple[bytes, bytes]]) -> Headers:
    return [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in raw]


def content_length(headers: Headers) -> int | None:
    """The declared body length, or None; raise BadFraming on anything ambiguous."""
    lengths: set[str] = set()
    chunked = False
    for name, value in headers:
        if name == "content-length":
            lengths.update(v.strip() for v in value.split(","))
        elif name == "transfer-encoding":
            chunked = True
    if not lengths:
        return None
    if chunked:
        raise BadFraming("Content-Length and Transfer-Encoding together")
    if len(lengths) > 1:
        raise BadFraming("conflicting Content-Length values")
    (length,) = lengths
    if not length.isdigit() or len(length) > 18:
        raise BadFraming("invalid Content-Length")
    return int(length)


def _connection_tokens(headers: Headers) -> set[str]:
    tokens: set[str] = set()
    for name, value in headers:
        if name == "connection":
            tokens.update(t.strip().lower() for t in value.split(",") if t.strip())
    return tokens


def end_to_end(headers: Headers) -> Headers:
    """Drop hop-by-hop headers, including those the Connection header lists."""
    tokens = _connection_tokens(headers)
    dropped = HOP_BY_HOP | tokens if tokens else HOP_BY_HOP
    return [(k, v) for k, v in headers if k not in dropped]


def request_id(headers: Headers) -> str:
    """The client's X-Request-ID when it is sane, else a new one."""
    for name, value in headers:
        if name == "x-request-id" and _REQUEST_ID.match(value):
            return value
    return f"{random.getrandbits(128):032x}"


def traceparent(headers: Headers) -> str:
    """Continue the caller's trace with a new span id, or start a new trace (W3C Trace Context)."""
    for name, value in headers:
        if name == "traceparent":
            match = _TRACEPARENT.match(value.strip())
            if match and _valid_trace(match):
                version, trace_id, _span, flags, _ = match.groups()
                return f"00-{trace_id}-{_span_id()}-{flags}"
            break
    return f"00-{_trace_id()}-{_span_id()}-01"


def _valid_trace(match: re.Match[str]) -> bool:
    version, trace_id, span_id, _flags, rest = match.groups()
    if version == "ff" or trace_id == "0" * 32 or span_id == "0" * 16:
        return False
    return version != "00" or rest is None  # version 00 has exactly four fields


# Ids only need to be unique, not secret: the Mersenne Twister is ~20x cheaper than urandom
# and `random` reseeds itself in forked workers.
def _trace_id() -> str:
    return f"{random.getrandbits(128) or 1:032x}"


def _span_id() -> str:
    return f"{random.getrandbits(64) or 1:016x}"


class TrustedProxies:
    """The peers whose forwarding headers are believed: IPs and CIDRs (ROUTER_TRUSTED_PROXIES)."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self._networks = tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries)

    def __contains__(self, host: object) -> bool:
        if not self._networks or not isinstance(host, str):
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:  # a unix socket path or a name: never a trusted proxy
            return False
        return any(address in network for network in self._networks)


NO_TRUSTED_PROXIES = TrustedProxies()


def forwarded_element(client: str | None, scheme: str, host: str) -> str:
    """One RFC 7239 `Forwarded` element: `for=...;proto=...;host=...`, IPv6 quoted."""
    parts = []
    if client:
        node = f"[{client}]" if ":" in client else client
        parts.append(f"for={_quoted(node)}")
    parts.append(f"proto={_quoted(scheme)}")
    if host:
        parts.append(f"host={_quoted(host)}")
    return ";".join(parts)


def _quoted(value: str) -> str:
    if _TOKEN.match(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def upstream_headers(
    headers: Headers,
    *,
    client: str | None,
    scheme: str,
    request_id: str,
    traceparent: str,
    trusted: TrustedProxies = NO_TRUSTED_PROXIES,
) -> Headers:
    """What the backend receives: end-to-end headers plus the forwarding and tracing headers.

    From an untrusted peer (the default: every peer) the client's forwarding headers are
    dropped and the router's own stand alone; from a trusted proxy its chain is extended."""
    out: Headers = []
    sent: dict[str, list[str]] = {}
    host = ""
    for name, value in end_to_end(headers):
        if name in _FORWARDING:
            sent.setdefault(name, []).append(value)
        elif name == "host":
            host = value
        elif name not in _REPLACED:
            out.append((name, value))
    believed = sent if client in trusted else {}
    forwarded_for = [*believed.get("x-forwarded-for", []), *([client] if client else [])]
    if forwarded_for:
        out.append(("x-forwarded-for", ", ".join(forwarded_for)))
    # A trusted proxy's proto and host describe the original request; the hop to us does not.
    proto = _first(believed.get("x-forwarded-proto")) or scheme
    original_host = _first(believed.get("x-forwarded-host")) or host
    out.append(("x-forwarded-proto", proto))
    if original_host:
        out.append(("x-forwarded-host", original_host))
    real_ip = _first(believed.get("x-real-ip")) or client
    if real_ip:
        out.append(("x-real-ip", real_ip))
    element = forwarded_element(client, scheme, host)
    out.append(("forwarded", ", ".join([*believed.get("forwarded", []), element])))
    out.append(("x-request-id", request_id))
    out.append(("traceparent", traceparent))
    return out


def _first(values: list[str] | None) -> str:
    """The left-most (original) entry of a possibly comma-joined header."""
    if not values:
        return ""
    return values[0].split(",")[0].strip()


def host_problem(headers: Headers, http_version: str) -> str | None:
    """Why the Host header makes the request invalid (RFC 9112 section 3.2), or None."""
    hosts = [value for name, value in headers if name == "host"]
    if len(hosts) > 1:
        return "more than one Host header"
    if not hosts and http_version != "1.0":
        return "no Host header (HTTP/1.1 requires one)"
    if hosts and (not hosts[0].strip() or any(c in hosts[0] for c in " \t/\\@,")):
        return "the Host header is not a valid host[:port]"
    return None


# The ASGI server writes its own Date and Server; passing the upstream's too would send each twice
# (Date is a singleton field). nginx hides the same two by default (proxy_hide_header).
_SERVER_OWNED = frozenset({"date", "server"})


def response_headers(headers: Headers) -> list[tuple[bytes, bytes]]:
    """The upstream's end-to-end headers, encoded for ASGI."""
    return [
        (k.encode("latin-1"), v.encode("latin-1"))
        for k, v in end_to_end(headers)
        if k not in _SERVER_OWNED
    ]
