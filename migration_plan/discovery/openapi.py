"""Routes from an OpenAPI document (file or URL): for apps discovery cannot build in-process."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml

from migration_plan.discovery.build import Rules
from migration_plan.discovery.sources import URL_PATTERN, DiscoveryError

FETCH_TIMEOUT_SECONDS = 10.0  # a document, not a stream: a server slower than this is down
OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def read_openapi(location: str, base: Path) -> Mapping[str, Any]:
    """The document at `location`: an http(s) URL, or a file (relative to `base`)."""
    if URL_PATTERN.match(location):
        try:
            response = httpx.get(location, timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise DiscoveryError(
                f"cannot fetch {location}: {type(error).__name__}: {error}"
            ) from None
        text, name = response.text, urlsplit(location).path
    else:
        path = base / location
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise DiscoveryError(f"cannot read {path}: {error.strerror or error}") from None
        name = path.name
    return parse_openapi(text, location, json_first=name.lower().endswith(".json"))


def parse_openapi(text: str, location: str, *, json_first: bool = True) -> Mapping[str, Any]:
    """JSON or YAML (a YAML parser reads both; JSON first for its clearer errors)."""
    try:
        document = json.loads(text) if json_first else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise DiscoveryError(f"{location} is not valid JSON/YAML: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise DiscoveryError(f"{location} is not an OpenAPI document (no `paths` mapping)")
    return document


def openapi_rules(document: Mapping[str, Any]) -> Rules:
    """(path, methods) of every operation, under the first server's base path (`/v1`...)."""
    base = ""
    servers = document.get("servers")
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        base = urlsplit(str(servers[0].get("url", ""))).path.rstrip("/")
    rules: Rules = []
    for path, item in document["paths"].items():
        if not isinstance(item, dict) or not isinstance(path, str):
            continue
        methods = {m.upper() for m in OPERATIONS if isinstance(item.get(m), dict)}
        if methods:
            rules.append((base + path, methods))
    return rules
