"""Redaction by rule: emails, credentials and plan-sensitive values never print or get stored raw,
and a keyed mark keeps equal values equal."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

from migration_plan.parity import MISSING, Difference, ObservedResponse, ParityRules
from migration_plan.parity.compare import compare_responses, marked_sensitive
from migration_plan.parity.pytest_plugin import ParityFailure, check
from migration_plan.parity.redact import (
    KEY_FILE,
    MARK,
    RedactionSettings,
    Redactor,
    redaction_key,
)
from migration_plan.parity.report import ParityReport
from migration_plan.parity.runner import ScenarioResult, StepResult
from migration_plan.parity.scenario import Scenario, SideRequest, Step
from migration_plan.plan import PlanError, parse_plan

pytestmark = pytest.mark.unit

EMAIL = "alice@example.com"
TOKEN = "9f8e7d6c5b4a3f2e1d0c"
ENDPOINT = "GET /api/users/{id}"
redactor = Redactor(b"test key")


def failing_step(legacy: object, extracted: object, rules: ParityRules) -> ScenarioResult:
    """A one-step scenario whose answers differ, compared under ``rules`` as the runner does."""
    step = Step(ENDPOINT, "GET", "/api/users/1")
    a, b = ObservedResponse.from_json(200, legacy), ObservedResponse.from_json(200, extracted)
    comparison = marked_sensitive(compare_responses(a, b, rules), rules)
    result = ScenarioResult(Scenario("profile", (step,)))
    result.steps.append(
        StepResult("profile", 0, step, SideRequest("GET", "/api/users/1"), a, b, comparison)
    )
    return result


def test_equal_values_get_equal_marks_and_different_values_different_marks() -> None:
    assert redactor.mark(EMAIL) == redactor.mark(EMAIL)
    assert redactor.mark(EMAIL) != redactor.mark("bob@example.com")
    assert MARK.fullmatch(redactor.mark(EMAIL))
    assert redactor.mark(1) != redactor.mark("1")  # a type change still shows
    assert Redactor(b"other key").mark(EMAIL) != redactor.mark(EMAIL)  # keyed, not a bare hash


def test_a_mark_is_pinned_so_evidence_from_different_runs_compares() -> None:
    golden = Redactor(b"golden key")
    assert golden.mark("alice@example.com") == "[redacted:144cbc7f]"
    assert golden.mark({"id": 7}) == "[redacted:b58b4b72]"


def test_marking_a_mark_keeps_it() -> None:
    mark = redactor.mark(TOKEN)
    assert redactor.mark(mark) == mark
    assert redactor.text(f"Bearer {mark}") == f"Bearer {mark}"


def test_emails_and_tokens_are_marked_anywhere_in_text() -> None:
    text = f"user {EMAIL} sent Authorization: Bearer {TOKEN} to /login?token={TOKEN}&page=2"
    redacted = redactor.text(text)
    assert EMAIL not in redacted and TOKEN not in redacted
    assert redactor.mark(EMAIL) in redacted and "page=2" in redacted
    query = redactor.text(f"/api/users?email={EMAIL}&q=alice%40example.com")
    assert (
        query == f"/api/users?email={redactor.mark(EMAIL)}&q={redactor.mark('alice%40example.com')}"
    )
    assert redacted.count(redactor.mark(TOKEN)) == 2  # one token, one mark


def test_secret_named_fields_are_marked_whole_and_other_strings_as_text() -> None:
    document = {
        "email": EMAIL,
        "note": f"write to {EMAIL}",
        "session": {"id": 7},
        "items": [{"api_key": "k-1", "name": "tea"}],
    }
    redacted = redactor.json(document)
    assert redacted["email"] == redacted["note"][len("write to ") :] == redactor.mark(EMAIL)
    assert redacted["session"] == redactor.mark({"id": 7})
    assert redacted["items"] == [{"api_key": redactor.mark("k-1"), "name": "tea"}]


def test_credential_headers_keep_their_scheme_and_cookies_their_names() -> None:
    headers = redactor.headers(
        [
            ("Authorization", f"Bearer {TOKEN}"),
            ("Cookie", f"session={TOKEN}; theme=dark"),
            ("Set-Cookie", f"session={TOKEN}; Path=/; HttpOnly"),
            ("X-Api-Key", "k-1"),
            ("Content-Type", "application/json"),
        ]
    )
    mark = redactor.mark(TOKEN)
    assert headers["Authorization"] == f"Bearer {mark}"
    assert headers["Cookie"] == f"session={mark}; theme={redactor.mark('dark')}"
    assert headers["Set-Cookie"] == f"session={mark}; Path=/; HttpOnly"
    assert headers["X-Api-Key"] == redactor.mark("k-1")
    assert headers["Content-Type"] == "application/json"


def test_a_body_is_cut_only_after_it_is_redacted() -> None:
    body = f"contact {EMAIL} please".encode()
    assert EMAIL[:5] not in redactor.body(body, limit=12)
    assert redactor.body(b"not json \xff") == "not json \ufffd"


def test_a_difference_never_prints_an_email_or_a_token() -> None:
    differences = [
        Difference("/email", "value", EMAIL, "bob@example.com"),
        Difference("/token", "value", TOKEN, "other-token-value"),
        Difference("/user", "missing", {"email": EMAIL, "password": "hunter22"}, MISSING),
        Difference("header:authorization", "header", f"Bearer {TOKEN}", "Bearer x"),
        Difference("body", "bytes", f"10 bytes, at 0: {EMAIL}", "3 bytes, at 0: abc"),
    ]
    for difference in differences:
        shown = str(difference)
        for raw in (EMAIL, "bob@example.com", TOKEN, "hunter22"):
            assert raw not in shown, shown
    assert str(differences[3]).startswith('header:authorization: "Bearer [redacted:')


def test_a_key_that_is_an_email_is_redacted_in_the_place_too() -> None:
    shown = str(Difference(f"/by_email/{EMAIL}/orders", "value", 1, 2))
    assert EMAIL not in shown and shown.startswith("/by_email/[redacted:")


def test_equal_emails_on_both_sides_show_equal_marks() -> None:
    shown = str(Difference("/contacts", "value", [EMAIL, "x"], [EMAIL, "y"]))
    marks = re.findall(MARK.pattern, shown)
    assert len(marks) == 2 and marks[0] == marks[1]


def test_a_plan_sensitive_pointer_prints_as_marks_but_is_still_compared() -> None:
    rules = ParityRules(sensitive=("/address/**",))
    result = failing_step({"address": {"city": "Leeds"}}, {"address": {"city": "York"}}, rules)
    (difference,) = result.steps[0].comparison.differences
    assert (difference.legacy, difference.extracted) == ("Leeds", "York")  # compared raw
    shown = result.summary()
    assert "Leeds" not in shown and "York" not in shown and "/address/city" in shown


def test_no_email_or_token_reaches_a_parity_failure_message() -> None:
    legacy = {"email": EMAIL, "token": TOKEN, "name": "Alice"}
    extracted = {"email": "bob@example.com", "token": "other-token-value", "name": "Alice"}
    result = failing_step(legacy, extracted, ParityRules())
    result.error = f"GET http://side.test/api/users?email={EMAIL} failed"
    with pytest.raises(ParityFailure) as failure:
        check(result)
    message = str(failure.value)
    assert "/email" in message and "/token" in message
    for raw in (EMAIL, "bob@example.com", TOKEN, "other-token-value"):
        assert raw not in message


def test_no_email_or_token_reaches_the_results_file_junit_or_markdown(tmp_path: Path) -> None:
    result = failing_step(
        {"email": EMAIL, "token": TOKEN}, {"email": "bob@example.com"}, ParityRules()
    )
    stopped = ScenarioResult(Scenario("later", (Step(ENDPOINT, "GET", "/api/users/2"),)))
    stopped.error, stopped.error_endpoint = f"ConnectError: {EMAIL}", ENDPOINT
    report = ParityReport("test", [result, stopped])
    path = tmp_path / "results.json"
    report.write_results(path)
    failures = json.loads(path.read_text())["endpoints"][ENDPOINT]["failures"]
    assert len(failures) == 2
    for text in (path.read_text(), report.junit(), report.markdown()):
        for raw in (EMAIL, "bob@example.com", TOKEN):
            assert raw not in text


def test_a_wrong_sensitive_pattern_is_a_plan_error_naming_the_field() -> None:
    text = """\
