"""Workflow management over the HTTP API on the live stack (moto executing the real ASL, the
Lambdas in-process): the catalogue read from the deployed definition, the agent registry from
the deployed functions and real runs, step history from GetExecutionHistory, and the health
endpoint's build."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from fashion_forecast import __version__
from fashion_forecast.app import catalogue
from tests.integration.flows import Live, live_stack
from tests.integration.test_workflow_flows import start_unchecked


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    with pytest.MonkeyPatch.context() as monkeypatch, live_stack(monkeypatch) as stack:
        yield stack


def asl_file(live: Live) -> dict[str, Any]:
    """statemachine/workflow.asl.json with the template's substitutions: what was deployed."""
    machine = next(iter(live.template.of_type("AWS::Serverless::StateMachine")))
    return dict(json.loads(live.template.state_machine_definition(machine)))


# -- catalogue -------------------------------------------------------------------------------


def test_the_catalogue_lists_the_flows_of_the_asl_file(live: Live) -> None:
    response = live.api.get("/api/definitions")
    assert response.status_code == 200, response.text
    listed = {f["name"]: f for f in response.json()["flows"]}
    assert list(listed) == ["forecast", "reforecast", "markdown", "assortment"]
    asl = asl_file(live)
    for name, summary in listed.items():
        expected = catalogue.flow(asl, name)
        assert summary["version"] == expected.version
        assert summary["steps"] == len(expected.states)
    assert listed["forecast"]["approvals"] == ["Clarification", "ManufacturingApproval"]
    assert listed["reforecast"]["approvals"] == ["ManufacturingApproval"]
    assert listed["markdown"]["approvals"] == ["MarkdownApproval"]
    assert listed["assortment"]["approvals"] == []  # each child has its own
    assert len({f["version"] for f in listed.values()}) == 4


def test_a_flow_shows_its_steps_transitions_and_switches(live: Live) -> None:
    response = live.api.get("/api/definitions/forecast")
    assert response.status_code == 200, response.text
    body = response.json()
    asl = asl_file(live)
    states = [s["name"] for s in body["states"]]
    assert states == [n for n in asl["States"] if n in catalogue.flow(asl, "forecast").states]
    assert {
        "FromText",
        "ExtractParameters",
        "NeedsClarification",
        "UseExtracted",
        "Clarification",
        "Demand",
        "Inventory",
        "Replenishment",
        "ManufacturingApproval",
        "Finish",
    } <= set(states)
    assert not {"Pricing", "DemandReforecast", "InventoryReplan"} & set(states)
    by_name = {s["name"]: s for s in body["states"]}
    assert by_name["ManufacturingApproval"]["approval"] is True
    assert by_name["Clarification"]["approval"] is True
    assert by_name["ExtractParameters"]["approval"] is False
    assert by_name["ExtractParameters"]["retry"] == asl["States"]["Demand"]["Retry"]
    assert {
        "from": "RouteByType",
        "to": "FromText",
        "on": '$.workflow_type StringEquals "forecast"',
    } in body["transitions"]
    assert {"from": "Clarification", "to": "Demand", "on": "next"} in body["transitions"]
    assert {
        "from": "Clarification",
        "to": "ApprovalTimedOut",
        "on": "catch States.Timeout",
    } in body["transitions"]
    assert by_name["Demand"]["retry"] == asl["States"]["Demand"]["Retry"]
    assert by_name["Demand"]["function"] == asl["States"]["Demand"]["Parameters"]["FunctionName"]
    assert {"from": "Demand", "to": "Inventory", "on": "next"} in body["transitions"]
    assert {"from": "Demand", "to": "MarkFailed", "on": "catch States.ALL"} in body["transitions"]
    assert body["switches"] == [
        {
            "state": "HasReplenishment",
            "parameter": "replenishment_strategy",
            "condition": '$.parameters.replenishment_strategy StringEquals "none"',
            "then": "ManufacturingApproval",
            "otherwise": "Replenishment",
        }
    ]


