"""Sales data endpoints: history and store uploads, categories, stores (moto, no workflows)."""

from __future__ import annotations

import base64
import json
from types import ModuleType
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from fashion_forecast.domain.history import aggregate_weekly
from fashion_forecast.ports import Container
from fashion_forecast_local import sample_data
from fashion_forecast_local.template import Template
from tests.integration.test_api_lambda import LambdaContext, handler_module, rest_event

__all__ = ["handler_module"]  # the fixture, shared with the API Lambda tests

STORE_HEADER = (
    "store_id,store_name,region,store_size_sqft,median_income,location_tier,fashion_tier,"
    "store_format\n"
)


@pytest.fixture
def data_api(api: TestClient, container: Container, template: Template) -> TestClient:
    template.create_buckets(boto3.client("s3"))
    return api


def post_file(api: TestClient, path: str, data: bytes, name: str = "f.csv") -> Any:
    return api.post(path, files={"file": (name, data, "text/csv")})


def objects(prefix: str, container: Container) -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=container.sales.bucket, Prefix=prefix)
    return [o["Key"] for o in listing.get("Contents", [])]


def test_historical_upload_aggregates_weekly_and_lists_categories(
    data_api: TestClient, container: Container
) -> None:
    data = sample_data.sample_file("historical_sales.csv").read_bytes()
    response = data_api.post(
        "/api/data/upload-historical-sales", files={"file": ("h.csv", data, "text/csv")}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {
        "upload_id": body["upload_id"],
        "rows_imported": 23400,
        "date_range": {"start": "2022-03-07", "end": "2025-02-24"},
        "categories_detected": ["mens_basics", "womens_dresses", "womens_outerwear"],
        "stores_detected": 50,
        "weeks_imported": 156,
    }
    assert objects("uploads/history/", container) == [f"uploads/history/{body['upload_id']}.csv"]
    expected = aggregate_weekly(sample_data.load_sample_history())
    assert container.sales.category_history("womens_dresses") == expected["womens_dresses"]

    categories = data_api.get("/api/categories").json()["items"]
    assert categories[1] == {
        "category_id": "womens_dresses",
        "name": "Womens Dresses",
        "rows": 7800,
        "stores": 50,
        "weeks": 156,
        "date_range": {"start": "2022-03-07", "end": "2025-03-02"},
    }
    assert [c["category_id"] for c in categories] == body["categories_detected"]

    # a later file replaces the weeks it covers and keeps the others
    update = b"date,store_id,category,quantity_sold\n2025-02-24,S001,womens_dresses,5\n"
    again = data_api.post(
        "/api/data/upload-historical-sales", files={"file": ("u.csv", update, "text/csv")}
    )
    assert again.status_code == 201
    rows = container.sales.category_history("womens_dresses")
    last_week = [r for r in rows if r.week_start.isoformat() == "2025-02-24"]
    assert [(r.store_id, r.quantity_sold) for r in last_week] == [("S001", 5.0)]
    assert len(rows) == 7800 - 50 + 1
    listed = {c["category_id"]: c for c in data_api.get("/api/categories").json()["items"]}
    assert listed["womens_dresses"]["rows"] == 7751


@pytest.mark.parametrize(
    ("data", "code", "details"),
    [
        (b"", "empty_file", [{"row": None, "column": None, "message": "the file has no content"}]),
        (
            b"date,store_id,category\n2025-01-06,S001,x\n",
            "invalid_file",
            [{"row": 1, "column": "quantity_sold", "message": "missing column quantity_sold"}],
        ),
        (
            b"date,store_id,category,quantity_sold\n2025-01-06,S001,x,1\n06/01/2025,S001,x,1\n",
            "invalid_file",
            [{"row": 3, "column": "date", "message": "date '06/01/2025' is not YYYY-MM-DD"}],
        ),
        (
            "date,store_id,category,quantity_sold\n2025-01-06,S001,caf\u00e9,1\n".encode("latin-1"),
            "invalid_encoding",
            [{"row": 2, "column": None, "message": "byte 0xe9 at offset 56 is not valid UTF-8"}],
        ),
    ],
)
def test_bad_historical_files_store_nothing(
    data_api: TestClient, container: Container, data: bytes, code: str, details: list[object]
) -> None:
    response = data_api.post(
        "/api/data/upload-historical-sales", files={"file": ("h.csv", data, "text/csv")}
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert (body["error_code"], body["details"]) == (code, details)
    assert objects("", container) == []
    assert data_api.get("/api/categories").json() == {"items": []}


def test_store_upload_replaces_the_store_list(data_api: TestClient, container: Container) -> None:
    data = sample_data.sample_file("store_attributes.csv").read_bytes()
    response = data_api.post(
        "/api/data/upload-store-attributes", files={"file": ("s.csv", data, "text/csv")}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["rows_imported"], body["regions"]) == (
        50,
        ["Midwest", "Northeast", "Southeast", "West"],
    )
    assert sum(body["fashion_tiers"].values()) == 50
    stores = data_api.get("/api/stores").json()
    assert len(stores["items"]) == 50
    assert stores["items"][0] == {
        "store_id": "S001",
        "store_name": "Pittsburgh #1",
        "region": "Northeast",
        "store_size_sqft": 24700,
        "median_income": 75000.0,
        "location_tier": "B",
        "fashion_tier": "Mainstream",
        "store_format": "Mall",
        "cluster_id": None,
        "cluster_name": None,
        "store_factor": None,
    }
    assert stores["clustering"] is None
    assert stores["note"].startswith("No forecast yet: stores are clustered by the Demand agent")
    clusters = data_api.get("/api/stores/clusters").json()
    assert (clusters["items"], clusters["clustering"]) == ([], None)

    smaller = (STORE_HEADER + "S900,New,West,1000,50000,c,value,outlet\n").encode()
    replaced = data_api.post(
        "/api/data/upload-store-attributes", files={"file": ("s.csv", smaller, "text/csv")}
    )
    assert replaced.status_code == 201
    assert [s["store_id"] for s in data_api.get("/api/stores").json()["items"]] == ["S900"]
    assert {s["store_id"] for s in container.sales.store_attributes()} == {"S900"}


def test_a_bad_store_file_keeps_the_stored_list(data_api: TestClient, container: Container) -> None:
    good = (STORE_HEADER + "S1,A,West,1000,50000,A,Premium,Mall\n").encode()
    assert post_file(data_api, "/api/data/upload-store-attributes", good).status_code == 201
    bad = STORE_HEADER + "S2,B,West,1000,50000,A,Premium,Mall\nS2,C,West,1,1,Z,Premium,Mall\n"
    response = data_api.post(
        "/api/data/upload-store-attributes", files={"file": ("s.csv", bad.encode(), "text/csv")}
    )
    assert response.status_code == 422
    assert [(d["row"], d["column"]) for d in response.json()["details"]] == [(3, "location_tier")]
    assert {s["store_id"] for s in container.sales.store_attributes()} == {"S1"}
    assert len(objects("uploads/stores/", container)) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/api/data/upload-historical-sales",
        "/api/data/upload-store-attributes",
        "/api/data/upload-weekly-sales",
    ],
)
def test_malformed_multipart_requests(data_api: TestClient, path: str) -> None:
    as_json = data_api.post(path, json={"file": "date,store_id"})
    assert as_json.status_code == 422
    assert as_json.json()["error_code"] == "validation_error"
    assert "file" in {d["field"] for d in as_json.json()["details"]}
    no_file = data_api.post(path, data={"something": "else"})
    assert no_file.status_code == 422
    too_big = data_api.post(path, files={"file": ("big.csv", b"x" * (11 * 1024 * 1024))})
    assert too_big.status_code == 413
    assert too_big.json()["error_code"] == "payload_too_large"


