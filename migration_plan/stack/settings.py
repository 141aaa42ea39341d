"""How `strangler up` restarts a dead component, from `STRANGLER_RESTART_*` (one BaseSettings)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from migration_plan.stack.ports import StackConfigError
from migration_plan.stack.restarts import RestartPolicy

PREFIX = "STRANGLER_RESTART_"


class RestartSettings(BaseSettings):
    """The restart policy's knobs; the defaults are RestartPolicy's."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore")

    base_seconds: float = Field(default=0.5, gt=0)
    max_seconds: float = Field(default=30.0, gt=0)
    stable_seconds: float = Field(default=60.0, ge=0)
    limit: int = Field(default=5, ge=0)
    window_seconds: float = Field(default=60.0, gt=0)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> RestartSettings:
        """Read only `environ` (not the process's), so `up` and its tests agree on the source."""
        known = {
            k.removeprefix(PREFIX).lower(): v for k, v in environ.items() if k.startswith(PREFIX)
        }
        known = {k: v for k, v in known.items() if k in cls.model_fields}
        try:
            return cls.model_validate(known)
        except ValidationError as exc:
            error = exc.errors()[0]
            variable = PREFIX + str(error["loc"][0]).upper()
            raise StackConfigError(f"{variable}={environ.get(variable)!r}: {error['msg']}") from exc

    def policy(self) -> RestartPolicy:
        return RestartPolicy(
            base_seconds=self.base_seconds,
            max_seconds=max(self.max_seconds, self.base_seconds),
            stable_seconds=self.stable_seconds,
            limit=self.limit,
            window_seconds=self.window_seconds,
        )