def test_a_retry_entry_is_no_step_of_a_fresh_run_and_each_flow_lists_its_resume_points(
    live: Live,
) -> None:
    """The one definition a retry also enters (Choices on $.resume_from at StartAt): a flow's
    path still starts at InitOverride, and only its own steps are listed to resume at."""
    asl = asl_file(live)
    bodies = {n: live.api.get(f"/api/definitions/{n}").json() for n in catalogue.flow_names(asl)}
    for body in bodies.values():
        names = {s["name"] for s in body["states"]}
        assert body["start_at"] == asl["StartAt"] == "IsRetry"
        assert not {"ResumeAt", "UnknownResumeStep"} & names
        assert {"from": "IsRetry", "to": "InitOverride", "on": "default"} in body["transitions"]
        assert set(body["resume_points"]) <= names
    assert bodies["forecast"]["resume_points"] == [
        "RouteByType", "ExtractParameters", "Clarification", "Demand", "Inventory",
        "Replenishment", "ManufacturingApproval", "Finish", "MarkRejected",
    ]  # fmt: skip
    for other in ("reforecast", "markdown"):
        names = {s["name"] for s in bodies[other]["states"]}
        assert not {"ExtractParameters", "Clarification"} & names
        assert not {"ExtractParameters", "Clarification"} & set(bodies[other]["resume_points"])
    assert "Pricing" in bodies["markdown"]["resume_points"]
    assert "Demand" not in bodies["markdown"]["resume_points"]
    assert "DemandReforecast" in bodies["reforecast"]["resume_points"]


def test_an_unknown_flow_is_404_and_a_hostile_name_422(live: Live) -> None:
    missing = live.api.get("/api/definitions/clearance")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "not_found"
    assert live.api.get("/api/definitions/..%2Fetc").status_code in {404, 422}
    assert live.api.get("/api/definitions/" + "a" * 100).status_code == 422


def test_the_catalogue_follows_the_deployed_definition_not_the_file(live: Live) -> None:
    """Another definition deployed: the catalogue changes with it (it is read, not kept)."""
    asl = asl_file(live)
    changed = json.loads(json.dumps(asl))
    changed["States"]["Pricing"]["Comment"] = "changed"
    before = {f["name"]: f["version"] for f in live.api.get("/api/definitions").json()["flows"]}
    client = boto3.client("stepfunctions")
    arn = live.container.settings.state_machine_arn
    client.update_state_machine(stateMachineArn=arn, definition=json.dumps(changed))
    try:
        after = {f["name"]: f["version"] for f in live.api.get("/api/definitions").json()["flows"]}
    finally:
        client.update_state_machine(stateMachineArn=arn, definition=json.dumps(asl))
    assert after["forecast"] == before["forecast"] and after["reforecast"] == before["reforecast"]
    assert after["markdown"] != before["markdown"]


# -- a completed, a failed and a cancelled run: steps, registry ------------------------------


