"""The local runtime (moto in server mode): a presigned PUT goes to the local endpoint, and the
bucket notification built from template.yaml runs the variance Lambda in-process."""

from __future__ import annotations

import time

import httpx
from fastapi.testclient import TestClient

from fashion_forecast.api.app import create_app
from fashion_forecast.container import build as build_container
from fashion_forecast.settings import get_settings
from fashion_forecast_local.runtime import LocalRuntime
from tests.auth import as_caller
from tests.integration.seasons import seed_season, week_file


def test_presigned_and_multipart_uploads_in_the_local_runtime() -> None:
    with LocalRuntime() as runtime:
        container = build_container(get_settings())
        forecast_id = seed_season(container)
        with TestClient(as_caller(create_app(container)), raise_server_exceptions=False) as api:
            ticket = api.post(
                "/api/data/upload-url", json={"forecast_id": forecast_id, "week_number": 1}
            ).json()
            assert ticket["url"].startswith(f"{runtime.endpoint}/{container.sales.bucket}/")
            put = httpx.put(ticket["url"], content=week_file(1, 20), timeout=30)
            assert put.status_code == 200
            done = api.get(ticket["status_url"]).json()
            assert (done["status"], done["variance"]["display"]) == ("accepted", "+0.0%")

            second = api.post(
                "/api/data/upload-weekly-sales",
                data={"forecast_id": forecast_id, "week_number": "2"},
                files={"file": ("w.csv", week_file(2, 30), "text/csv")},
            )
            assert second.status_code == 201, second.text
            assert second.json()["variance"]["action_taken"] == "reforecast_started"
            (reforecast_id,) = second.json()["workflows_started"]
            deadline = time.monotonic() + 30
            while container.workflows.get(reforecast_id).status.value != "awaiting_approval":
                assert time.monotonic() < deadline, "the re-forecast did not reach its approval"
                time.sleep(0.05)
        assert runtime.lambdas is not None
        invoked = [name for name, _ in runtime.lambdas.invocations]
        assert invoked.count("VarianceFunction") == 2
