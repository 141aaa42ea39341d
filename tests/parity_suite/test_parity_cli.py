"""`strangler parity run` and `strangler replay`, through Typer's runner."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner
from werkzeug.serving import make_server

from migration_plan.cli import app
from migration_plan.parity.corpus import CorpusEntry
from migration_plan.parity.inprocess import FAST_HASH, InProcessPair, SeededData
from migration_plan.parity.sides import observed

pytestmark = pytest.mark.integration

PRODUCT = "GET /api/products/{id}"


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_parity_run_writes_the_results_file_junit_and_markdown(tmp_path: Path) -> None:
    code, output = invoke(
        "parity", "run", "--endpoint", PRODUCT,
        "--junit", str(tmp_path / "j.xml"), "--markdown", str(tmp_path / "s.md"),
        env={"PARITY_RESULTS_PATH": str(tmp_path / "r.json")},
    )  # fmt: skip
    assert code == 0, output
    results = json.loads((tmp_path / "r.json").read_text())
    assert results["source"] == "in-process"
    assert results["endpoints"][PRODUCT]["status"] == "pass"
    assert results["endpoints"][PRODUCT]["steps"] > 5
    assert "<testsuite" in (tmp_path / "j.xml").read_text()
    assert "# Parity: all endpoints match" in (tmp_path / "s.md").read_text()
    assert "endpoints match" in output


def test_parity_run_refuses_an_unknown_endpoint_and_half_a_url_pair() -> None:
    code, output = invoke("parity", "run", "--endpoint", "GET /nope")
    assert code == 2 and "'GET /nope' is not an endpoint of the plan" in output
    code, output = invoke("parity", "run", "--legacy", "http://x")
    assert code == 2 and "--extracted" in output


def serve_monoliths(tmp_path: Path, *, deviate: bool) -> Iterator[tuple[str, str]]:
    """Two monoliths on real sockets, each on its own copy of the seeded data.

    With `deviate`, the second one renders money as a JSON number: a real contract change.
    """
    from flask import Response

    from legacy_monolith import create_app

    seeded = SeededData(tmp_path / "seed")
    servers = []
    for index in range(2):
        directory = seeded.copy()
        monolith = create_app(
            {"DATABASE_URL": seeded.url("monolith", directory), "PASSWORD_HASH_METHOD": FAST_HASH}
        )
        if deviate and index == 1:

            @monolith.after_request
            def money_as_number(response: Response) -> Response:
                payload = response.get_json(silent=True)
                if isinstance(payload, dict) and isinstance(payload.get("price"), str):
                    payload["price"] = float(payload["price"])
                    response.set_data(json.dumps(payload))
                return response

        server = make_server("127.0.0.1", 0, monolith, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield tuple(f"http://127.0.0.1:{s.server_port}" for s in servers)  # type: ignore[misc]
    for server in servers:
        server.shutdown()


@pytest.fixture
def two_monoliths(tmp_path: Path) -> Iterator[tuple[str, str]]:
    yield from serve_monoliths(tmp_path, deviate=False)


@pytest.fixture
def monolith_and_deviant(tmp_path: Path) -> Iterator[tuple[str, str]]:
    yield from serve_monoliths(tmp_path, deviate=True)


@pytest.mark.e2e
def test_parity_run_against_two_urls(two_monoliths: tuple[str, str], tmp_path: Path) -> None:
    legacy, extracted = two_monoliths
    code, output = invoke(
        "parity", "run", "--legacy", legacy, "--extracted", extracted,
        "--endpoint", "GET /api/users/{id}", "--results", str(tmp_path / "r.json"),
        "--settle", "0",  # two databases of their own: no sync to wait for
    )  # fmt: skip
    assert code == 0, output
    assert json.loads((tmp_path / "r.json").read_text())["source"] == f"{legacy} vs {extracted}"


@pytest.mark.e2e
def test_parity_run_fails_with_the_diff_when_an_endpoint_differs(
    monolith_and_deviant: tuple[str, str], tmp_path: Path
) -> None:
    legacy, extracted = monolith_and_deviant
    code, output = invoke(
        "parity", "run", "--legacy", legacy, "--extracted", extracted,
        "--endpoint", PRODUCT, "--results", str(tmp_path / "r.json"), "--settle", "0",
    )  # fmt: skip
    assert code == 1, output
    assert "/price" in output and "(type)" in output
    results = json.loads((tmp_path / "r.json").read_text())
    assert results["endpoints"][PRODUCT]["status"] == "fail"


def record(tmp_path: Path, requests: list[tuple[str, str, str]]) -> Path:
    """A corpus of the in-process monolith's answers to (endpoint, method, path) requests."""
    seeded = SeededData(tmp_path / "seed")
    pair = InProcessPair.start(seeded)
    lines = []
    try:
        client = httpx.Client(transport=httpx.WSGITransport(app=pair.monolith))
        for endpoint, method, path in requests:
            answer = observed(client.request(method, "http://legacy" + path))
            lines.append(CorpusEntry.capture(endpoint, method, path, [], [], b"", answer).to_line())
    finally:
        pair.close()
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(lines) + "\n")
    return corpus


READS = [
    (PRODUCT, "GET", "/api/products/1"),
    (PRODUCT, "GET", "/api/products/9999"),
    ("GET /api/products", "GET", "/api/products"),
    ("GET /api/auth/me", "GET", "/api/auth/me"),
]


def test_replay_in_process_matches_legacy_sent_again(tmp_path: Path) -> None:
    corpus = record(tmp_path, READS)
    code, output = invoke("replay", str(corpus), "--results", str(tmp_path / "r.json"))
    assert code == 0, output
    endpoints = json.loads((tmp_path / "r.json").read_text())["endpoints"]
    assert endpoints[PRODUCT]["steps"] == 2
    assert {e["status"] for e in endpoints.values()} == {"pass"}


def test_replay_reports_a_recorded_answer_the_service_does_not_give(tmp_path: Path) -> None:
    corpus = record(tmp_path, READS[:1])
    corpus.write_text(corpus.read_text().replace('"price": "8.37"', '"price": "9.99"'))
    code, output = invoke("replay", str(corpus), "--legacy", "recorded")
    assert code == 1
    assert '/price: "9.99" != "8.37"' in output


def test_replay_in_process_sends_each_request_to_legacy_again_by_default(tmp_path: Path) -> None:
    corpus = record(tmp_path, READS[:1])
    corpus.write_text(corpus.read_text().replace('"price": "8.37"', '"price": "9.99"'))
    code, output = invoke("replay", str(corpus))
    assert code == 0, output