def test_other_bodies_keep_the_1_mib_limit(data_api: TestClient) -> None:
    response = data_api.post(
        "/api/data/upload-url",
        content=b"{" + b" " * (1024 * 1024 + 1) + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413


def test_a_multipart_upload_through_api_gateway_and_mangum(
    handler_module: ModuleType, template: Template, container: Container
) -> None:
    """API Gateway passes multipart bodies base64-encoded (BinaryMediaTypes): byte for byte."""
    template.create_buckets(boto3.client("s3"))
    data = (STORE_HEADER + "S1,Caf\u00e9 Street,West,1000,50000,A,Premium,Mall\n").encode()
    body = (
        b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="s.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + data + b"\r\n--xyz--\r\n"
    )
    event = rest_event("POST", "/api/data/upload-store-attributes")
    event["headers"]["content-type"] = "multipart/form-data; boundary=xyz"
    event["body"] = base64.b64encode(body).decode()
    event["isBase64Encoded"] = True
    response = handler_module.handler(event, LambdaContext())
    assert response["statusCode"] == 201, response["body"]
    assert json.loads(response["body"])["rows_imported"] == 1
    assert container.sales.store_attributes()[0]["store_name"] == "Caf\u00e9 Street"


def test_category_history_sums_stores_per_week_and_keeps_the_last_weeks(
    data_api: TestClient,
) -> None:
    """The forecast chart's history: units per week over all stores, a week without rows as
    0, the last `weeks` weeks; an unknown category is a 404, a bad `weeks` a 422."""
    data = (
        b"date,store_id,category,quantity_sold\n"
        b"2025-02-03,S001,womens_dresses,10\n"
        b"2025-02-05,S002,womens_dresses,4\n"  # same week (Monday 2025-02-03)
        b"2025-02-10,S001,womens_dresses,7\n"
        b"2025-02-24,S002,womens_dresses,3\n"  # 2025-02-17 has no rows
        b"2025-02-24,S001,mens_basics,99\n"
    )
    assert post_file(data_api, "/api/data/upload-historical-sales", data).status_code == 201
    whole = data_api.get("/api/categories/womens_dresses/history?weeks=10")
    assert whole.status_code == 200, whole.text
    assert whole.json() == {
        "category_id": "womens_dresses",
        "weeks": [
            {"week_start": "2025-02-03", "units": 14.0},
            {"week_start": "2025-02-10", "units": 7.0},
            {"week_start": "2025-02-17", "units": 0.0},
            {"week_start": "2025-02-24", "units": 3.0},
        ],
    }
    last = data_api.get("/api/categories/womens_dresses/history?weeks=2").json()["weeks"]
    assert [w["week_start"] for w in last] == ["2025-02-17", "2025-02-24"]
    unknown = data_api.get("/api/categories/womens_shoes/history")
    assert unknown.status_code == 404
    assert unknown.json()["error_code"] == "not_found"
    for bad in ("0", "521", "x"):
        response = data_api.get(f"/api/categories/womens_dresses/history?weeks={bad}")
        assert response.status_code == 422, bad
    assert data_api.get("/api/categories/Bad%20Id/history").status_code == 422
