"""Stack files: placeholders fill in, and a bad file is refused (exit 2) naming file, line and
field before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from migration_plan.cli import app
from migration_plan.stack.from_file import Inputs, build_from_file
from migration_plan.stack.stackfile import StackProblem, parse_stack_file
from migration_plan.stack.wiring import Stack

pytestmark = pytest.mark.unit

TINY = """\
version: 1
base_port: {variable: TINY_PORT, default: 9100}
front: web
env: {COMMON: "{var_dir}"}
variables:
  greeting: {env: GREETING, default: "hello from {host}"}
prepare:
  - steps:
      - name: touch
        command: ["{python}", -c, "open('{var_dir}/prepared', 'w').close()"]
components:
  - name: web
    port: {offset: 0}
    command: ["{python}", -m, http.server, "{port}", --bind, "{host}"]
    ready: /
  - name: api
    port: {offset: 1, variable: API_PORT}
    command: ["{strangler}", serve, --port, "{port}", "--json={{}}"]
    ready: /health
    env:
      WEB_URL: "{url:web}"
      SELF: "{url}"
      SAY: "{var:greeting}"
  - name: fixed
    port: 9999
    command: [sleep, "1000"]
    ready: /
"""


def build(
    text: str, environ: dict[str, str] | None = None, router_port: int | None = None
) -> Stack:
    inputs = Inputs(
        environ or {}, Path("/v"), "/py", ("st", "-x"), Path("/plan.yaml"), "tok", router_port
    )
    return build_from_file(parse_stack_file(text, "tiny.yaml"), inputs, name="tiny.yaml")


def test_placeholders_ports_and_environment_fill_in() -> None:
    stack = build(TINY)
    web, api, fixed = stack.components
    assert web.argv == ("/py", "-m", "http.server", "9100", "--bind", "127.0.0.1")
    assert web.ready_url == "http://127.0.0.1:9100/"
    assert api.argv == ("st", "-x", "serve", "--port", "9101", "--json={}")
    assert api.env == {
        "COMMON": "/v",
        "WEB_URL": "http://127.0.0.1:9100",
        "SELF": "http://127.0.0.1:9101",
        "SAY": "hello from 127.0.0.1",
    }
    assert fixed.port == 9999
    assert stack.prepare[0].steps[0].argv[-1] == "open('/v/prepared', 'w').close()"
    assert stack.router.name == "web" and stack.admin_url is None and stack.vital == frozenset()


def test_the_base_variable_the_option_and_a_components_variable_move_ports() -> None:
    assert build(TINY, {"TINY_PORT": "9200"}).component("api").port == 9201
    assert build(TINY, {"TINY_PORT": "9200"}, router_port=9300).component("api").port == 9301
    moved = build(TINY, {"API_PORT": "9500", "GREETING": "hi"}).component("api")
    assert moved.port == 9500 and moved.env["SAY"] == "hi"


@pytest.mark.parametrize(
    ("broken", "where"),
    [
        (
            TINY.replace("    ready: /health\n", "    ready: /health\n    colour: red\n"),
            ":20: components[1].colour: unknown key (allowed: name, command, port, ready,",
        ),
        (TINY.replace("    ready: /health\n", ""), ":16: components[1].ready: is required"),
        (
            TINY.replace('"{url:web}"', '"{url:nowhere}"'),
            ":21: components[1].env.WEB_URL: {url:nowhere} names no component",
        ),
        (
            TINY.replace('"{var:greeting}"', '"{var:nope}"'),
            ":23: components[1].env.SAY: {var:nope} names no variable",
        ),
        (
            TINY.replace('--bind, "{host}"', '--bind, "{hots}"'),
            ":14: components[0].command[5]: unknown placeholder {hots}",
        ),
        (TINY.replace("name: fixed", "name: web"), ":24: components[2].name: 'web' is named twice"),
        (TINY.replace("port: 9999", "port: 99999"), ":25: components[2].port: "),
        (TINY.replace("front: web", "front: www"), ":3: front: names no component"),
        (
            TINY.replace("port: {offset: 0}", "port: {offset: 0, nope: 1}"),
            ":13: components[0].port.nope: unknown key (allowed: offset, variable)",
        ),
        (
            TINY.replace('"{port}", --bind', '"{port:api}}", --bind'),
            ":14: components[0].command[3]: a lone '}'",
        ),
        (TINY.replace('"1000"]', '"1000"'), "tiny.yaml:27: invalid YAML"),
        (TINY.replace("version: 1", "version: 2"), ":1: version: "),
    ],
)
def test_a_bad_file_names_file_line_and_field(broken: str, where: str) -> None:
    with pytest.raises(StackProblem) as problem:
        parse_stack_file(broken, "tiny.yaml")
    assert where in str(problem.value), str(problem.value)
    assert str(problem.value).startswith("tiny.yaml")


def test_a_duplicate_key_is_refused_at_its_line() -> None:
    with pytest.raises(StackProblem, match=r"tiny.yaml:3: front: duplicate key"):
        parse_stack_file("version: 1\nfront: a\nfront: b\ncomponents: []\n", "tiny.yaml")


def invoke_up(tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {"STRANGLER_VAR_DIR": str(tmp_path / "var"), "STRANGLER_STACK": None}
    result = CliRunner().invoke(app, ["up", *args], env=env)  # type: ignore[arg-type]
    return result.exit_code, result.output


def test_up_refuses_a_bad_stack_file_with_exit_2_and_starts_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "var" / "prepared"
    bad = tmp_path / "stack.yaml"
    bad.write_text(
        TINY.replace("'{var_dir}/prepared'", f"'{marker}'").replace(
            "ready: /health", "ready: health"
        )
    )
    code, output = invoke_up(tmp_path, "--stack", str(bad))
    assert code == 2, output
    flat = "".join(output.split())
    assert f"{bad}:19:components[1].ready:mustbeapathstartingwith/".replace(" ", "") in flat, output
    assert "stack file is not usable" in " ".join(output.split())
    assert not marker.exists()
    assert not (tmp_path / "var" / "stack.json").exists()


def test_up_refuses_a_missing_stack_file_with_exit_2(tmp_path: Path) -> None:
    code, output = invoke_up(tmp_path, "--stack", str(tmp_path / "nowhere.yaml"))
    assert code == 2
    assert "nowhere.yaml: cannot read the stack file" in output.replace("\n", "")