version: 1
upstreams:
  legacy: {url: "http://legacy.test"}
  products: {url: "http://products.test"}
legacy: legacy
endpoints:
  - route: "GET /api/products/{id}"
    phase: 3
    service: products
    parity: {sensitive: [email]}
"""
    with pytest.raises(PlanError) as info:
        parse_plan(text, "plan.yaml")
    (problem,) = [str(p) for p in info.value.problems]
    assert problem.startswith("plan.yaml:10: endpoints[0].parity.sensitive")
    assert "'email' must be empty or start with '/'" in problem


def test_the_key_comes_from_the_setting_else_one_file_per_stack(tmp_path: Path) -> None:
    configured = RedactionSettings(STRANGLER_REDACTION_KEY="s3t", STRANGLER_VAR_DIR=tmp_path)
    assert redaction_key(configured) == b"s3t"
    assert not (tmp_path / KEY_FILE).exists()
    stack = RedactionSettings(STRANGLER_VAR_DIR=tmp_path / "var")
    first = redaction_key(stack)
    assert redaction_key(stack) == first and len(first) == 32  # every process agrees
    key_file = tmp_path / "var" / KEY_FILE
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_a_damaged_key_file_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("not hex")
    with pytest.raises(ValueError, match="STRANGLER_REDACTION_KEY"):
        redaction_key(RedactionSettings(STRANGLER_VAR_DIR=tmp_path))
