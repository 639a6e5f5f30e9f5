"""The in-process Lambda hook: moto's one funnel for every invocation must still be there."""

from __future__ import annotations

import inspect
import json
import re

import boto3
import moto
from moto.awslambda.models import LambdaFunction
from moto.dynamodb.responses import DynamoHandler

from fashion_forecast_local.lambdas import InProcessLambdas, load_handler
from fashion_forecast_local.template import Template


def test_moto_still_funnels_every_invocation_through_invoke_lambda() -> None:
    """If this fails after a moto upgrade, local/lambdas.py must find the new funnel."""
    assert moto.__version__ == "5.2.5", "moto is pinned: re-check the hook before upgrading"
    method = LambdaFunction._invoke_lambda
    assert list(inspect.signature(method).parameters) == ["self", "event"]
    assert "self._invoke_lambda(event=body)" in inspect.getsource(LambdaFunction.invoke)
    assert list(inspect.signature(DynamoHandler.call_action).parameters) == ["self"]


def test_every_template_function_has_a_loadable_handler(template: Template) -> None:
    for logical_id in template.of_type("AWS::Serverless::Function"):
        assert callable(load_handler(template, logical_id)), logical_id


def test_direct_invoke_runs_the_real_handler_in_process(
    aws: None, template: Template, settings: object
) -> None:
    template.create_all(boto3.client)
    original = LambdaFunction._invoke_lambda
    with InProcessLambdas(template) as hook:
        response = boto3.client("lambda").invoke(
            FunctionName="WorkflowFunction",
            Payload=json.dumps({"action": "nonsense", "workflow_id": "wf-1"}),
        )
        body = json.loads(response["Payload"].read())
        assert response["FunctionError"] == "Handled"
        # a defect in the handler leaves as UnexpectedError, without the exception's own text
        assert body["errorType"] == "UnexpectedError"
        assert re.fullmatch(
            r"internal error in the workflow function \(ValueError\); its logs have the "
            r"details \(request [0-9a-f-]{36}\)",
            body["errorMessage"],
        )
        assert hook.invocations == [
            ("WorkflowFunction", {"action": "nonsense", "workflow_id": "wf-1"})
        ]
    assert LambdaFunction._invoke_lambda is original  # uninstalled again
