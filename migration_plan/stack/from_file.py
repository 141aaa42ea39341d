"""Build the stack's specs from a stack file: ports, placeholders, plan upstreams (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from migration_plan.plan import Plan, env_var_for
from migration_plan.stack.components import HOST, ComponentSpec, PrepareStage, Step
from migration_plan.stack.ports import (
    PortAssignment,
    StackConfigError,
    read_port,
    refuse_duplicates,
)
from migration_plan.stack.stackfile import ARGV_ONLY, PLACEHOLDER, Component, StackFile
from migration_plan.stack.wiring import Stack


@dataclass(frozen=True, slots=True)
class Inputs:
    """What the stack file's placeholders are filled with, besides ports and variables."""

    environ: Mapping[str, str]
    var_dir: Path
    python: str
    strangler: tuple[str, ...]
    plan_path: Path
    admin_token: str
    router_port: int | None = None  # `up --router-port`, which wins over the base variable


def assign_file_ports(
    stack: StackFile, environ: Mapping[str, str], router_port: int | None, name: str
) -> dict[str, PortAssignment]:
    """Each component's port: absolute, or base + offset unless its variable is set."""
    if router_port is not None and not 1 <= router_port <= 65535:
        raise StackConfigError(f"--router-port {router_port} is not a port number (1..65535)")
    variable = stack.base_port.variable
    base = router_port or read_port(environ, variable) or stack.base_port.default
    ports: dict[str, PortAssignment] = {}
    for index, component in enumerate(stack.components):
        spec = component.port
        moved_by = f"components[{index}].port in {name}"
        if isinstance(spec, int):
            ports[component.name] = PortAssignment(component.name, spec, moved_by)
            continue
        own = spec.variable
        if own == variable:  # the base's own variable: `--router-port` must win over it
            port = base + spec.offset
        else:
            port = (read_port(environ, own) if own else None) or base + spec.offset
        if port > 65535:
            raise StackConfigError(
                f"{component.name} would listen on {port} ({variable} {base} + {spec.offset}); "
                f"lower {variable} or set {own or moved_by}"
            )
        ports[component.name] = PortAssignment(component.name, port, own or moved_by)
    front = ports[stack.front]
    refuse_duplicates([front, *(p for p in ports.values() if p is not front)])
    return ports


def map_upstreams(plan: Plan, legacy: str, services: list[str]) -> dict[str, str]:
    """Plan upstream name -> component: the legacy upstream is `legacy`; a service upstream is
    named after its component (`products`, `products_service`, `products-svc`, ...)."""
    mapping: dict[str, str] = {}
    for upstream in plan.upstreams:
        if upstream == plan.legacy:
            mapping[upstream] = legacy
            continue
        stem = re.split(r"[^a-z0-9]", upstream.lower(), maxsplit=1)[0]
        if stem not in services:
            known = ", ".join(sorted(services))
            raise StackConfigError(
                f"the plan's upstream {upstream!r} is none of the stack's services ({known}); "
                "the router would not know where it runs"
            )
        mapping[upstream] = stem
    return mapping


def plan_upstream_owner(stack: StackFile) -> Component | None:
    """The component that is told where the plan's upstreams run (the router), if any."""
    return next((c for c in stack.components if c.plan_upstreams is not None), None)


class _Filler:
    def __init__(
        self, stack: StackFile, inputs: Inputs, ports: Mapping[str, PortAssignment]
    ) -> None:
        self.inputs = inputs
        self.ports = {name: p.port for name, p in ports.items()}
        self.simple = {
            "python": inputs.python,
            "host": HOST,
            "var_dir": str(inputs.var_dir),
            "plan": str(inputs.plan_path),
            "admin_token": inputs.admin_token,
        }
        self.variables: dict[str, str] = {}
        for key, variable in stack.variables.items():  # defaults see only the simple ones
            given = inputs.environ.get(variable.env)
            self.variables[key] = given or self.fill(variable.default, None)

    def fill(self, value: str, own: str | None) -> str:
        def one(match: re.Match[str]) -> str:
            token, kind, argument = match.group(0), match.group(1), match.group(2)
            if token in ("{{", "}}"):
                return token[0]
            if argument is None and kind in ("port", "url") and own is not None:
                argument = own
            if kind == "port" and argument is not None:
                return str(self.ports[argument])
            if kind == "url" and argument is not None:
                return f"http://{HOST}:{self.ports[argument]}"
            if kind == "var" and argument is not None:
                return self.variables[argument]
            return self.simple[kind]  # the loader refused anything else

        return PLACEHOLDER.sub(one, value)

    def argv(self, command: list[str], own: str | None) -> tuple[str, ...]:
        out: list[str] = []
        for item in command:
            if item == "{" + ARGV_ONLY + "}":
                out.extend(self.inputs.strangler)
            else:
                out.append(self.fill(item, own))
        return tuple(out)

    def env(self, *layers: Mapping[str, str], own: str | None) -> dict[str, str]:
        merged: dict[str, str] = {}
        for layer in layers:
            merged.update({k: self.fill(v, own) for k, v in layer.items()})
        return merged


def build_from_file(
    stack: StackFile,
    inputs: Inputs,
    *,
    name: str,
    upstreams: Mapping[str, str] | None = None,
) -> Stack:
    """Pure: the same file and inputs always give the same specs. `upstreams` (plan upstream ->
    component, from `map_upstreams`) feeds the `plan_upstreams` component; None: no plan read."""
    ports = assign_file_ports(stack, inputs.environ, inputs.router_port, name)
    filler = _Filler(stack, inputs, ports)
    components = []
    for component in stack.components:
        env = filler.env(stack.env, component.env, own=component.name)
        if component.plan_upstreams is not None and upstreams:
            # A `UPSTREAM_<NAME>_URL` the caller set wins: the README says the router reads it.
            env.update(
                {
                    env_var_for(u): inputs.environ.get(env_var_for(u))
                    or f"http://{HOST}:{ports[target].port}"
                    for u, target in upstreams.items()
                }
            )
        components.append(
            ComponentSpec(
                name=component.name,
                argv=filler.argv(component.command, component.name),
                env=env,
                port=ports[component.name].port,
                port_variable=ports[component.name].variable,
                ready_path=component.ready,
                module=component.module or "",
            )
        )
    prepare = tuple(
        PrepareStage(
            steps=tuple(
                Step(
                    step.name,
                    filler.argv(step.command, None),
                    filler.env(stack.env, step.env, own=None),
                )
                for step in stage.steps
            ),
            when=stage.when,
        )
        for stage in stack.prepare
    )
    modules = tuple(s.module for stage in stack.prepare for s in stage.steps if s.module)
    return Stack(
        components=tuple(components),
        var_dir=inputs.var_dir,
        admin_token=inputs.admin_token,
        front=stack.front,
        admin_path=stack.admin_path,
        try_path=stack.try_path,
        vital=frozenset(c.name for c in stack.components if c.vital),
        prepare=prepare,
        modules=modules,
    )
