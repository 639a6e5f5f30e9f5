"""S3 objects of the data bucket: raw uploads in, weekly aggregates out."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from fashion_forecast.adapters.aws import client, error_code
from fashion_forecast.ports import NotFoundError, UnavailableError


class ObjectStore:
    def __init__(self, bucket: str, s3: Any | None = None) -> None:
        self.bucket = bucket
        self._s3 = s3

    @property
    def s3(self) -> Any:
        return self._s3 or client("s3")

    def get_text(self, key: str) -> str:
        return self.get_bytes(key).decode("utf-8")

    def get_bytes(self, key: str) -> bytes:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if error_code(exc) in {"NoSuchKey", "404"}:
                raise NotFoundError(f"s3://{self.bucket}/{key} not found") from exc
            raise UnavailableError(f"S3 get_object failed: {error_code(exc)}") from exc
        except BotoCoreError as exc:
            raise UnavailableError(f"S3 unreachable: {exc}") from exc
        return bytes(body)

    def put_bytes(self, key: str, data: bytes, content_type: str = "text/csv") -> str:
        """Store `data`; returns the object's ETag (without quotes)."""
        try:
            response = self.s3.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type
            )
        except (ClientError, BotoCoreError) as exc:
            raise UnavailableError(f"S3 put_object failed: {exc}") from exc
        return str(response.get("ETag", "")).strip('"')

    def presigned_put_url(self, key: str, expires_in: int) -> str:
        """A URL that lets its holder PUT one object under `key` until it expires."""
        try:
            return str(
                self.s3.generate_presigned_url(
                    "put_object",
                    Params={"Bucket": self.bucket, "Key": key},
                    ExpiresIn=expires_in,
                    HttpMethod="PUT",
                )
            )
        except (ClientError, BotoCoreError) as exc:
            raise UnavailableError(f"S3 presign failed: {exc}") from exc

    def put_text(self, key: str, text: str, content_type: str = "text/csv") -> None:
        try:
            self.s3.put_object(
                Bucket=self.bucket, Key=key, Body=text.encode("utf-8"), ContentType=content_type
            )
        except (ClientError, BotoCoreError) as exc:
            raise UnavailableError(f"S3 put_object failed: {exc}") from exc

    def delete(self, key: str) -> None:
        """Remove an object (no-op when there is none)."""
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise UnavailableError(f"S3 delete_object failed: {exc}") from exc

    def etags(self, prefix: str) -> dict[str, str]:
        """Every key under `prefix` with its ETag (without quotes), from the listing."""
        try:
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            return {
                obj["Key"]: str(obj.get("ETag", "")).strip('"')
                for page in pages
                for obj in page.get("Contents", [])
            }
        except (ClientError, BotoCoreError) as exc:
            raise UnavailableError(f"S3 list_objects_v2 failed: {exc}") from exc
