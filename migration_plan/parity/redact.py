"""Redaction by rule for everything stored or printed: emails, credentials, plan-marked fields.

A redacted value becomes ``[redacted:<8 hex>]``, the first 32 bits of an HMAC-SHA256 of the value
under one key: equal values get equal marks, so a diff still shows whether two values were equal,
but a mark cannot be read back (nor guessed from a list of candidate emails without the key).

The key is ``STRANGLER_REDACTION_KEY`` when set, else a random one made once and kept in
``<STRANGLER_VAR_DIR>/redaction.key`` (mode 0600), so every process of one stack agrees.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

from .pointers import escape

KEY_FILE = "redaction.key"
MARK = re.compile(r"\[redacted:[0-9a-f]{8}\]")
# A key whose name contains one of these holds a credential: its whole value is redacted.
SECRET_KEYS = (
    "password",
    "passwd",
    "token",
    "secret",
    "authorization",
    "api_key",
    "apikey",
    "api-key",
    "session",
    "cookie",
    "credential",
    "private_key",
)
# Headers whose credentials are redacted; the scheme or cookie names stay readable.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization"})
COOKIE_HEADERS = frozenset({"cookie", "set-cookie"})

# The local parts people use (not RFC 5322's every character: "/", "=" and "&" would swallow the
# path or query around an address); "%40" is an "@" in a URL.
_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic|token)(\s+)([A-Za-z0-9._~+/=-]{6,})")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# token=abc, "password": "x", api_key: y -- in URLs, form bodies, non-JSON text and messages.
_SECRET_PAIR = re.compile(
    r"(?i)\b([\w-]*(?:" + "|".join(re.escape(k) for k in SECRET_KEYS) + r")[\w-]*)"
    r"(\\?[\"']?\s*[:=]\s*\\?[\"']?)(?!(?:bearer|basic)\s)([^\"'\\&\s,;}\]]+)"
)

Sensitive = Callable[[str], bool]  # is the value at this (escaped) JSON pointer plan-sensitive


class RedactionSettings(BaseSettings):
    """Where the redaction key comes from (one BaseSettings class)."""

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore")

    STRANGLER_REDACTION_KEY: str = ""
    STRANGLER_VAR_DIR: Path = Path("./var")


def secret_key_name(name: str) -> bool:
    lowered = name.lower()
    return any(secret in lowered for secret in SECRET_KEYS)


class Redactor:
    """Applies the rules; pure once built with its key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def mark(self, value: object) -> str:
        """The mark of one value; a string is hashed as itself, so an email gets one mark
        whether it is a whole field or part of a sentence."""
        if isinstance(value, str):
            if MARK.fullmatch(value):
                return value  # already redacted: marking again would change the mark
            data = value.encode("utf-8")
        else:
            data = b"json:" + json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
        digest = hmac.new(self._key, data, hashlib.sha256).hexdigest()
        return f"[redacted:{digest[:8]}]"

    def text(self, text: str) -> str:
        """Free text with emails, bearer tokens, JWTs and ``secret=value`` pairs marked."""
        text = _SECRET_PAIR.sub(lambda m: m[1] + m[2] + self._keep_mark(m[3]), text)
        text = _BEARER.sub(lambda m: m[1] + m[2] + self._keep_mark(m[3]), text)
        text = _JWT.sub(lambda m: self.mark(m[0]), text)
        return _EMAIL.sub(lambda m: self.mark(m[0]), text)

    def _keep_mark(self, value: str) -> str:
        return value if value.startswith("[redacted") else self.mark(value)

    def json(self, value: Any, pointer: str = "", sensitive: Sensitive | None = None) -> Any:
        """A JSON value with secret-named fields and plan-sensitive pointers marked whole, and
        every other string redacted as text."""
        if sensitive is not None and pointer and sensitive(pointer):
            return self.mark(value)
        if isinstance(value, dict):
            return {
                key: self.mark(item)
                if secret_key_name(str(key))
                else self.json(item, f"{pointer}/{escape(str(key))}", sensitive)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.json(item, f"{pointer}/{i}", sensitive) for i, item in enumerate(value)]
        if isinstance(value, str):
            return self.text(value)
        return value

    def at(self, pointer: str, value: Any, sensitive: bool = False) -> Any:
        """A value found at a JSON pointer (a difference's side), redacted as it would be in
        its document: a secret-named segment or a plan mark redacts it whole."""
        names = (segment for segment in pointer.split("/")[1:] if not segment.isdigit())
        if sensitive or any(secret_key_name(name) for name in names):
            return self.mark(value)
        return self.json(value, pointer)

    def header(self, name: str, value: str) -> str:
        lowered = name.lower()
        if lowered in CREDENTIAL_HEADERS or (
            secret_key_name(lowered) and lowered not in COOKIE_HEADERS
        ):
            scheme, space, credentials = value.partition(" ")
            if space and scheme.isalpha():  # "Bearer <token>": the scheme helps a reader
                return f"{scheme} {self._keep_mark(credentials.strip())}"
            return self._keep_mark(value)
        if lowered in COOKIE_HEADERS:
            return self._cookies(lowered, value)
        return self.text(value)

    def _cookies(self, name: str, value: str) -> str:
        """Cookie values marked; names and Set-Cookie attributes kept (the parity engine
        compares cookies by name and attributes)."""
        if name == "cookie":
            pairs = (pair.strip().partition("=") for pair in value.split(";"))
            return "; ".join(f"{k}={self._keep_mark(v)}" if eq else k for k, eq, v in pairs)
        lines = []
        for line in value.split("\n"):
            first, semicolon, attributes = line.partition(";")
            cookie, eq, cookie_value = first.strip().partition("=")
            shown = f"{cookie}={self._keep_mark(cookie_value)}" if eq else self.text(cookie)
            lines.append(shown + (semicolon + self.text(attributes) if semicolon else ""))
        return "\n".join(lines)

    def headers(self, headers: Iterable[tuple[str, str]]) -> dict[str, str]:
        return {name: self.header(name, value) for name, value in headers}

    def body(self, body: bytes, limit: int = 4096, sensitive: Sensitive | None = None) -> str:
        """A body for storing: redacted JSON when it parses, else redacted text; cut to
        ``limit`` after redaction, so a cut can never leave half an email readable."""
        try:
            return json.dumps(self.json(json.loads(body), "", sensitive), sort_keys=True)[:limit]
        except (ValueError, UnicodeDecodeError, RecursionError):
            return self.text(body.decode("utf-8", "replace"))[:limit]

    def scrub(self, value: Any) -> Any:
        """Every string in an already stored structure redacted as text (a last pass before
        printing; marks are kept as they are)."""
        if isinstance(value, dict):
            return {key: self.scrub(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.scrub(item) for item in value]
        return self.text(value) if isinstance(value, str) else value


def redaction_key(settings: RedactionSettings | None = None) -> bytes:
    """The configured key, else the stack's key file (made on first use), else a key for this
    process only (an unwritable var dir must not stop a diff from printing)."""
    settings = settings or RedactionSettings()
    if settings.STRANGLER_REDACTION_KEY:
        return settings.STRANGLER_REDACTION_KEY.encode("utf-8")
    path = settings.STRANGLER_VAR_DIR / KEY_FILE
    try:
        return _key_file(path)
    except OSError:
        return secrets.token_bytes(32)


def _key_file(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = secrets.token_hex(32)
        try:
            # O_EXCL: of two processes starting together, one writes and both read its key.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as out:
                out.write(fresh + "\n")
            return bytes.fromhex(fresh)
    for _ in range(100):  # the other process may not have written it yet
        text = path.read_text().strip()
        if text:
            break
        time.sleep(0.01)
    try:
        key = bytes.fromhex(text)
        if not key:
            raise ValueError("empty")
        return key
    except ValueError:
        raise ValueError(
            f"{path}: not a redaction key (hex); delete it to make a new one, "
            "or set STRANGLER_REDACTION_KEY"
        ) from None


@cache
def default_redactor() -> Redactor:
    """The process's redactor, keyed once (clear with ``default_redactor.cache_clear()``)."""
    return Redactor(redaction_key())
