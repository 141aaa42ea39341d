"""The restart policy (pure): backoff doubling to a cap, reset by a stable run, a loop limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from migration_plan.stack import state
from migration_plan.stack.display import crash_message, event_message
from migration_plan.stack.ports import StackConfigError
from migration_plan.stack.restarts import (
    CrashHistory,
    GiveUp,
    Restart,
    RestartPolicy,
    describe_exit,
)
from migration_plan.stack.settings import RestartSettings
from migration_plan.stack.supervisor import Crashed, Health, Recovered, Restarted

pytestmark = pytest.mark.unit


def test_the_delay_doubles_from_half_a_second_up_to_the_thirty_second_cap() -> None:
    policy = RestartPolicy()
    assert [policy.delay(n) for n in range(1, 10)] == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]


def test_a_very_long_streak_stays_at_the_cap_without_overflowing() -> None:
    assert RestartPolicy(base_seconds=0.5, max_seconds=30).delay(100_000) == 30


def test_each_crash_of_a_streak_waits_longer() -> None:
    history = CrashHistory(RestartPolicy(limit=10, window_seconds=1000))
    decisions = [history.after_crash(now=t, uptime=1) for t in (0, 2, 5, 10)]
    assert decisions == [Restart(1, 0.5), Restart(2, 1), Restart(3, 2), Restart(4, 4)]
    assert history.total == 4


def test_a_run_longer_than_the_stable_time_starts_the_backoff_over() -> None:
    history = CrashHistory(RestartPolicy(stable_seconds=60, limit=10, window_seconds=1000))
    history.after_crash(now=0, uptime=1)
    history.after_crash(now=2, uptime=1)
    assert history.after_crash(now=100, uptime=60) == Restart(1, 0.5)
    assert history.total == 3


def test_one_crash_more_than_the_limit_within_the_window_gives_up() -> None:
    history = CrashHistory(RestartPolicy(limit=5, window_seconds=60))
    decisions = [history.after_crash(now=t, uptime=0.1) for t in range(6)]
    assert all(isinstance(d, Restart) for d in decisions[:5])
    assert decisions[5] == GiveUp(restarts=5, window_seconds=60)


def test_restarts_older_than_the_window_do_not_count_towards_the_limit() -> None:
    history = CrashHistory(RestartPolicy(limit=2, window_seconds=10))
    history.after_crash(now=0, uptime=1)
    history.after_crash(now=5, uptime=1)
    assert isinstance(history.after_crash(now=12, uptime=1), Restart)  # the one at 0 has aged out
    assert isinstance(history.after_crash(now=13, uptime=1), GiveUp)


def test_a_limit_of_zero_gives_up_at_the_first_crash() -> None:
    assert isinstance(CrashHistory(RestartPolicy(limit=0)).after_crash(now=0, uptime=99), GiveUp)


def test_an_exit_is_described_by_its_code_or_its_signal() -> None:
    assert describe_exit(3) == "code 3"
    assert describe_exit(-9) == "signal SIGKILL"
    assert describe_exit(-200) == "signal 200"


def test_the_settings_default_to_the_policy_and_read_strangler_restart_variables() -> None:
    assert RestartSettings.from_env({}).policy() == RestartPolicy()
    policy = RestartSettings.from_env(
        {
            "STRANGLER_RESTART_BASE_SECONDS": "0.1",
            "STRANGLER_RESTART_MAX_SECONDS": "2",
            "STRANGLER_RESTART_STABLE_SECONDS": "5",
            "STRANGLER_RESTART_LIMIT": "3",
            "STRANGLER_RESTART_WINDOW_SECONDS": "20",
            "ROUTER_PORT": "9000",
        }
    ).policy()
    assert policy == RestartPolicy(0.1, 2, 5, 3, 20)


def test_a_cap_below_the_base_is_the_base() -> None:
    settings = {"STRANGLER_RESTART_BASE_SECONDS": "4", "STRANGLER_RESTART_MAX_SECONDS": "1"}
    assert RestartSettings.from_env(settings).policy().delay(3) == 4


def test_a_bad_setting_is_refused_naming_the_variable_and_its_value() -> None:
    with pytest.raises(StackConfigError, match="STRANGLER_RESTART_LIMIT='-1'"):
        RestartSettings.from_env({"STRANGLER_RESTART_LIMIT": "-1"})
    with pytest.raises(StackConfigError, match="STRANGLER_RESTART_BASE_SECONDS='soon'"):
        RestartSettings.from_env({"STRANGLER_RESTART_BASE_SECONDS": "soon"})


def crashed(decision: Restart | GiveUp) -> Crashed:
    return Crashed("orders", "signal SIGKILL", 12.34, decision, "", Path("orders.log"))


def test_a_crash_message_names_the_exit_the_uptime_and_what_happens_next() -> None:
    assert crash_message(crashed(Restart(2, 1.0))) == (
        "orders exited unexpectedly with signal SIGKILL after 12.3s; "
        "restarting it in 1s (attempt 2)"
    )
    assert crash_message(crashed(GiveUp(5, 60))) == (
        "orders exited unexpectedly with signal SIGKILL after 12.3s; "
        "giving up on it: 5 restarts within 60s already (STRANGLER_RESTART_LIMIT)"
    )


def test_a_restart_and_a_recovery_are_one_line_each() -> None:
    restarted = Restarted("orders", 1, 4242, "http://127.0.0.1:8004")
    assert event_message(restarted) == (
        "orders restarted (attempt 1, pid 4242) on http://127.0.0.1:8004"
    )
    assert event_message(Recovered("orders", 1, 1.84)) == (
        "orders is ready again (attempt 1, 1.8s after the crash)"
    )


def test_the_stack_record_carries_each_components_status_restarts_and_current_pid() -> None:
    record = {"pid": 1, "components": {"router": {"port": 8000, "pid": 10}, "orders": {"pid": 11}}}
    health = {
        "router": Health("running", 10, 0, None),
        "orders": Health("starting", 12, 1, "signal SIGKILL"),
    }
    updated = state.with_health(record, health)
    assert updated["components"] == {
        "router": {"port": 8000, "pid": 10, "status": "running", "restarts": 0, "last_exit": None},
        "orders": {"pid": 12, "status": "starting", "restarts": 1, "last_exit": "signal SIGKILL"},
    }
    assert record["components"]["orders"] == {"pid": 11}  # pure: the input is left alone
