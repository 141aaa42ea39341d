"""`strangler parity baseline` against a real monolith server (one socket, the URL twice)."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner
from werkzeug.serving import make_server

from migration_plan.cli import app as cli
from migration_plan.parity import compare_responses
from migration_plan.parity.inprocess import FAST_HASH
from migration_plan.parity.response import ObservedResponse
from migration_plan.plan import load_plan

pytestmark = pytest.mark.integration

PLAN = Path(__file__).resolve().parents[2] / "migration_plan" / "plan.yaml"
LOGIN = "POST /api/auth/login"
NOTE = "    # the team's own note: keep this comment\n"


@pytest.fixture(scope="module")
def monolith() -> Iterator[str]:
    from legacy_monolith import create_app
    from legacy_monolith.migrate import upgrade
    from legacy_monolith.seed import seed

    directory = Path(tempfile.mkdtemp(prefix="baseline-"))
    url = f"sqlite:///{directory}/monolith.db"
    upgrade(url)
    seed(url, password_hash_method=FAST_HASH)
    app = create_app({"DATABASE_URL": url, "PASSWORD_HASH_METHOD": FAST_HASH})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    thread.join()


def plan_without_login_rule(tmp_path: Path) -> Path:
    """The worked example's plan, its login `ignore: [/token]` taken out, a comment added."""
    text = PLAN.read_text().replace("    parity: {ignore: [/token]}\n", NOTE, 1)
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    return path


def baseline(monolith: str, plan: Path, *extra: str) -> tuple[int, str]:
    done = CliRunner().invoke(
        cli, ["parity", "baseline", "--legacy", monolith, "--plan", str(plan), *extra],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    return done.exit_code, done.output


def test_baseline_proposes_the_minted_token_and_nothing_for_stable_fields(
    monolith: str, tmp_path: Path
) -> None:
    path = plan_without_login_rule(tmp_path)
    code, output = baseline(monolith, path)
    assert code == 0, output
    plan = load_plan(path)
    proposed = {e.route: [(r.rule, r.at) for r in e.parity_proposed] for e in plan.endpoints}
    assert proposed.pop(LOGIN) == [("ignore", "/token")]
    assert all(not rules for rules in proposed.values()), proposed  # ids, created_at: mapped
    login = plan.endpoint(LOGIN)
    assert login is not None and "values minted per call" in login.parity_proposed[0].reason
    assert "propose ignore /token: differs between two legacy answers in" in output
    assert NOTE in path.read_text()  # the comments the team wrote are still there
    # Proposed is not applied: the comparison still sees the token differ.
    a, b = (ObservedResponse(200, {}, f'{{"token": "{t}"}}'.encode()) for t in ("x", "y"))
    assert compare_responses(a, b, login.parity).differences


def test_dry_run_prints_the_proposals_and_writes_nothing(monolith: str, tmp_path: Path) -> None:
    path = plan_without_login_rule(tmp_path)
    before = path.read_text()
    code, output = baseline(monolith, path, "--endpoint", LOGIN, "--dry-run", "--runs", "2")
    assert code == 0, output
    assert "propose ignore /token" in output and "plan file is unchanged" in output
    assert path.read_text() == before


def test_a_plan_that_cannot_take_the_proposals_is_left_unchanged(
    monolith: str, tmp_path: Path
) -> None:
    path = plan_without_login_rule(tmp_path)
    text = path.read_text().replace(
        f'  - route: "{LOGIN}"\n    phase: 2\n    service: auth\n    mode: legacy\n'
        f"    dry_run: true\n{NOTE}",
        f'  - {{route: "{LOGIN}", phase: 2, service: auth, mode: legacy, dry_run: true}}\n',
    )
    assert text != path.read_text()
    path.write_text(text)
    code, output = baseline(monolith, path, "--endpoint", LOGIN)
    assert code == 2, output
    assert "left unchanged" in output and "block style" in output
    assert path.read_text() == text
