"""Least privilege in template.yaml: each function's role grants exactly the actions its code
makes (tests/iam_usage.py reads them from the handlers, use cases and adapters), on the table,
index, bucket prefixes, state machine and functions it touches; "*" only where AWS offers no
narrower resource."""

from __future__ import annotations

from typing import Any

import pytest

from fashion_forecast_local.template import Template
from tests.iam_usage import function_actions

# Actions AWS authorises on "*" only (no resource-level permissions).
STAR_ONLY = {
    "states:SendTaskSuccess",  # a task token is not a resource
    "states:SendTaskFailure",
    "logs:CreateLogDelivery",  # Step Functions' vended log delivery
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
}

TEMPLATE = Template.load()
FUNCTIONS = sorted(TEMPLATE.of_type("AWS::Serverless::Function"))


def statements(policies: list[Any]) -> list[dict[str, Any]]:
    """The statements of a Policies list: inline documents, managed policies of the template
    (!Ref) and the configured branch of an !If. SAM policy templates are not allowed: they
    grant more than the code uses (DynamoDBCrudPolicy has Scan and BatchWrite...)."""
    out: list[dict[str, Any]] = []
    for policy in policies:
        if "Fn::If" in policy:
            policy = policy["Fn::If"][1]
        if "Ref" in policy:
            resource = TEMPLATE.resources[policy["Ref"]]
            assert resource["Type"] == "AWS::IAM::ManagedPolicy", policy
            policy = resource["Properties"]["PolicyDocument"]
        assert set(policy) <= {"Statement", "Version"}, f"not an inline policy: {policy}"
        out += policy["Statement"]
    return out


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def grants(logical_id: str) -> list[tuple[str, Any]]:
    """(action, resource) for every Allow of the resource's Policies."""
    out = []
    for statement in statements(TEMPLATE.resources[logical_id]["Properties"].get("Policies", [])):
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            out += [(action, resource) for resource in as_list(statement["Resource"])]
    return out


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_each_function_is_granted_exactly_the_actions_its_code_makes(logical_id: str) -> None:
    code_dir, _, _ = TEMPLATE.function_handler(logical_id)
    needed = function_actions(code_dir)
    granted = grants(logical_id)
    assert {a for a, _ in granted} == {a for a, _ in needed}
    on_index = {a for a, r in granted if "/index/" in str(TEMPLATE.resolve(r))}
    assert on_index == {a for a, scope in needed if scope == "index"}


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_each_grant_names_its_resources(logical_id: str) -> None:
    table = TEMPLATE.arn("DataTable")
    bucket = TEMPLATE.arn("DataBucket")
    machine = TEMPLATE.arn("WorkflowStateMachine")
    functions = {TEMPLATE.arn(f) for f in FUNCTIONS}
    for action, resource in grants(logical_id):
        arn = str(TEMPLATE.resolve(resource))
        service = action.split(":")[0]
        if arn == "*":
            assert action in STAR_ONLY, (action, arn)
        elif service == "dynamodb":
            assert arn in {table, f"{table}/index/GSI1"}, (action, arn)
        elif service == "s3":
            # the bucket (ListBucket) or objects under a named prefix or key, never bucket/*
            assert arn == bucket if action == "s3:ListBucket" else arn.startswith(bucket + "/")
            assert arn != f"{bucket}/*", action
        elif service == "states":
            assert arn == machine or arn.startswith(
                machine.replace(":stateMachine:", ":execution:")
            )
        elif service == "lambda":
            assert arn in functions, arn  # one function's exact ARN, no name* pattern
        elif service == "execute-api":
            assert arn.endswith(f"/{TEMPLATE.parameter('StageName')}/*/@connections/*")
        elif service == "apigateway":  # the one API key, read by the WebSocket authorizer
            assert arn.endswith(f"::/apikeys/{TEMPLATE.physical_name('RestApiKey')}"), arn
        elif service == "sns":
            assert arn == TEMPLATE.arn("NotificationTopic"), arn
        elif service == "ssm":
            name = TEMPLATE.resolve({"Ref": "OpenAiApiKeyParameterName"})
            assert arn.endswith((f":parameter/{name}", f":parameter{name}")), arn
        else:
            raise AssertionError(f"unexpected grant {action} on {arn}")


