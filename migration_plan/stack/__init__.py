"""The whole stack on one machine: specs (pure), preparation, and a process supervisor (edge)."""

from migration_plan.stack.components import ComponentSpec
from migration_plan.stack.ports import PortAssignment, StackConfigError, assign_ports
from migration_plan.stack.prepare import Step, preparation
from migration_plan.stack.wiring import Stack, build_stack, upstream_components

__all__ = [
    "ComponentSpec",
    "PortAssignment",
    "Stack",
    "StackConfigError",
    "Step",
    "assign_ports",
    "build_stack",
    "preparation",
    "upstream_components",
]
