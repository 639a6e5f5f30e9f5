"""Who is calling: the one typed identity that entry points build and use cases receive.

The API builds it from the credential API Gateway verified (a Cognito user's groups, or an API
key mapped to a role set); automatic actions (an S3-triggered variance check, a timer) act as
`SYSTEM`. Use cases record `Caller.name` wherever they record who did something.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    VIEWER = "viewer"  # read
    PLANNER = "planner"  # extract, start, cancel, re-forecast, uploads
    APPROVER = "approver"  # manufacturing and markdown decisions


class Caller(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=256)  # user name, API key id, or "system"
    kind: Literal["user", "api_key", "system"]
    roles: frozenset[Role] = frozenset()

    def has(self, role: Role) -> bool:
        return role in self.roles


SYSTEM = Caller(name="system", kind="system", roles=frozenset(Role))
