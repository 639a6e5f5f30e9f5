"""In-season items next to their forecast in the single table: uploads, actuals, variance rows,
the inventory position.

Item layout: pk = "FORECAST#<forecast_id>" (the forecast record itself is sk = "FORECAST"),
sk = "UPLOAD#<upload_id>" | "ACTUALS#W<nn>" | "VARIANCE#W<nn>" | "POSITION", body = the model
as JSON.
One query on the partition lists a forecast's actuals or variance rows; every write is
conditional (new, or the revision / upload it replaces), so concurrent writers conflict instead
of overwriting each other.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from fashion_forecast.adapters.aws import DynamoTable, dynamodb_call
from fashion_forecast.models.sales import (
    InventoryPosition,
    VarianceRecord,
    WeekActuals,
    WeeklyUpload,
)
from fashion_forecast.ports import ConflictError, NotFoundError

M = TypeVar("M", bound=BaseModel)


def _pk(forecast_id: str) -> str:
    return f"FORECAST#{forecast_id}"


def _week(week: int) -> str:
    return f"W{week:02d}"


class InSeasonStore(DynamoTable):
    # -- uploads ----------------------------------------------------------------------------------

    def create_upload(self, upload: WeeklyUpload) -> None:
        """A new upload record; an existing one with the same id is a conflict."""
        self._put(
            upload.forecast_id,
            f"UPLOAD#{upload.upload_id}",
            "upload",
            upload,
            {"revision": {"N": str(upload.revision)}},
            "attribute_not_exists(pk)",
            {},
        )

    def save_upload(self, upload: WeeklyUpload) -> None:
        """Replace the upload record at revision r with `upload` (revision r + 1)."""
        self._put(
            upload.forecast_id,
            f"UPLOAD#{upload.upload_id}",
            "upload",
            upload,
            {"revision": {"N": str(upload.revision)}},
            "attribute_exists(pk) AND revision = :expected",
            {":expected": {"N": str(upload.revision - 1)}},
        )

    def get_upload(self, forecast_id: str, upload_id: str) -> WeeklyUpload:
        return self._get(forecast_id, f"UPLOAD#{upload_id}", WeeklyUpload, f"upload {upload_id}")

    # -- actuals ----------------------------------------------------------------------------------

    def put_actuals(self, actuals: WeekActuals) -> bool:
        """Store a week's actuals unless a later upload (by upload id order) already did.
        Returns whether these numbers are now the stored ones."""
        try:
            self._put(
                actuals.forecast_id,
                f"ACTUALS#{_week(actuals.week)}",
                "actuals",
                actuals,
                {"upload_id": {"S": actuals.upload_id}},
                "attribute_not_exists(pk) OR upload_id <= :upload",
                {":upload": {"S": actuals.upload_id}},
            )
        except ConflictError:
            return False
        return True

    def list_actuals(self, forecast_id: str) -> dict[int, WeekActuals]:
        return {a.week: a for a in self._query(forecast_id, "ACTUALS#", WeekActuals)}

    # -- variance ---------------------------------------------------------------------------------

    def save_variance(self, record: VarianceRecord) -> None:
        """Write a week's variance row: new at revision 1, else replacing revision r - 1."""
        key = f"VARIANCE#{_week(record.week)}"
        self._put_revision(record.forecast_id, key, "variance", record, record.revision)

    def get_variance(self, forecast_id: str, week: int) -> VarianceRecord:
        return self._get(
            forecast_id, f"VARIANCE#{_week(week)}", VarianceRecord, f"variance of week {week}"
        )

    def list_variance(self, forecast_id: str) -> dict[int, VarianceRecord]:
        return {v.week: v for v in self._query(forecast_id, "VARIANCE#", VarianceRecord)}

    # -- the inventory position -------------------------------------------------------------------

    def save_position(self, position: InventoryPosition) -> None:
        """Write the season's position: new at revision 1, else replacing revision r - 1."""
        forecast_id, revision = position.forecast_id, position.revision
        self._put_revision(forecast_id, "POSITION", "position", position, revision)

    def get_position(self, forecast_id: str) -> InventoryPosition:
        return self._get(forecast_id, "POSITION", InventoryPosition, "inventory position")

    # -- plumbing ---------------------------------------------------------------------------------

    def _put_revision(
        self, forecast_id: str, sk: str, entity: str, body: BaseModel, revision: int
    ) -> None:
        if revision == 1:
            condition, values = "attribute_not_exists(pk)", {}
        else:
            condition = "attribute_exists(pk) AND revision = :expected"
            values = {":expected": {"N": str(revision - 1)}}
        self._put(
            forecast_id, sk, entity, body, {"revision": {"N": str(revision)}}, condition, values
        )

    def _put(
        self,
        forecast_id: str,
        sk: str,
        entity: str,
        body: BaseModel,
        extra: dict[str, Any],
        condition: str,
        values: dict[str, Any],
    ) -> None:
        item = {
            "pk": {"S": _pk(forecast_id)},
            "sk": {"S": sk},
            "entity": {"S": entity},
            "body": {"S": body.model_dump_json()},
            **extra,
        }
        kwargs: dict[str, Any] = {"ConditionExpression": condition}
        if values:
            kwargs["ExpressionAttributeValues"] = values
        dynamodb_call(
            self.ddb,
            "put_item",
            conflict=f"{entity} {sk} of forecast {forecast_id} was changed concurrently",
            TableName=self.table_name,
            Item=item,
            **kwargs,
        )

    def _get(self, forecast_id: str, sk: str, model: type[M], what: str) -> M:
        response = dynamodb_call(
            self.ddb,
            "get_item",
            TableName=self.table_name,
            Key={"pk": {"S": _pk(forecast_id)}, "sk": {"S": sk}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        if not item:
            raise NotFoundError(f"{what} of forecast {forecast_id} not found")
        return model.model_validate_json(item["body"]["S"])

    def _query(self, forecast_id: str, prefix: str, model: type[M]) -> list[M]:
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": _pk(forecast_id)},
                ":prefix": {"S": prefix},
            },
            "ConsistentRead": True,
        }
        out: list[M] = []
        while True:
            response = dynamodb_call(self.ddb, "query", **query)
            out.extend(model.model_validate_json(i["body"]["S"]) for i in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return out
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
