"""local.persistence on moto's in-process mock: the snapshot format, the atomic write, dump and
restore of the template's table and bucket."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import boto3
import pytest

from fashion_forecast_local import persistence
from fashion_forecast_local.persistence import Snapshot, SnapshotError, Snapshotter, StoredObject
from fashion_forecast_local.template import Template

REGION = "us-east-1"
BUCKET = "data-bucket"
TABLE = "DataTable"
NOTIFICATION = {
    "LambdaFunctionConfigurations": [
        {
            "Id": "weekly",
            "LambdaFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:VarianceFunction",
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/weekly/"}]}},
        }
    ]
}
ITEMS: list[dict[str, Any]] = [
    {"pk": {"S": "WF#1"}, "sk": {"S": "WORKFLOW"}, "n": {"N": "3"}, "none": {"NULL": True}},
    {
        "pk": {"S": "IDEMPOTENCY#x"},
        "sk": {"S": "RECORD"},
        "blob": {"B": b"\x00\xffbinary"},
        "blobs": {"BS": [b"a", b"\x01"]},
        "nested": {"M": {"list": {"L": [{"B": b"\x02"}, {"SS": ["a", "b"]}, {"BOOL": False}]}}},
    },
]


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


@pytest.fixture
def resources(aws: None, template: Template) -> Snapshotter:
    template.create_tables(client("dynamodb"))
    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration=NOTIFICATION)
    return Snapshotter(Path("unused"), tables=[TABLE], buckets=[BUCKET], client=client)


def scan() -> list[dict[str, Any]]:
    items = client("dynamodb").scan(TableName=TABLE)["Items"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def snapshot_with_data() -> Snapshot:
    return Snapshot(
        tables={TABLE: ITEMS},
        buckets={
            BUCKET: [
                StoredObject("history/weekly/a.csv", b"week,units\n1,2\n", "text/csv"),
                StoredObject("blob.bin", bytes(range(256)), "application/octet-stream"),
                StoredObject(
                    "meta.json", '{"caf\u00e9": 1}'.encode(), "application/json", {"o": "t"}
                ),
            ]
        },
    )


def test_the_json_form_round_trips_binary_values_and_bodies() -> None:
    snapshot = snapshot_with_data()
    data = snapshot.to_json()
    assert Snapshot.from_json(data) == snapshot
    assert b'"format":"fashion-forecast-local-snapshot"' in data
    assert b'"version":1' in data
    assert b'"text":"week,units\\n1,2\\n"' in data  # text stays readable


def test_restore_then_capture_gives_the_snapshot_back(resources: Snapshotter) -> None:
    snapshot = snapshot_with_data()
    resources.restore(snapshot)
    assert scan() == sorted(ITEMS, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
    captured = resources.capture()
    assert {o.key: o for o in captured.buckets[BUCKET]} == {
        o.key: o for o in snapshot.buckets[BUCKET]
    }
    assert Snapshot.from_json(captured.to_json()) == captured
    # the notifications were lifted for the restore only
    configuration = client("s3").get_bucket_notification_configuration(Bucket=BUCKET)
    assert (
        configuration["LambdaFunctionConfigurations"]
        == (NOTIFICATION["LambdaFunctionConfigurations"])
    )


def test_more_items_than_one_batch_are_restored(resources: Snapshotter) -> None:
    items = [{"pk": {"S": f"WF#{i}"}, "sk": {"S": "WORKFLOW"}} for i in range(60)]
    resources.restore(Snapshot(tables={TABLE: items}, buckets={}))
    assert len(scan()) == 60


def test_websocket_connections_are_not_kept(resources: Snapshotter) -> None:
    ddb = client("dynamodb")
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "CONN#abc"}, "sk": {"S": "CONNECTION"}})
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "WF#1"}, "sk": {"S": "WORKFLOW"}})
    assert resources.capture().tables[TABLE] == [{"pk": {"S": "WF#1"}, "sk": {"S": "WORKFLOW"}}]


def test_a_snapshot_of_unknown_resources_is_refused(resources: Snapshotter) -> None:
    with pytest.raises(SnapshotError, match="OtherTable, other-bucket"):
        resources.restore(Snapshot(tables={"OtherTable": []}, buckets={"other-bucket": []}))
    assert scan() == []


def test_save_writes_only_when_something_changed(resources: Snapshotter, tmp_path: Path) -> None:
    resources.data_dir = tmp_path
    assert resources.save() is True
    assert resources.save() is False
    client("s3").put_object(Bucket=BUCKET, Key="k.csv", Body=b"x")
    assert resources.save() is True
    restored = persistence.read(tmp_path)
    assert restored is not None
    assert [o.key for o in restored.buckets[BUCKET]] == ["k.csv"]
    client("s3").delete_object(Bucket=BUCKET, Key="k.csv")
    assert resources.save() is True
    restored = persistence.read(tmp_path)
    assert restored is not None
    assert restored.buckets[BUCKET] == []


def test_a_restored_snapshot_counts_as_written(resources: Snapshotter, tmp_path: Path) -> None:
    resources.data_dir = tmp_path
    resources.restore(snapshot_with_data())
    assert resources.save() is False


def test_read_without_a_snapshot_is_none(tmp_path: Path) -> None:
    assert persistence.read(tmp_path) is None
    assert persistence.read(tmp_path / "missing") is None


def test_an_unreadable_snapshot_names_the_file(tmp_path: Path) -> None:
    (tmp_path / persistence.SNAPSHOT_NAME).mkdir()
    with pytest.raises(SnapshotError, match="cannot read") as failed:
        persistence.read(tmp_path)
    assert str(tmp_path / persistence.SNAPSHOT_NAME) in str(failed.value)


def test_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    data_dir = tmp_path / "new"
    path = persistence.write(data_dir, b"first")
    assert path == data_dir / persistence.SNAPSHOT_NAME
    persistence.write(data_dir, b"second")
    assert path.read_bytes() == b"second"
    assert os.listdir(data_dir) == [persistence.SNAPSHOT_NAME]


def test_a_failed_write_keeps_the_previous_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    persistence.write(tmp_path, b"good")

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        persistence.write(tmp_path, b"half")
    assert (tmp_path / persistence.SNAPSHOT_NAME).read_bytes() == b"good"
    assert os.listdir(tmp_path) == [persistence.SNAPSHOT_NAME]
