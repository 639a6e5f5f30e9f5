"""Read template.yaml and create its resources against the current AWS endpoint (moto).

Local runtime and tests build their tables, buckets, state machines and function environments
from the same template as the cloud, so they cannot drift. Physical names are the logical ids
(or an explicit name property); only the intrinsic functions the template uses are resolved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

REPO_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_TEMPLATE = REPO_ROOT / "template.yaml"

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"

PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "fashion-forecast-local",
}


class TemplateError(ValueError):
    pass


@dataclass
class Template:
    body: dict[str, Any]
    path: Path
    overrides: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None, **overrides: str) -> Template:
        path = path or DEFAULT_TEMPLATE
        if not path.is_file():
            raise TemplateError(f"template not found: {path} (run from a checkout of the repo)")
        body, matches = decode_str(path.read_text())
        if matches or body is None:
            raise TemplateError(f"cannot parse {path}: {matches}")
        return cls(body=dict(body), path=path, overrides=overrides)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.body.get("Resources", {}))

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v.get("Type") == resource_type}

    # -- names and intrinsic functions --------------------------------------------------------

    def parameter(self, name: str) -> str:
        if name in self.overrides:
            return self.overrides[name]
        spec = self.body.get("Parameters", {}).get(name)
        if spec is None or "Default" not in spec:
            raise TemplateError(f"parameter {name} has no default and no override")
        return str(spec["Default"])

    def physical_name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        props = resource.get("Properties", {})
        kind = resource["Type"]
        explicit = {
            "AWS::DynamoDB::Table": "TableName",
            "AWS::S3::Bucket": "BucketName",
            "AWS::Serverless::StateMachine": "Name",
            "AWS::Serverless::Function": "FunctionName",
        }.get(kind)
        if explicit and explicit in props:
            return str(self.resolve(props[explicit]))
        if kind == "AWS::S3::Bucket":
            return f"{logical_id.lower()}-local"
        return logical_id

    def ref(self, name: str) -> str:
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.body.get("Parameters", {}):
            return self.parameter(name)
        if name not in self.resources:
            raise TemplateError(f"!Ref to unknown name {name}")
        kind = self.resources[name]["Type"]
        if kind == "AWS::Serverless::StateMachine":
            return self.arn(name)
        return self.physical_name(name)

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id)
        if kind == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"
        if kind == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{name}"
        if kind == "AWS::Serverless::StateMachine":
            return f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{name}"
        if kind == "AWS::Serverless::Function":
            return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
        raise TemplateError(f"no ARN rule for {kind}")

    def resolve(self, value: Any) -> Any:
        """Resolve Ref, Fn::Sub, Fn::GetAtt (Arn/Name) and Fn::Join in `value`."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return (
                    self.arn(logical_id) if attribute == "Arn" else self.physical_name(logical_id)
                )
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                separator, parts = arg
                return separator.join(str(self.resolve(p)) for p in parts)
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        out, i = [], 0
        while i < len(text):
            start = text.find("${", i)
            if start < 0:
                out.append(text[i:])
                break
            end = text.index("}", start)
            out.append(text[i:start])
            name = text[start + 2 : end]
            if name.startswith("!"):
                out.append("${" + name[1:] + "}")
            elif name in variables:
                out.append(str(self.resolve(variables[name])))
            elif "." in name:
                out.append(str(self.resolve({"Fn::GetAtt": name.split(".", 1)})))
            else:
                out.append(str(self.ref(name)))
            i = end + 1
        return "".join(out)

    # -- functions ----------------------------------------------------------------------------

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """Globals + the function's own environment variables, resolved."""
        merged: dict[str, Any] = {}
        globals_env = self.body.get("Globals", {}).get("Function", {}).get("Environment", {})
        merged.update(globals_env.get("Variables", {}))
        props = self.resources[logical_id].get("Properties", {})
        merged.update(props.get("Environment", {}).get("Variables", {}))
        return {k: str(self.resolve(v)) for k, v in merged.items()}

    def function_handler(self, logical_id: str) -> tuple[Path, str, str]:
        """(code directory, module name, attribute) of a zip function's handler."""
        props = self.resources[logical_id]["Properties"]
        module, _, attribute = str(props["Handler"]).rpartition(".")
        return self.path.parent / str(props["CodeUri"]), module, attribute

    # -- creation -----------------------------------------------------------------------------

    def create_tables(self, dynamodb: Any) -> list[str]:
        created = []
        for logical_id, resource in self.of_type("AWS::DynamoDB::Table").items():
            props = resource["Properties"]
            name = self.physical_name(logical_id)
            spec: dict[str, Any] = {
                "TableName": name,
                "AttributeDefinitions": props["AttributeDefinitions"],
                "KeySchema": props["KeySchema"],
                "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
            }
            if props.get("GlobalSecondaryIndexes"):
                spec["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
            dynamodb.create_table(**spec)
            ttl = props.get("TimeToLiveSpecification")
            if ttl and ttl.get("Enabled"):
                dynamodb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={
                        "AttributeName": ttl["AttributeName"],
                        "Enabled": True,
                    },
                )
            created.append(name)
        return created

    def state_machine_definition(self, logical_id: str) -> str:
        props = self.resources[logical_id]["Properties"]
        text = (self.path.parent / str(props["DefinitionUri"])).read_text()
        substitutions = {
            k: str(self.resolve(v)) for k, v in props.get("DefinitionSubstitutions", {}).items()
        }
        for name, value in substitutions.items():
            text = text.replace("${" + name + "}", value)
        json.loads(text)  # a bad substitution must fail here, not inside an execution
        return text