def test_read_only_functions_write_nothing_to_s3() -> None:
    for logical_id in ("DemandFunction", "PricingFunction", "VarianceFunction"):
        s3 = {a for a, _ in grants(logical_id) if a.startswith("s3:")}
        assert s3 <= {"s3:GetObject", "s3:ListBucket"}, logical_id


def test_the_state_machine_invokes_exactly_its_task_functions() -> None:
    props = TEMPLATE.resources["WorkflowStateMachine"]["Properties"]
    tasks = {
        TEMPLATE.resolve(v)
        for k, v in props["DefinitionSubstitutions"].items()
        if k.endswith("FunctionArn")
    }
    invoked = {
        TEMPLATE.resolve(r) for a, r in grants("WorkflowStateMachine") if a.startswith("lambda:")
    }
    assert invoked == tasks
    # its Distributed Map (an assortment plan) runs child executions of itself, nothing else
    own = TEMPLATE.arn("WorkflowStateMachine")
    map_runs = own.replace(":stateMachine:", ":execution:") + "/*"
    states = {
        (a, TEMPLATE.resolve(r))
        for a, r in grants("WorkflowStateMachine")
        if a.startswith("states:")
    }
    assert states == {
        ("states:StartExecution", own),
        ("states:DescribeExecution", map_runs),
        ("states:StopExecution", map_runs),
    }
    others = {
        a for a, r in grants("WorkflowStateMachine") if not a.startswith(("lambda:", "states:"))
    }
    assert others <= STAR_ONLY


def test_s3_may_invoke_the_variance_function_for_the_data_bucket_of_this_account_only() -> None:
    (permission,) = [
        p["Properties"]
        for p in TEMPLATE.of_type("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "s3.amazonaws.com"
    ]
    assert TEMPLATE.resolve(permission["FunctionName"]) == TEMPLATE.arn("VarianceFunction")
    assert TEMPLATE.resolve(permission["SourceArn"]) == TEMPLATE.arn("DataBucket")
    assert TEMPLATE.resolve(permission["SourceAccount"]) == TEMPLATE.resolve(
        {"Ref": "AWS::AccountId"}
    )
    # a SAM S3 event would add its own permission, without SourceArn
    for logical_id in FUNCTIONS:
        events = TEMPLATE.resources[logical_id]["Properties"].get("Events", {})
        assert all(e["Type"] != "S3" for e in events.values()), logical_id


def test_the_derived_table_sees_what_each_kind_of_function_does() -> None:
    """The reader of the code itself, on known facts: were it blind, the first test would
    compare two empty sets."""
    actions = {
        f: {a for a, _ in function_actions(TEMPLATE.function_handler(f)[0])} for f in FUNCTIONS
    }
    assert "lambda:InvokeFunction" in actions["ApiFunction"]  # the engine calls to Demand
    assert "ssm:GetParameter" in actions["ApiFunction"]  # the OpenAI key
    assert "states:SendTaskSuccess" in actions["ApiFunction"]  # approvals
    assert "states:StartExecution" in actions["VarianceFunction"]  # re-forecasts
    assert "states:StartExecution" not in actions["DemandFunction"]
    assert "dynamodb:UpdateItem" in actions["VarianceFunction"]  # Powertools idempotency
    assert "dynamodb:UpdateItem" not in actions["WebSocketFunction"]
    assert "s3:PutObject" not in actions["DemandFunction"]
    publishers = ["ApiFunction", "DemandFunction", "VarianceFunction", "WebSocketFunction"]
    assert all("execute-api:ManageConnections" in actions[f] for f in publishers)
