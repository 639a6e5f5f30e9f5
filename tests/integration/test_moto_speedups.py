"""local.moto_speedups: the JSON shortcut for DynamoDB item results answers exactly what moto's
own serializer answers, for every item operation and every attribute type; the functions it
replaces are still where it expects them (moto is pinned; a moved funnel fails here)."""

from __future__ import annotations

import datetime as dt
import inspect
import json
from collections.abc import Iterator
from typing import Any

import boto3
import moto.backends
import pytest
from moto.core.responses import ActionContext, ActionResult
from moto.dynamodb.responses import DynamoResult
from moto.moto_server import werkzeug_app

from fashion_forecast_local.moto_speedups import (
    ITEM_OPERATIONS,
    MotoSpeedups,
    NotPlain,
    fast_item_results,
    shaped,
)

TABLE = "Speedups"
EVERY_TYPE = {
    "pk": {"S": "item#1"},
    "sk": {"S": "A"},
    "gsi1pk": {"S": "LIST"},
    "gsi1sk": {"S": "2025-03-03T00:00:00.000000+00:00#1"},
    "text": {"S": 'naïve ✓ "quoted" \\ back\nslash'},
    "number": {"N": "-12.5e3"},
    "big": {"N": "1" + "0" * 37},
    "blob": {"B": b"\x00\xffbinary"},
    "strings": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2.5"]},
    "blobs": {"BS": [b"\x01", b"\x02\x03"]},
    "nothing": {"NULL": True},
    "flag": {"BOOL": False},
    "nested": {
        "M": {
            "list": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"deep": {"B": b"\x04"}}}]},
            "empty_map": {"M": {}},
            "empty_list": {"L": []},
        }
    },
}


@pytest.fixture
def compared(aws: None) -> Iterator[list[tuple[str, bool]]]:
    """Every DynamoDB result answered twice, by moto's serializer and by the shortcut; the
    client gets the shortcut's. Yields (operation, took the shortcut) per result."""
    original = DynamoResult.execute_result
    fast = fast_item_results(original)
    seen: list[tuple[str, bool]] = []

    def both(self: DynamoResult, context: ActionContext) -> Any:
        slow = original(self, context)
        quick = fast(self, context)
        assert quick[0] == slow[0]
        assert quick[1] == slow[1]
        assert json.loads(quick[2]) == json.loads(slow[2]), context.operation_model.name
        output = context.operation_model.output_shape
        try:
            shaped(self.result, output)
            shortcut = context.operation_model.name in ITEM_OPERATIONS
        except NotPlain:
            shortcut = False
        seen.append((context.operation_model.name, shortcut))
        return quick

    DynamoResult.execute_result = both  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        del DynamoResult.execute_result


