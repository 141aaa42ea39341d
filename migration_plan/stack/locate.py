"""Find what the stack runs from this installation: the CLI, the plan, the component modules."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable, Mapping, MutableMapping
from pathlib import Path

import migration_plan

DEFAULT_PLAN = Path("migration_plan/plan.yaml")
DEFAULT_STACK = Path("migration_plan/stack.yaml")  # the worked example's, next to its plan


def strangler_argv(python: str = sys.executable) -> tuple[str, ...]:
    """The `strangler` console script next to this interpreter, or the same CLI through `-c`."""
    script = Path(python).parent / "strangler"
    if script.is_file():
        return (str(script),)
    return (python, "-c", "from migration_plan.cli import main; main()")


def resolve_plan(option: Path | None, environ: Mapping[str, str], cwd: Path) -> Path:
    """--plan, else ROUTER_PLAN, else migration_plan/plan.yaml here or in the installed package."""
    if option is not None:
        return (cwd / option).resolve()
    if environ.get("ROUTER_PLAN"):
        return (cwd / environ["ROUTER_PLAN"]).resolve()
    local = cwd / DEFAULT_PLAN
    if local.is_file():
        return local.resolve()
    return Path(migration_plan.__file__).resolve().parent / DEFAULT_PLAN.name


def resolve_stack(option: Path | None, environ: Mapping[str, str], cwd: Path) -> Path:
    """--stack, else STRANGLER_STACK, else migration_plan/stack.yaml here or in the package."""
    if option is not None:
        return (cwd / option).resolve()
    if environ.get("STRANGLER_STACK"):
        return (cwd / environ["STRANGLER_STACK"]).resolve()
    local = cwd / DEFAULT_STACK
    if local.is_file():
        return local.resolve()
    return Path(migration_plan.__file__).resolve().parent / DEFAULT_STACK.name


def missing_modules(modules: Iterable[str]) -> list[str]:
    """The modules that cannot be imported here, each with the reason."""
    missing = []
    for module in modules:
        try:
            found = importlib.util.find_spec(module) is not None
            reason = "not found"
        except ImportError as exc:
            found, reason = False, str(exc)
        if not found:
            missing.append(f"{module} ({reason})")
    return missing


# What marks a project's root, as `.git` marks a repository's: the stack's record or the plan.
ROOT_MARKERS = (Path("var/stack.json"), DEFAULT_PLAN)


def project_root(cwd: Path) -> Path | None:
    """The nearest of `cwd` and its parents that holds a root marker, or None."""
    for folder in (cwd, *cwd.parents):
        if any((folder / marker).is_file() for marker in ROOT_MARKERS):
            return folder
    return None


def anchor_defaults(environ: MutableMapping[str, str], cwd: Path) -> Path | None:
    """Point the relative defaults (`./var`, the plan, the parity results) at the project root
    found above `cwd`, so a command run from a subdirectory never starts a second state there.
    Explicit settings win; returns the root used, if it is not `cwd` itself."""
    root = project_root(cwd.resolve())
    if root is None or root == cwd.resolve():
        return None
    defaults = {
        "STRANGLER_VAR_DIR": root / "var",
        "ROUTER_PLAN": root / DEFAULT_PLAN,
        "PARITY_RESULTS_PATH": root / "var" / "parity" / "results.json",
    }
    for name, value in defaults.items():
        environ.setdefault(name, str(value))
    return root
