"""Scenario files: YAML that builds exactly the Scenario objects Python would, and bad files
refused with the file, line, scenario, step and field named."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from migration_plan.parity.contract import SCENARIOS
from migration_plan.parity.contract.steps import ADMIN, call, created, login, new_product, new_user
from migration_plan.parity.scenario import Capture, Step
from migration_plan.parity.scenario_files import (
    DEFAULT_FOLDER,
    ScenarioFileError,
    dump_scenarios,
    load_scenario_folder,
    parse_scenario_texts,
    plan_scenarios,
    scenario_folder,
)
from migration_plan.plan import PlanError, parse_plan

STEP = "scenarios:\n  - name: x\n    steps:\n"
TEMPLATES = (DEFAULT_FOLDER / "00-templates.yaml").read_text()


def load(text: str, name: str = "s.yaml") -> tuple:  # type: ignore[type-arg]
    return parse_scenario_texts([("00-templates.yaml", TEMPLATES), (name, text)])


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioFileError) as caught:
        load(text)
    return [str(p) for p in caught.value.problems]


# sha256 of repr() of the 24 scenarios (321 steps) the Python modules of contract/ built, checked
# object for object against these files before the modules were deleted (git log 4223525).
# repr, not ==: it also pins dict order (query order, JSON key order) and raw bodies. A
# deliberate change to a scenario file changes it: say so in the commit and update it.
CONVERTED = "b7df5a9445be1227728e98711a9bf027fd9b0fbf77b95863f2c860e54106f184"


def test_the_worked_example_files_build_the_scenarios_the_python_built() -> None:
    from_files = load_scenario_folder(DEFAULT_FOLDER)
    assert from_files == SCENARIOS
    assert (len(from_files), sum(len(s.steps) for s in from_files)) == (24, 321)
    assert hashlib.sha256(repr(from_files).encode()).hexdigest() == CONVERTED


def test_templates_say_what_the_python_helpers_say() -> None:
    (scenario,) = load(
        """
scenarios:
  - name: helpers
    steps:
      - use: login_admin
      - {use: new_product, with: {name: bolt, stock: 9, price: "0.99"}}
      - {use: new_user, with: {prefix: fitter, as: other}}
      - endpoint: POST /api/orders
        json: {items: [{product_id: "{bolt_id}", quantity: 9}]}
        auth: other
        creates: {name: order, stamps: [created_at]}
        expect: 201
"""
    )
    assert scenario.steps == (
        login(ADMIN, "admin"),
        new_product("bolt", 9, "0.99"),
        *new_user("fitter", "other"),
        call(
            "POST /api/orders",
            json={"items": [{"product_id": "{bolt_id}", "quantity": 9}]},
            auth="other",
            captures=created("order", "created_at"),
            expect=201,
        ),
    )


def test_a_step_spells_out_every_field_of_step() -> None:
    (scenario,) = load(
        """
scenarios:
  - name: everything
    description: one of each
    steps:
      - {use: login_alice}
      - endpoint: "GET /api/products/{id}"
        method: DELETE
        path: /api/products/1
        query: {page: "2"}
        headers: {X-Thing: "{token}"}
        auth: token
        captures: [{name: x, pointer: /a/0, map_id: true, fields: [id, x], scope: [/api]}]
        expect: 405
        compare_headers: [allow]
        name: a wrong method
        templated: false
      - endpoint: POST /api/orders
        content: ['{"a": [', {text: "1,", times: 3}, {base64: "MQ=="}, "]}"]
"""
    )
    assert scenario.description == "one of each"
    assert scenario.steps[1] == Step(
        "GET /api/products/{id}",
        "DELETE",
        "/api/products/1",
        query={"page": "2"},
        headers={"X-Thing": "{token}"},
        auth="token",
        captures=(Capture("x", "/a/0", True, ("id", "x"), ("/api",)),),
        expect=405,
        compare_headers=("allow",),
        name="a wrong method",
        templated=False,
    )
    assert scenario.steps[2].content == b'{"a": [1,1,1,1]}'


def test_a_hook_makes_what_a_file_cannot_say() -> None:
    (scenario,) = load(
        """
scenarios:
  - name: hooked
    steps:
      - {use: login_admin}
      - hook: migration_plan.parity.contract.steps:new_product
        with: {name: bulk, stock: 3}
"""
    )
    assert scenario.steps[1] == new_product("bulk", 3)


def test_a_bad_field_names_file_line_scenario_step_and_field() -> None:
    found = problems(
        """scenarios:
  - name: bad
    steps:
      - {use: login_alice}
      - endpoint: GET /api/products
        query: {page: 2}
        expect: 200