@pytest.fixture(scope="module")
def inbox(live: Live) -> str:
    """An SQS queue subscribed to the template's notification topic (moto's SNS delivers)."""
    sqs = boto3.client("sqs")
    url = str(sqs.create_queue(QueueName="test-notifications")["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    topic = live.container.settings.notification_topic_arn
    assert topic == live.template.arn("NotificationTopic")
    boto3.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["QueueArn"])
    return url


def received(url: str) -> list[tuple[str, dict[str, Any]]]:
    sqs = boto3.client("sqs")
    out = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return out
        for message in messages:
            envelope = json.loads(message["Body"])
            out.append((envelope["Subject"], json.loads(envelope["Message"])))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture(scope="module")
def runs(live: Live, inbox: str) -> dict[str, str]:
    completed = live.start_forecast("zara")
    live.wait(completed, "awaiting_approval")
    assert live.approve(completed, action="accept").status_code == 200
    live.wait(completed, "completed")
    live.wait_execution(completed)
    failed = start_unchecked(live, "unknown_category")
    live.wait(failed, "failed")
    live.wait_execution(failed)
    cancelled = live.start_forecast("luxury")
    live.wait(cancelled, "awaiting_approval")
    assert live.api.post(f"/api/workflows/{cancelled}/cancel").status_code == 200
    return {"completed": completed, "failed": failed, "cancelled": cancelled}


def steps_of(live: Live, workflow_id: str) -> dict[str, Any]:
    response = live.api.get(f"/api/workflows/{workflow_id}/steps")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_steps_of_a_completed_run(live: Live, runs: dict[str, str]) -> None:
    body = steps_of(live, runs["completed"])
    assert body["status"] == "completed"
    names = [s["name"] for s in body["steps"]]
    assert names == live.states_entered(runs["completed"])
    assert names[:6] == [
        "IsRetry", "InitOverride", "MarkRunning", "RouteByType", "FromText", "Demand"
    ]  # fmt: skip
    assert "Replenishment" not in names  # zara: no replenishment
    assert {s["outcome"] for s in body["steps"]} == {"succeeded"}
    for step in body["steps"]:
        assert step["duration_seconds"] is not None and step["duration_seconds"] >= 0
        assert step["exited_at"] >= step["entered_at"]
    demand = next(s for s in body["steps"] if s["name"] == "Demand")
    assert demand["attempts"] == 1 and demand["error"] is None
    assert demand["events"][0]["type"] == "agent_started"
    assert "agent_completed" in [e["type"] for e in demand["events"]]
    approval = next(s for s in body["steps"] if s["name"] == "ManufacturingApproval")
    assert "human_input_required" in [e["type"] for e in approval["events"]]
    # every event of the log is on exactly one step
    logged = live.api.get(f"/api/workflows/{runs['completed']}/events?limit=1000").json()
    on_steps = [e["sequence"] for s in body["steps"] for e in s["events"]]
    assert sorted(on_steps) == [e["sequence"] for e in logged["events"]]


def test_steps_of_a_failed_run(live: Live, runs: dict[str, str]) -> None:
    body = steps_of(live, runs["failed"])
    assert body["status"] == "failed"
    by_name = {s["name"]: s for s in body["steps"]}
    demand = by_name["Demand"]
    assert demand["outcome"] == "failed"
    assert demand["error"]["error"] == "DomainError" or demand["error"]["error"]
    assert "no sales history" in (demand["error"]["cause"] or "")
    assert "Inventory" not in by_name
    assert by_name["MarkFailed"]["outcome"] == "succeeded"


def test_steps_of_a_cancelled_run(live: Live, runs: dict[str, str]) -> None:
    body = steps_of(live, runs["cancelled"])
    assert body["status"] == "cancelled"
    by_name = {s["name"]: s for s in body["steps"]}
    assert by_name["Demand"]["outcome"] == "succeeded"
    assert by_name["Replenishment"]["outcome"] == "succeeded"  # luxury: bi-weekly
    assert by_name["ManufacturingApproval"]["outcome"] in {"cancelled", "failed"}
    assert body["steps"][-1]["name"] in {"ManufacturingApproval", "MarkFailed", "Failed"}


def test_steps_of_an_unknown_workflow_is_404(live: Live) -> None:
    assert live.api.get("/api/workflows/no-such-workflow/steps").status_code == 404
    assert live.api.get("/api/workflows/bad%20id/steps").status_code == 422


def test_the_registry_reads_the_deployed_functions_and_the_runs(
    live: Live, runs: dict[str, str]
) -> None:
    response = live.api.get("/api/agents")
    assert response.status_code == 200, response.text
    agents = {a["name"]: a for a in response.json()["agents"]}
    assert list(agents) == ["demand", "inventory", "pricing"]
    template = live.template
    for name, logical_id in (
        ("demand", "DemandFunction"),
        ("inventory", "InventoryFunction"),
        ("pricing", "PricingFunction"),
    ):
        function = agents[name]["function"]
        assert function["name"] == template.physical_name(logical_id)
        assert function["timeout_seconds"] == int(template.function_property(logical_id, "Timeout"))
        assert function["memory_mb"] == int(template.function_property(logical_id, "MemorySize"))
    assert agents["demand"]["function"]["timeout_seconds"] == 300
    assert agents["demand"]["function"]["memory_mb"] == 2048
    asl = asl_file(live)
    demand_steps = {s["state"]: s for s in agents["demand"]["steps"]}
    assert set(demand_steps) == {"Demand", "DemandReforecast", "ApplyMarkdownLift"}
    assert demand_steps["Demand"]["retry"] == asl["States"]["Demand"]["Retry"]
    assert {s["state"] for s in agents["inventory"]["steps"]} == {
        "Inventory",
        "Replenishment",
        "InventoryReplan",
    }
    # health from the runs: what each workflow's event log says
    completions: dict[str, list[float]] = {"demand": [], "inventory": [], "pricing": []}
    errors: dict[str, list[str]] = {"demand": [], "inventory": [], "pricing": []}
    for workflow in live.container.workflows.list(limit=catalogue.RECENT_RUNS).items:
        for event in live.container.event_log.after(workflow.workflow_id, 0, 1000).events:
            agent = getattr(event, "agent", None)
            if event.type == "agent_completed" and agent in completions:
                completions[agent].append(event.duration_seconds)
            if event.type == "error" and agent in errors:
                errors[agent].append(event.error_message)
    demand = agents["demand"]["health"]
    assert demand["runs"] == len(completions["demand"]) + len(errors["demand"])
    assert demand["errors"] == len(errors["demand"]) >= 1  # the failed run
    assert "no sales history" in demand["last_error"]
    ordered = sorted(completions["demand"])
    assert demand["p50_duration_seconds"] == ordered[(len(ordered) + 1) // 2 - 1]
    assert demand["p95_duration_seconds"] == ordered[-(-len(ordered) * 95 // 100) - 1]
    inventory = agents["inventory"]["health"]
    assert inventory["runs"] == len(completions["inventory"]) >= 3  # 2 plans + 1 replenishment
    assert inventory["errors"] == 0 and inventory["last_error"] is None
    pricing = agents["pricing"]["health"]
    assert pricing["runs"] == 0 and pricing["p50_duration_seconds"] is None
    one = live.api.get("/api/agents/inventory")
    assert one.status_code == 200
    assert one.json()["function"] == agents["inventory"]["function"]


def test_an_unknown_agent_is_404(live: Live) -> None:
    response = live.api.get("/api/agents/merchandiser")
    assert response.status_code == 404
    assert live.api.get("/api/agents/DEMAND").status_code == 422


def test_pauses_and_failures_are_published_on_the_topic(
    live: Live, runs: dict[str, str], inbox: str
) -> None:
    notes = received(inbox)
    by_workflow: dict[str, list[dict[str, Any]]] = {}
    for _, message in notes:
        by_workflow.setdefault(message["workflow_id"], []).append(message)
    (paused,) = by_workflow[runs["completed"]]
    assert paused["event"] == "human_input_required"
    assert paused["action"] == "manufacturing_approval"
    allocation = live.container.workflows.get(runs["completed"]).allocation_id
    assert allocation
    assert paused["key_numbers"]["manufacturing_qty"] > 0
    assert paused["link"].endswith(f"/workflows/{runs['completed']}")
    (failed,) = by_workflow[runs["failed"]]
    assert failed["event"] == "workflow_failed" and "no sales history" in failed["error_message"]
    assert [m["event"] for m in by_workflow[runs["cancelled"]]] == ["human_input_required"]
    # no task token anywhere: the approvals' tokens are not in any message
    text = json.dumps(notes)
    for workflow_id in runs.values():
        last = live.container.workflows.get(workflow_id).last_approval_id
        if last:
            assert live.container.approvals.get(last).task_token not in text


# -- health ----------------------------------------------------------------------------------


def test_health_says_which_build_answers(live: Live) -> None:
    body = live.api.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert body["commit"] is None  # the template's BuildCommit default, ""
    assert body["timestamp"].endswith(("Z", "+00:00"))
