"""A capture corpus turned into scenario files for a person to review (``strangler parity record``).

One scenario per endpoint (the default) or per session, each step a recorded request with the
status legacy answered as its ``expect``. Nothing secret or personal is written in the clear:
emails, credentials and secret-named fields become keyed marks (redact.py), and a credential
header is never written at all. A step that carried a bearer token gets ``auth:`` a name for
that token, and the scenario starts by using the folder's login template for it, with
``REVIEW`` values to fill in: the real token was redacted, so a person says who logs in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from .corpus import SECRET_HEADERS, CorpusEntry
from .redact import MARK, default_redactor
from .scenario import PLACEHOLDER, Scenario, Step
from .scenario_files import scenario_document, strings_in

Grouping = Literal["endpoint", "session"]
# What a client library adds on its own or the transport decides: never part of a scenario.
TRANSPORT_HEADERS = frozenset(
    {"host", "content-length", "connection", "accept-encoding", "user-agent", "accept",
     "transfer-encoding", "keep-alive", "x-request-id", "x-strangler-shadow"}
)  # fmt: skip
REVIEW = "REVIEW"
ANONYMOUS = "anonymous"


@dataclass(frozen=True, slots=True)
class RecordedFile:
    """One scenario file to write: its name in the output folder and its text."""

    name: str
    text: str
    scenario: Scenario
    steps: int  # recorded requests (the login steps added for review not counted)


def record(
    entries: Iterable[CorpusEntry], source: str, by: Grouping = "endpoint", login: str = "login"
) -> list[RecordedFile]:
    """Scenario files for ``entries`` grouped ``by`` endpoint or session (the redacted bearer
    credential's mark; requests without one are the ``anonymous`` session)."""
    groups: dict[str, list[CorpusEntry]] = {}
    for entry in entries:
        key = entry.endpoint if by == "endpoint" else _session(entry) or ANONYMOUS
        groups.setdefault(key, []).append(entry)
    return [_file(key, group, source, by, login) for key, group in groups.items()]


def _file(
    key: str, entries: list[CorpusEntry], source: str, by: Grouping, login: str
) -> RecordedFile:
    tokens: dict[str, str] = {}  # credential mark -> the capture name standing for it
    steps = [_step(entry, tokens) for entry in entries]
    lines = ", ".join(str(e.line) for e in entries if e.line)
    name = f"recorded {key}" if by == "endpoint" else f"recorded session {key}"
    scenario = Scenario(name, tuple(steps), f"from {source}, lines {lines or '?'}")
    document = scenario_document(scenario)
    logins = [
        {
            "use": login,
            "with": {"email": f"{REVIEW}: who sent {mark}", "password": REVIEW, "as": token},
        }
        for mark, token in tokens.items()
    ]
    document["steps"] = logins + document["steps"]
    header = [
        f"Recorded by `strangler parity record` from {source}: {len(steps)} request(s), each "
        "expecting the status legacy answered.",
        "Review before use: emails, credentials and secret fields are keyed marks",
        "([redacted:...]); ids and values are the recorded data's, not a fresh run's.",
    ]
    if tokens:
        header.append(
            f"The {login!r} steps stand for the redacted tokens: fill in who logs in ({REVIEW})."
        )
    text = "".join(f"# {line}\n" for line in header) + yaml.safe_dump(
        {"version": 1, "scenarios": [document]},
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=100,
    )
    return RecordedFile(f"{_slug(name)}.yaml", text, scenario, len(steps))


def _step(entry: CorpusEntry, tokens: dict[str, str]) -> Step:
    redactor = default_redactor()
    request = entry.request
    headers: dict[str, str] = {}
    auth = None
    for name, value in request.headers:
        lowered = name.lower()
        if lowered == "authorization" and value.lower().startswith("bearer "):
            mark = redactor.header(name, value).split(" ", 1)[1]
            auth = tokens.setdefault(mark, "token" if not tokens else f"token_{len(tokens) + 1}")
        elif lowered not in SECRET_HEADERS and lowered not in TRANSPORT_HEADERS:
            headers[lowered] = redactor.header(name, value)
    body: Any = None
    content = None
    if request.body:
        try:
            body = redactor.json(json.loads(request.body))
            if headers.get("content-type") == "application/json":
                del headers["content-type"]  # a json step sends it
        except ValueError:
            content = redactor.text(request.body.decode("utf-8", "replace")).encode()
    path = redactor.text(request.path)
    query = {k: redactor.text(v) for k, v in request.query}
    texts = [path, *query.values(), *headers.values(), *strings_in(body)]
    return Step(
        entry.endpoint,
        request.method,
        path,
        json=body,
        content=content,
        query=query,
        headers=headers,
        auth=auth,
        expect=entry.response.status,
        # recorded braces are literal text, never placeholders of this scenario
        templated=not any(PLACEHOLDER.search(text) for text in texts),
    )


def _session(entry: CorpusEntry) -> str | None:
    for name, value in entry.request.headers:
        if name.lower() == "authorization":
            credential = default_redactor().header(name, value).partition(" ")[2]
            found = MARK.search(credential)
            return found[0].removeprefix("[redacted:").rstrip("]") if found else None
    return None


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
