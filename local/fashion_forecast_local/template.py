"""Read template.yaml and create its resources against the current AWS endpoint (moto).

Local runtime and tests build their tables, buckets, state machines and function environments
from the same template as the cloud, so they cannot drift. Physical names are the logical ids
(or an explicit name property); only the intrinsic functions the template uses are resolved.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

TEMPLATE_NAME = "template.yaml"
TEMPLATE_VARIABLE = "FASHION_FORECAST_TEMPLATE"

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"

PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "fashion-forecast-local",
    # Fixed, so names derived from it (the data bucket's) stay the same across restarts.
    "AWS::StackId": (
        f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/fashion-forecast-local/"
        "00000000-0000-4000-8000-000000000000"
    ),
}


class TemplateError(ValueError):
    pass


def find_template() -> Path:
    """The project's template.yaml: $FASHION_FORECAST_TEMPLATE, else the first template.yaml
    (next to a statemachine/ folder) in the current directory or one above it, else in the
    folders above this package (an editable install inside the checkout)."""
    configured = os.environ.get(TEMPLATE_VARIABLE)
    if configured:
        return Path(configured)
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for folder in (start, *start.parents):
            candidate = folder / TEMPLATE_NAME
            if candidate.is_file() and (folder / "statemachine").is_dir():
                return candidate
    raise TemplateError(
        f"no {TEMPLATE_NAME} found above {Path.cwd()}: run from a checkout of the repository "
        f"or set {TEMPLATE_VARIABLE}"
    )


_NO_VALUE = object()  # what AWS::NoValue resolves to until its container drops it


@dataclass
class Template:
    body: dict[str, Any]
    path: Path
    overrides: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None, **overrides: str) -> Template:
        path = path or find_template()
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

    def parameter(self, name: str) -> Any:
        """A parameter's value: its override, else its default; a CommaDelimitedList is a
        list, as CloudFormation gives it to !Join and !Select."""
        spec = self.body.get("Parameters", {}).get(name)
        if name in self.overrides:
            value = self.overrides[name]
        elif spec is None or "Default" not in spec:
            raise TemplateError(f"parameter {name} has no default and no override")
        else:
            value = str(spec["Default"])
        if spec is not None and spec.get("Type") == "CommaDelimitedList":
            return [v.strip() for v in value.split(",")]
        return value

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

    def ref(self, name: str) -> Any:
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.body.get("Parameters", {}):
            return self.parameter(name)
        if name not in self.resources:
            raise TemplateError(f"!Ref to unknown name {name}")
        kind = self.resources[name]["Type"]
        if kind in {"AWS::Serverless::StateMachine", "AWS::SNS::Topic"}:
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
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{name}"
        if kind == "AWS::Cognito::UserPool":
            return f"arn:aws:cognito-idp:{REGION}:{ACCOUNT_ID}:userpool/{name}"
        raise TemplateError(f"no ARN rule for {kind}")

    def resolve(self, value: Any) -> Any:
        """Resolve Ref, Fn::Sub, Fn::GetAtt (Arn/Name), Fn::Join, Fn::Split, Fn::Select and
        Fn::If in `value`; AWS::NoValue drops the key or list item it stands for."""
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return _NO_VALUE if arg == "AWS::NoValue" else self.ref(arg)
            if key == "Fn::If":
                condition, when_true, when_false = arg
                return self.resolve(when_true if self.condition(condition) else when_false)
            if key == "Fn::GetAtt":
                logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return (
                    self.arn(logical_id) if attribute == "Arn" else self.physical_name(logical_id)
                )
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                separator, parts = arg
                resolved = self.resolve(parts)
                return separator.join(str(p) for p in resolved)
            if key == "Fn::Split":
                separator, text = arg
                return str(self.resolve(text)).split(separator)
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(index)]
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}

    def condition(self, name: str) -> bool:
        return bool(self._evaluate(self.body.get("Conditions", {})[name]))

    def _evaluate(self, expression: Any) -> Any:
        if isinstance(expression, dict) and len(expression) == 1:
            ((key, arg),) = expression.items()
            if key == "Fn::Not":
                return not self._evaluate(arg[0])
            if key == "Fn::And":
                return all(self._evaluate(a) for a in arg)
            if key == "Fn::Or":
                return any(self._evaluate(a) for a in arg)
            if key == "Fn::Equals":
                return self._evaluate(arg[0]) == self._evaluate(arg[1])
            if key == "Condition":
                return self.condition(arg)
        return self.resolve(expression)

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
        return {k: str(v) for k, v in self.resolve(merged).items()}

    def function_property(self, logical_id: str, name: str) -> Any:
        """A function's own property, else the one Globals.Function gives (None without)."""
        props = self.resources[logical_id].get("Properties", {})
        globals_function = self.body.get("Globals", {}).get("Function", {})
        return self.resolve(props.get(name, globals_function.get(name)))

    def function_handler(self, logical_id: str) -> tuple[Path, str, str]:
        """(code directory, module name, attribute) of a function's handler: Handler + CodeUri
        for zip functions, ImageConfig.Command + the Dockerfile's folder for image functions."""
        resource = self.resources[logical_id]
        props = resource["Properties"]
        if props.get("PackageType") == "Image":
            handler = str(props["ImageConfig"]["Command"][0])
            code_dir = (self.path.parent / resource["Metadata"]["Dockerfile"]).parent
        else:
            handler = str(props["Handler"])
            code_dir = self.path.parent / str(props["CodeUri"])
        module, _, attribute = handler.rpartition(".")
        return code_dir, module, attribute

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

    def create_buckets(self, s3: Any) -> list[str]:
        """Buckets, with the notifications the functions' S3 events declare on them (moto then
        invokes the function on every matching object created, as S3 does)."""
        names = [self.physical_name(b) for b in self.of_type("AWS::S3::Bucket")]
        for name in names:
            s3.create_bucket(Bucket=name)
        for name, configurations in self.bucket_notifications().items():
            s3.put_bucket_notification_configuration(
                Bucket=name,
                NotificationConfiguration={"LambdaFunctionConfigurations": configurations},
            )
        return names

    def bucket_notifications(self) -> dict[str, list[dict[str, Any]]]:
        """Bucket name -> LambdaFunctionConfigurations, from each bucket's
        NotificationConfiguration (Id: the bucket's logical id and the configuration's index)."""
        out: dict[str, list[dict[str, Any]]] = {}
        for logical_id, resource in self.of_type("AWS::S3::Bucket").items():
            notification = resource.get("Properties", {}).get("NotificationConfiguration", {})
            for index, spec in enumerate(notification.get("LambdaConfigurations", [])):
                configuration: dict[str, Any] = {
                    "Id": f"{logical_id}Lambda{index}",
                    "LambdaFunctionArn": self.resolve(spec["Function"]),
                    "Events": [spec["Event"]],
                }
                rules = spec.get("Filter", {}).get("S3Key", {}).get("Rules", [])
                if rules:
                    configuration["Filter"] = {
                        "Key": {
                            "FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]
                        }
                    }
                out.setdefault(self.physical_name(logical_id), []).append(configuration)
        return out

    def create_functions(self, awslambda: Any, iam: Any) -> list[str]:
        """Register every function with moto's Lambda so Step Functions and S3 can invoke it.
        The code is a stub zip: the in-process hook (local.lambdas) runs the real handler."""
        role = iam.create_role(
            RoleName="fashion-forecast-local-lambda",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        stub = io.BytesIO()
        with zipfile.ZipFile(stub, "w") as archive:
            archive.writestr(
                "stub.py", "def handler(event, context):\n    raise NotImplementedError\n"
            )
        names = []
        for logical_id in self.of_type("AWS::Serverless::Function"):
            name = self.physical_name(logical_id)
            awslambda.create_function(
                FunctionName=name,
                Runtime="python3.11",
                Role=role,
                Handler="stub.handler",
                Code={"ZipFile": stub.getvalue()},
                # as deployed, so the agent registry reads the template's figures
                Timeout=int(self.function_property(logical_id, "Timeout")),
                MemorySize=int(self.function_property(logical_id, "MemorySize")),
                Environment={"Variables": self.function_environment(logical_id)},
            )
            names.append(name)
        return names

    def create_state_machines(self, sfn: Any, iam: Any) -> list[str]:
        role = iam.create_role(
            RoleName="fashion-forecast-local-states",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        arns = []
        for logical_id in self.of_type("AWS::Serverless::StateMachine"):
            arns.append(
                sfn.create_state_machine(
                    name=self.physical_name(logical_id),
                    definition=self.state_machine_definition(logical_id),
                    roleArn=role,
                )["stateMachineArn"]
            )
        return arns

    def create_topics(self, sns: Any) -> list[str]:
        """The SNS topics (their e-mail subscriptions are left out: nothing delivers mail)."""
        return [
            str(sns.create_topic(Name=self.physical_name(logical_id))["TopicArn"])
            for logical_id in self.of_type("AWS::SNS::Topic")
        ]

    def create_all(self, session_client: Any) -> None:
        """Tables, buckets, topics, functions and state machines, through
        `session_client(service)`."""
        self.create_tables(session_client("dynamodb"))
        self.create_topics(session_client("sns"))
        self.create_buckets(session_client("s3"))
        self.create_functions(session_client("lambda"), session_client("iam"))
        self.create_state_machines(session_client("stepfunctions"), session_client("iam"))

    def environment(self) -> dict[str, str]:
        """The union of every function's environment (in-process Lambdas share one process)."""
        merged: dict[str, str] = {}
        for logical_id in self.of_type("AWS::Serverless::Function"):
            merged.update(self.function_environment(logical_id))
        merged.pop("POWERTOOLS_SERVICE_NAME", None)
        return merged

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
