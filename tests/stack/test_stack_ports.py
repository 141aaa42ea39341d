"""Port assignment: ROUTER_PORT moves the whole stack, one variable moves one component."""

from __future__ import annotations

import socket

import pytest

from migration_plan.stack.ports import (
    PortAssignment,
    StackConfigError,
    assign_ports,
    busy_port_message,
    check_ports_free,
)


def ports_of(environ: dict[str, str], router_port: int | None = None) -> dict[str, int]:
    return {name: a.port for name, a in assign_ports(environ, router_port).items()}


@pytest.mark.unit
def test_the_router_is_on_8000_and_the_others_follow_it_by_default() -> None:
    assert ports_of({}) == {
        "router": 8000,
        "monolith": 8001,
        "auth": 8002,
        "products": 8003,
        "orders": 8004,
        "relay": 8005,
        "sync": 8006,
        "inventory": 8007,
        "notifications": 8008,
        "analytics": 8009,
    }


@pytest.mark.unit
def test_router_port_moves_the_whole_stack() -> None:
    assert ports_of({"ROUTER_PORT": "9000"}) == {
        "router": 9000,
        "monolith": 9001,
        "auth": 9002,
        "products": 9003,
        "orders": 9004,
        "relay": 9005,
        "sync": 9006,
        "inventory": 9007,
        "notifications": 9008,
        "analytics": 9009,
    }


@pytest.mark.unit
def test_the_router_port_option_wins_over_the_variable() -> None:
    assert ports_of({"ROUTER_PORT": "9000"}, router_port=7000)["orders"] == 7004


@pytest.mark.unit
def test_a_component_variable_moves_that_component_alone() -> None:
    ports = ports_of({"ROUTER_PORT": "9000", "AUTH_PORT": "9100"})
    assert ports["auth"] == 9100
    assert ports["products"] == 9003


@pytest.mark.unit
def test_each_assignment_names_the_variable_that_moves_it() -> None:
    variables = {n: a.variable for n, a in assign_ports({}).items()}
    assert variables == {
        "router": "ROUTER_PORT",
        "monolith": "MONOLITH_PORT",
        "auth": "AUTH_PORT",
        "products": "PRODUCTS_PORT",
        "orders": "ORDERS_PORT",
        "relay": "RELAY_METRICS_PORT",
        "sync": "SYNC_METRICS_PORT",
        "inventory": "INVENTORY_METRICS_PORT",
        "notifications": "NOTIFICATIONS_METRICS_PORT",
        "analytics": "ANALYTICS_METRICS_PORT",
    }


@pytest.mark.unit
@pytest.mark.parametrize("value", ["http", "0", "70000", "-1"])
def test_a_malformed_port_names_its_variable(value: str) -> None:
    with pytest.raises(StackConfigError, match=f"ROUTER_PORT={value!r} is not a port"):
        assign_ports({"ROUTER_PORT": value})


@pytest.mark.unit
def test_a_router_port_too_high_for_the_others_says_what_to_lower() -> None:
    with pytest.raises(StackConfigError, match="auth would listen on 65536.*lower ROUTER_PORT"):
        assign_ports({"ROUTER_PORT": "65534"})


@pytest.mark.unit
def test_two_components_on_one_port_are_refused_naming_both_variables() -> None:
    with pytest.raises(StackConfigError, match="monolith and auth.*8001.*AUTH_PORT.*MONOLITH_PORT"):
        assign_ports({"AUTH_PORT": "8001"})


@pytest.mark.unit
def test_the_busy_port_message_names_the_port_and_the_variables_to_change() -> None:
    message = busy_port_message(PortAssignment("products", 8003, "PRODUCTS_PORT"))
    assert "port 8003 (products) is already in use" in message
    assert "PRODUCTS_PORT" in message
    assert "ROUTER_PORT" in message


@pytest.mark.integration
def test_a_listening_socket_is_reported_as_busy() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(StackConfigError, match=f"port {port} \\(auth\\)"):
            check_ports_free([PortAssignment("auth", port, "AUTH_PORT")])
    check_ports_free([PortAssignment("auth", port, "AUTH_PORT")])


@pytest.mark.unit
def test_a_busy_router_port_points_at_moving_the_whole_stack() -> None:
    message = busy_port_message(PortAssignment("router", 8000, "ROUTER_PORT"))
    assert message.count("ROUTER_PORT") == 1
    assert "move the whole stack" in message