def create_table(ddb: Any) -> None:
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gsi1pk", "gsi1sk")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "GSI1",
                "KeySchema": [
                    {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def key(pk: str, sk: str = "A") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def test_every_item_operation_answers_as_moto_serializer_does(
    compared: list[tuple[str, bool]],
) -> None:
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    create_table(ddb)
    total = {"ReturnConsumedCapacity": "TOTAL"}
    indexes = {"ReturnConsumedCapacity": "INDEXES"}
    ddb.put_item(TableName=TABLE, Item=EVERY_TYPE, **total)
    replaced = ddb.put_item(
        TableName=TABLE, Item={**EVERY_TYPE, "flag": {"BOOL": True}}, ReturnValues="ALL_OLD"
    )
    assert replaced["Attributes"] == EVERY_TYPE  # the blobs come back as the bytes sent
    for i in range(5):
        item = {**key(f"item#{i + 2}"), "gsi1pk": {"S": "LIST"}, "gsi1sk": {"S": f"{i}"}}
        ddb.put_item(TableName=TABLE, Item={**item, "n": {"N": str(i)}})
    got = ddb.get_item(TableName=TABLE, Key=key("item#1"), **indexes)
    assert got["Item"]["flag"] == {"BOOL": True}
    assert got["Item"]["nested"] == EVERY_TYPE["nested"]
    assert "Item" not in ddb.get_item(TableName=TABLE, Key=key("missing"))
    ddb.get_item(
        TableName=TABLE,
        Key=key("item#1"),
        ProjectionExpression="#t, nested.empty_map, #b",
        ExpressionAttributeNames={"#t": "text", "#b": "blob"},
    )
    ddb.update_item(
        TableName=TABLE,
        Key=key("item#2"),
        UpdateExpression="SET n = n + :one, #b = :b REMOVE gsi1pk",
        ExpressionAttributeNames={"#b": "blob"},
        ExpressionAttributeValues={":one": {"N": "1"}, ":b": {"B": b"\x05"}},
        ReturnValues="ALL_NEW",
        **total,
    )
    ddb.update_item(
        TableName=TABLE,
        Key=key("item#3"),
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "7"}},
        ReturnValues="UPDATED_OLD",
    )
    ddb.update_item(
        TableName=TABLE,
        Key=key("item#4"),
        UpdateExpression="SET x = :x",
        ExpressionAttributeValues={":x": {"S": "y"}},
    )
    page = ddb.query(
        TableName=TABLE,
        IndexName="GSI1",
        KeyConditionExpression="gsi1pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "LIST"}},
        ScanIndexForward=False,
        Limit=2,
        **indexes,
    )
    assert len(page["Items"]) == 2 and "LastEvaluatedKey" in page
    ddb.query(
        TableName=TABLE,
        IndexName="GSI1",
        KeyConditionExpression="gsi1pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "LIST"}, ":n": {"N": "2"}},
        FilterExpression="n >= :n",
        ExclusiveStartKey=page["LastEvaluatedKey"],
    )
    ddb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "item#1"}},
        Select="COUNT",
    )
    ddb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "nobody"}},
    )
    ddb.scan(TableName=TABLE, Limit=3)
    ddb.scan(TableName=TABLE, Select="COUNT", **total)
    ddb.batch_get_item(
        RequestItems={TABLE: {"Keys": [key("item#1"), key("item#5"), key("missing")]}}, **total
    )
    ddb.batch_write_item(
        RequestItems={
            TABLE: [
                {"PutRequest": {"Item": {**key("item#9"), "blob": {"B": b"\x06"}}}},
                {"DeleteRequest": {"Key": key("item#6")}},
            ]
        },
        ReturnConsumedCapacity="TOTAL",
    )
    ddb.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": TABLE, "Key": key("item#1")}},
            {"Get": {"TableName": TABLE, "Key": key("missing")}},
        ],
        **total,
    )
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {**key("item#10"), "v": {"N": "1"}}}},
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": key("item#9"),
                    "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"N": "2"}},
                }
            },
            {"Delete": {"TableName": TABLE, "Key": key("item#5")}},
            {
                "ConditionCheck": {
                    "TableName": TABLE,
                    "Key": key("item#1"),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
        ],
        **total,
    )
    deleted = ddb.delete_item(TableName=TABLE, Key=key("item#1"), ReturnValues="ALL_OLD", **total)
    assert deleted["Attributes"]["blobs"] == {"BS": [b"\x01", b"\x02\x03"]}
    ddb.delete_item(TableName=TABLE, Key=key("missing"))
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):  # errors: moto's path
        ddb.put_item(
            TableName=TABLE, Item=key("item#2"), ConditionExpression="attribute_not_exists(pk)"
        )
    ddb.describe_table(TableName=TABLE)  # not an item operation: moto's serializer

    shortcuts = {operation for operation, shortcut in compared if shortcut}
    assert shortcuts == ITEM_OPERATIONS
    assert ("DescribeTable", False) in compared


def test_a_value_the_shortcut_does_not_know_goes_through_moto() -> None:
    dynamodb = boto3.session.Session().get_available_services()  # botocore's models, offline
    assert "dynamodb" in dynamodb
    model = boto3.session.Session()._session.get_service_model("dynamodb")
    get_item = model.operation_model("GetItem").output_shape
    describe = model.operation_model("DescribeTable").output_shape
    item = {"Item": {"b": {"B": b"\x00"}, "n": {"N": "1"}}, "Stray": 1, "ConsumedCapacity": None}
    assert shaped(item, get_item) == {"Item": {"b": {"B": "AA=="}, "n": {"N": "1"}}}
    table = {"Table": {"CreationDateTime": dt.datetime(2025, 3, 3, tzinfo=dt.UTC)}}
    with pytest.raises(NotPlain):
        shaped(table, describe)
    with pytest.raises(NotPlain):
        shaped({"Item": {"a": None}}, get_item)


def test_install_and_uninstall_leave_moto_as_it_was() -> None:
    assert "execute_result" not in vars(DynamoResult)
    original_list = moto.backends.list_of_moto_modules
    speedups = MotoSpeedups().install()
    try:
        assert DynamoResult.execute_result is not ActionResult.execute_result
        assert "dynamodb" in moto.backends.list_of_moto_modules()
        assert tuple(moto.backends.list_of_moto_modules()) == tuple(original_list())
        speedups.install()  # twice: a no-op
    finally:
        speedups.uninstall()
    assert "execute_result" not in vars(DynamoResult)
    assert DynamoResult.execute_result is ActionResult.execute_result
    assert moto.backends.list_of_moto_modules is original_list


def test_the_funnels_are_where_the_speedups_expect_them() -> None:
    assert list(inspect.signature(ActionResult.execute_result).parameters) == ["self", "context"]
    assert {"operation_model", "serializer_class"} <= set(ActionContext.__annotations__)
    source = inspect.getsource(ActionResult.execute_result)
    assert "serializer.serialize(self.result)" in source
    assert "backends.list_of_moto_modules()" in inspect.getsource(werkzeug_app)