"""
    )
    assert found == ["s.yaml:6: scenario 'bad': step 1: query.page: 2 should be a valid string"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            STEP + '      - {endpoint: "GET /api/nope/{id}", expect: 200}\n',
            "s.yaml:4: scenario 'x': step 0: path: is required: 'GET /api/nope/{id}' has "
            "parameters",
        ),
        (
            "scenarios:\n  - name: x\n    steps:\n      - {endpoint: FETCH /api, expect: 200}\n",
            "s.yaml:4: scenario 'x': step 0: endpoint: ",
        ),
        (
            "scenarios:\n  - name: x\n    steps:\n      - {endpoint: GET /api/auth/me, expct: 1}\n",
            "s.yaml:4: scenario 'x': step 0: expct: unknown key",
        ),
        (
            "scenarios:\n  - name: x\n    steps:\n      - {use: login_bob}\n",
            "s.yaml:4: scenario 'x': step 0: use: no template 'login_bob' (templates: login,",
        ),
        (
            STEP + "      - {use: new_user, with: {prefix: a, ass: b}}\n",
            "s.yaml:4: scenario 'x': step 0: with: ass: not a parameter of 'new_user' (prefix, as)",
        ),
        (
            "scenarios:\n  - name: x\n    steps:\n      - {use: new_product, with: {name: a}}\n",
            "s.yaml:4: scenario 'x': step 0: with: 'new_product' needs 'stock'",
        ),
        (
            "scenarios:\n  - name: x\n    steps:\n"
            "      - {endpoint: GET /api/auth/me, auth: token, expect: 200}\n",
            "s.yaml:4: scenario 'x': step 0: GET /api/auth/me: {token} is not captured by an "
            "earlier step (captured: run)",
        ),
        (
            "scenarios:\n  - name: x\n    steps:\n      - endpoint: GET /api/auth/me\n"
            "        expect: 200\n        expect: 401\n",
            "s.yaml:6: expect: duplicate key",
        ),
        ("scenarios:\n  - name: x\n    steps: [\n", "s.yaml:4: "),  # libyaml words it
        (
            "scenarios:\n  - name: x\n    steps:\n      - {hook: 'no.such.module:f'}\n",
            "s.yaml:4: scenario 'x': step 0: hook: no.such.module:f failed: ModuleNotFoundError",
        ),
    ],
)
def test_each_problem_is_located(text: str, expected: str) -> None:
    assert any(p.startswith(expected) for p in problems(text)), problems(text)


def test_a_problem_inside_a_template_names_the_template_and_its_use() -> None:
    found = problems(
        """templates:
  broken:
    params: {n: ~}
    steps:
      - {endpoint: GET /api/auth/me, expect: "${n}"}
scenarios:
  - name: x
    steps:
      - {use: broken, with: {n: "two hundred"}}
"""
    )
    assert found == [
        "s.yaml:5: scenario 'x': step 0: template broken step 0.expect: 'two hundred' should "
        "be a valid integer"
    ]


def test_two_scenarios_of_one_name_and_two_templates_of_one_name_are_refused() -> None:
    found = problems(
        """templates:
  login: {steps: [{endpoint: GET /api/auth/me}]}
scenarios:
  - {name: twice, steps: [{endpoint: GET /api/auth/me, expect: 401}]}
  - {name: twice, steps: [{endpoint: GET /api/auth/me, expect: 401}]}
"""
    )
    assert found[0].startswith("s.yaml:2: templates.login: template 'login' is defined again")
    assert found[1] == "s.yaml:5: scenario 'twice': name: is the name of another scenario too " \
        "(s.yaml:4)"  # fmt: skip


def test_the_plan_names_the_folder_relative_to_itself(tmp_path: Path) -> None:
    base = (DEFAULT_FOLDER.parent / "plan.yaml").read_text()
    assert scenario_folder(parse_plan(base), tmp_path / "plan.yaml") == DEFAULT_FOLDER
    plan = parse_plan(base + "parity: {scenarios: mine}\n")
    assert scenario_folder(plan, tmp_path / "plan.yaml") == tmp_path.resolve() / "mine"
    with pytest.raises(ScenarioFileError, match="no such folder"):
        plan_scenarios(plan, tmp_path / "plan.yaml")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "a.yaml").write_text(dump_scenarios(SCENARIOS[:2]))
    assert plan_scenarios(plan, tmp_path / "plan.yaml") == SCENARIOS[:2]
    with pytest.raises(PlanError, match="parity.scenarios: unknown key|parity.scenario: unknown"):
        parse_plan(base + "parity: {scenario: mine}\n")


def test_a_dumped_scenario_loads_back_as_itself() -> None:
    # (not the 1 MiB bodies: a pure-Python YAML round trip of those takes half a minute)
    small = tuple(s for s in SCENARIOS if all(len(t.content or b"") < 65536 for t in s.steps))
    assert len(small) == len(SCENARIOS) - 1
    assert parse_scenario_texts([("all.yaml", dump_scenarios(small))]) == small
