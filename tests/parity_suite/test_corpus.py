"""Capture corpus: redaction, the JSONL round trip, the sampled and bounded recorder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from migration_plan.parity.capture import entry_from_mirror, recorder_from_env
from migration_plan.parity.corpus import (
    CorpusEntry,
    CorpusError,
    CorpusRecorder,
    read_corpus,
)
from migration_plan.parity.redact import MARK
from migration_plan.parity.response import ObservedResponse

pytestmark = pytest.mark.unit


def login_entry() -> CorpusEntry:
    return CorpusEntry.capture(
        "POST /api/auth/login",
        "POST",
        "/api/auth/login",
        [("next", "1")],
        [("Authorization", "Bearer s3cret"), ("Cookie", "a=b"), ("X-Api-Key", "k"),
         ("Content-Type", "application/json")],
        json.dumps({"email": "a@example.com", "password": "hunter22"}).encode(),
        ObservedResponse.from_json(
            200, {"token": "t0k3n", "user": {"id": 2}}, {"Set-Cookie": "session=1"}
        ),
    )  # fmt: skip


def test_secrets_never_reach_the_line() -> None:
    line = login_entry().to_line()
    for secret in ("s3cret", "a=b", '"k"', "hunter22", "t0k3n", "session=1"):
        assert secret not in line
    document = json.loads(line)
    assert re.fullmatch(rf"Bearer {MARK.pattern}", document["headers"]["authorization"])
    assert MARK.fullmatch(document["headers"]["x-api-key"])
    body = document["body"]["json"]
    assert body["email"] == "a@example.com"  # kept: a replay sends the request again
    assert MARK.fullmatch(body["password"])
    answer = document["response"]["body"]["json"]
    assert answer["user"] == {"id": 2} and MARK.fullmatch(answer["token"])
    # The cookie's name stays (the parity engine compares names and attributes).
    assert re.fullmatch(rf"session={MARK.pattern}", document["response"]["headers"]["set-cookie"])
    assert document["query"] == [["next", "1"]]


def test_a_line_reads_back_as_the_same_entry(tmp_path: Path) -> None:
    entry = login_entry()
    path = tmp_path / "c.jsonl"
    path.write_text(entry.to_line() + "\n\n" + entry.to_line() + "\n")
    back = list(read_corpus(path))
    assert [e.line for e in back] == [1, 3]
    assert back[0].request == entry.request
    assert back[0].response == entry.response


def test_bodies_that_are_not_json_keep_their_bytes() -> None:
    html = ObservedResponse(404, {"Content-Type": "text/html"}, b"<p>nope</p>")
    entry = CorpusEntry.capture("GET /api/products", "GET", "/x/", [], [], b"\xff\x00", html)
    back = CorpusEntry.from_line(entry.to_line())
    assert back.request.body == b"\xff\x00"
    assert back.response.body == b"<p>nope</p>"


def test_a_bad_line_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(login_entry().to_line() + "\n{}\n")
    with pytest.raises(CorpusError, match=r"bad.jsonl:2: not a corpus entry"):
        list(read_corpus(path))


def test_the_recorder_samples_and_writes_off_the_callers_thread(tmp_path: Path) -> None:
    draws = iter([0.05, 0.5, 0.09])
    recorder = CorpusRecorder(tmp_path / "c.jsonl", sample_rate=0.1, sample=lambda: next(draws))
    assert [recorder.wants(), recorder.wants(), recorder.wants()] == [True, False, True]
    assert recorder.offer(login_entry())
    recorder.close()
    assert recorder.recorded == 1
    assert len(list(read_corpus(tmp_path / "c.jsonl"))) == 1


def test_the_recorder_stops_at_its_size_bound(tmp_path: Path) -> None:
    one = len(login_entry().to_line()) + 1
    recorder = CorpusRecorder(tmp_path / "c.jsonl", sample_rate=1.0, max_bytes=one * 2)
    for _ in range(5):
        recorder.offer(login_entry())
    recorder.close()
    assert (recorder.recorded, recorder.dropped) == (2, 3)
    assert not recorder.wants()  # full: nothing more is even copied


def test_a_recorder_off_by_default_rate_wants_nothing(tmp_path: Path) -> None:
    assert not CorpusRecorder(tmp_path / "c.jsonl", sample_rate=0.0).wants()
    with pytest.raises(ValueError, match="sample rate"):
        CorpusRecorder(tmp_path / "c.jsonl", sample_rate=2)


def test_capture_is_off_unless_a_path_is_set(tmp_path: Path) -> None:
    assert recorder_from_env({}) is None
    assert recorder_from_env({"ROUTER_CAPTURE_SAMPLE_RATE": "1"}) is None
    recorder = recorder_from_env(
        {"ROUTER_CAPTURE_PATH": str(tmp_path / "c.jsonl"), "ROUTER_CAPTURE_SAMPLE_RATE": "0.5"}
    )
    assert recorder is not None and recorder.sample_rate == 0.5
    with pytest.raises(ValueError, match="ROUTER_CAPTURE_SAMPLE_RATE"):
        recorder_from_env({"ROUTER_CAPTURE_PATH": "x", "ROUTER_CAPTURE_SAMPLE_RATE": "2"})


def test_an_entry_from_a_mirror_splits_the_url_and_redacts() -> None:
    entry = entry_from_mirror(
        "GET /api/orders",
        "GET",
        "http://127.0.0.1:8004/api/orders?page=2&q=",
        [("host", "x"), ("authorization", "Bearer t")],
        b"",
        200,
        [("content-type", "application/json")],
        b'{"items": []}',
    )
    assert (entry.request.path, entry.request.query) == ("/api/orders", (("page", "2"), ("q", "")))
    [(name, value)] = entry.request.headers
    assert name == "authorization" and re.fullmatch(rf"Bearer {MARK.pattern}", value)
    assert json.loads(entry.response.body) == {"items": []}
