"""Cognito mode of the local runtime: the user pool, app client and groups of template.yaml,
created in moto's Cognito, and local users who sign in to it.

moto signs RS256 tokens (id and access) that carry `cognito:username` and `cognito:groups`,
and publishes the pool's JWKS at `<endpoint>/<pool id>/.well-known/jwks.json`; the local edge
verifies tokens against that JWKS with the issuer AWS would write. The pool lives as long as
the `serve` that made it (moto keeps nothing across a restart): `serve` writes where it is
(POOL_FILE in the data dir), and `fashion-forecast local-user add` reads that to add a user
and print a token.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3

from fashion_forecast_local.template import REGION, Template, TemplateError

POOL_FILE = "cognito.json"


@dataclass(frozen=True)
class LocalPool:
    endpoint: str  # moto's
    pool_id: str
    client_id: str
    region: str = REGION

    def client(self) -> Any:
        return boto3.client(
            "cognito-idp",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def save(self, data_dir: Path) -> Path:
        path = data_dir / POOL_FILE
        path.write_text(json.dumps(asdict(self)) + "\n")
        return path

    @classmethod
    def load(cls, data_dir: Path) -> LocalPool:
        path = data_dir / POOL_FILE
        if not path.is_file():
            raise FileNotFoundError(
                f"no local user pool in {data_dir}: start `fashion-forecast serve --auth cognito` "
                "(with the same --data-dir) first"
            )
        return cls(**json.loads(path.read_text()))

    def add_user(self, name: str, groups: list[str], password: str | None = None) -> str:
        """Create (or reuse) `name`, put them in `groups`, sign in; returns their id token.
        `password` (default: a random one) is what the planner page's sign-in then takes."""
        idp = self.client()
        password = password or "Local-" + secrets.token_urlsafe(18) + "1!"
        with contextlib.suppress(idp.exceptions.UsernameExistsException):
            idp.admin_create_user(UserPoolId=self.pool_id, Username=name, MessageAction="SUPPRESS")
        idp.admin_set_user_password(
            UserPoolId=self.pool_id, Username=name, Password=password, Permanent=True
        )
        known = {g["GroupName"] for g in idp.list_groups(UserPoolId=self.pool_id)["Groups"]}
        for group in groups:
            if group not in known:
                raise ValueError(
                    f"no group {group} in the pool (groups: {', '.join(sorted(known))})"
                )
            idp.admin_add_user_to_group(UserPoolId=self.pool_id, Username=name, GroupName=group)
        signed_in = idp.admin_initiate_auth(
            UserPoolId=self.pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": password},
        )
        return str(signed_in["AuthenticationResult"]["IdToken"])


def create_pool(template: Template, endpoint: str) -> LocalPool:
    """The template's user pool, app client and groups, in moto's Cognito at `endpoint`."""
    pools = template.of_type("AWS::Cognito::UserPool")
    clients = template.of_type("AWS::Cognito::UserPoolClient")
    if len(pools) != 1 or len(clients) != 1:
        raise TemplateError("Cognito mode needs one AWS::Cognito::UserPool and one client")
    ((pool_id_logical, pool),) = pools.items()
    ((_, app_client),) = clients.items()
    idp = LocalPool(endpoint, "", "").client()
    props = template.resolve(pool.get("Properties", {}))
    created = idp.create_user_pool(
        PoolName=str(props.get("UserPoolName", pool_id_logical)),
        **{k: props[k] for k in ("Policies", "AutoVerifiedAttributes") if k in props},
    )["UserPool"]["Id"]
    client_props = template.resolve(app_client.get("Properties", {}))
    client_id = idp.create_user_pool_client(
        UserPoolId=created,
        ClientName=str(client_props.get("ClientName", "local")),
        GenerateSecret=False,
        ExplicitAuthFlows=list(client_props.get("ExplicitAuthFlows", [])),
    )["UserPoolClient"]["ClientId"]
    for group in template.of_type("AWS::Cognito::UserPoolGroup").values():
        group_props = template.resolve(group.get("Properties", {}))
        idp.create_group(
            UserPoolId=created,
            GroupName=str(group_props["GroupName"]),
            Description=str(group_props.get("Description", "")),
        )
    return LocalPool(endpoint, created, client_id)
