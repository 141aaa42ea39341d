"""`strangler parity record`: a capture corpus becomes scenario files a person can review, with
no email or credential in the clear, that load as scenarios and say what was recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migration_plan.cli import app as cli
from migration_plan.parity.corpus import CorpusEntry
from migration_plan.parity.redact import MARK
from migration_plan.parity.response import ObservedResponse
from migration_plan.parity.scenario_files import DEFAULT_FOLDER, load_scenario_files

pytestmark = pytest.mark.unit

TOKEN = "Bearer s3cret-token-of-alice"


def entry(endpoint: str, method: str, path: str, status: int, **options: object) -> CorpusEntry:
    body = options.get("json")
    return CorpusEntry.capture(
        endpoint,
        method,
        path,
        list(options.get("query", {}).items()),  # type: ignore[attr-defined]
        [("Host", "x"), ("Content-Type", "application/json"), *options.get("headers", [])],  # type: ignore[misc]
        json.dumps(body).encode() if body is not None else b"",
        ObservedResponse.from_json(status, {"ok": True}),
    )


def corpus(tmp_path: Path) -> Path:
    entries = [
        entry("POST /api/auth/login", "POST", "/api/auth/login", 200,
              json={"email": "alice@example.com", "password": "password123"}),
        entry("GET /api/auth/me", "GET", "/api/auth/me", 200, headers=[("Authorization", TOKEN)]),
        entry("GET /api/products", "GET", "/api/products", 200, query={"q": "bob@example.com"}),
        entry("GET /api/orders/{id}", "GET", "/api/orders/7", 404,
              headers=[("Authorization", TOKEN), ("Cookie", "session=abc"), ("X-Trace", "{x}")]),
    ]  # fmt: skip
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(e.to_line() + "\n" for e in entries))
    return path


def run(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(cli, ["parity", "record", *args], env={"COLUMNS": "200"})
    return done.exit_code, done.output


def test_one_file_per_endpoint_no_secret_in_the_clear_and_each_loads(tmp_path: Path) -> None:
    code, output = run(str(corpus(tmp_path)), "--output", str(tmp_path / "out"))
    assert code == 0, output
    files = sorted((tmp_path / "out").iterdir())
    assert [f.name for f in files] == [
        "recorded-get-api-auth-me.yaml",
        "recorded-get-api-orders-id.yaml",
        "recorded-get-api-products.yaml",
        "recorded-post-api-auth-login.yaml",
    ]
    text = "".join(f.read_text() for f in files)
    for secret in ("alice@example.com", "bob@example.com", "password123", "s3cret", "abc"):
        assert secret not in text
    assert "uthorization" not in text.replace("# ", "") and "ookie" not in text
    assert MARK.search(text)
    scenarios = load_scenario_files([*sorted(DEFAULT_FOLDER.glob("*.yaml")), *files])[24:]
    me, order, listing, login = scenarios
    assert [s.endpoint for s in me.steps] == ["POST /api/auth/login", "GET /api/auth/me"]
    assert me.steps[0].json["password"] == "REVIEW"  # a person says who logs in
    assert me.steps[1].auth == "token" and me.steps[1].expect == 200
    assert (order.steps[1].path, order.steps[1].expect) == ("/api/orders/7", 404)
    assert not order.steps[1].templated  # a recorded "{x}" is text, not a placeholder
    assert MARK.fullmatch(listing.steps[0].query["q"])
    assert MARK.fullmatch(login.steps[0].json["email"]) and "lines 1" in login.description


def test_one_scenario_per_session(tmp_path: Path) -> None:
    code, output = run(str(corpus(tmp_path)), "--output", str(tmp_path / "out"), "--by", "session")
    assert code == 0, output
    names = sorted(f.name for f in (tmp_path / "out").iterdir())
    assert len(names) == 2 and "recorded-session-anonymous.yaml" in names
    session = next(f for f in (tmp_path / "out").iterdir() if "anonymous" not in f.name)
    steps = load_scenario_files([*sorted(DEFAULT_FOLDER.glob("*.yaml")), session])[-1].steps
    assert [s.path for s in steps] == ["/api/auth/login", "/api/auth/me", "/api/orders/7"]


def test_bad_input_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    code, output = run(str(bad), "--output", str(out))
    assert code == 2 and "bad.jsonl:1" in output and not out.exists()
    code, output = run(str(corpus(tmp_path)), "--output", str(out), "--login", "nobody")
    assert code == 2 and "no template 'nobody'" in output and not out.exists()
    out.mkdir()
    (out / "recorded-get-api-auth-me.yaml").write_text("keep me")
    code, output = run(str(corpus(tmp_path)), "--output", str(out))
    assert code == 2 and "would overwrite" in output
    assert [f.name for f in out.iterdir()] == ["recorded-get-api-auth-me.yaml"]
