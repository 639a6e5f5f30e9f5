"""Who is calling: the one typed identity that entry points build and use cases receive.

The API builds it from the credential API Gateway verified (a Cognito user's groups, or an API
key mapped to a role set); automatic actions (an S3-triggered variance check, a timer) act as
`SYSTEM`. Use cases record `Caller.name` wherever they record who did something.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

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
        """Whether the caller may act as `role`. Reading comes with every role: a planner reads
        what they start, an approver what they decide; viewer alone reads only."""
        return role in self.roles or (role is Role.VIEWER and bool(self.roles))


SYSTEM = Caller(name="system", kind="system", roles=frozenset(Role))


AuthMode = Literal["cognito", "api_key"]


def caller_of(
    request_context: Mapping[str, Any], mode: AuthMode, api_key_roles: frozenset[Role]
) -> Caller | None:
    """The caller API Gateway verified, read from an event's `requestContext`; None when it
    carries no identity of the `mode` the stack runs in.

    - cognito: the REST API's Cognito authorizer puts the token's claims under
      `authorizer.claims`; the WebSocket's Lambda authorizer (whose context holds only flat
      values) puts the same claim names straight under `authorizer`. `cognito:groups` may
      arrive as a list or as one string ("planner,viewer", "[planner viewer]").
    - api_key: the REST API puts the key's id at `identity.apiKeyId`, the WebSocket
      authorizer at `authorizer.apiKeyId`; the key's roles are the stack's `api_key_roles`.

    Groups that name no role are ignored."""
    authorizer = request_context.get("authorizer") or {}
    if not isinstance(authorizer, Mapping):
        return None
    if mode == "api_key":
        identity = request_context.get("identity") or {}
        key_id = (identity.get("apiKeyId") if isinstance(identity, Mapping) else None) or (
            authorizer.get("apiKeyId")
        )
        if not isinstance(key_id, str) or not key_id:
            return None
        return Caller(name=key_id[:256], kind="api_key", roles=api_key_roles)
    claims = authorizer.get("claims", authorizer)
    if not isinstance(claims, Mapping):
        return None
    name = claims.get("cognito:username") or claims.get("username")
    if not isinstance(name, str) or not name:
        return None
    return Caller(name=name[:256], kind="user", roles=roles_of(claims.get("cognito:groups")))


def roles_of(groups: Any) -> frozenset[Role]:
    """The roles named by a `cognito:groups` claim in any of the forms it arrives in."""
    if isinstance(groups, str):
        names = groups.strip().strip("[]").replace(",", " ").split()
    elif isinstance(groups, list | tuple):
        names = [g for g in groups if isinstance(g, str)]
    else:
        names = []
    known = {role.value: role for role in Role}
    return frozenset(known[n.strip()] for n in names if n.strip() in known)


def parse_roles(text: str) -> frozenset[Role]:
    """A comma-separated role list ("viewer,planner"); ValueError names an unknown role."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in {r.value for r in Role}]
    if unknown:
        raise ValueError(f"unknown role(s) {', '.join(unknown)}; known: {', '.join(Role)}")
    return frozenset(Role(n) for n in names)
