"""Python hooks a plan names as "module:function" (for what a file cannot say)."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

HOOK_PATTERN = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class HookError(ValueError):
    """A hook that is misspelt, cannot be imported, or is not callable; the message says which."""


def resolve_hook(spec: str) -> Callable[..., Any]:
    """The callable `spec` ("package.module:function") names."""
    if not HOOK_PATTERN.match(spec):
        raise HookError(f"{spec!r} must be 'package.module:function'")
    module_name, _, name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # any failure of the user's module is this plan's problem
        raise HookError(f"cannot import {module_name!r}: {type(error).__name__}: {error}") from None
    function: object = getattr(module, name, None)
    if not callable(function):
        raise HookError(f"{module_name!r} has no function {name!r}")
    return function
