"""The local runtime's data on disk: one snapshot file of the template's tables and buckets.

moto keeps everything in memory, so the runtime writes `<data dir>/snapshot.json` (every item
of every DynamoDB table the template creates, scanned through the moto endpoint, and the
latest version of every object of every bucket with its content type and metadata) and loads
it again after template.create_all on the next start.

The file is written atomically (a temporary file in the data dir, fsync, os.replace, fsync of
the folder): a crash leaves the previous snapshot or the new one, never half of one. A file
that cannot be read, is not a snapshot or has another format version fails the start with a
SnapshotError naming it; the runtime never starts empty over it.

WebSocket connection items (pk `CONN#...`, adapters/connections.py) are not kept: locally the
sockets live in the serving process, so after a restart those rows would name connections that
are gone.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = "fashion-forecast-local-snapshot"
VERSION = 1
SNAPSHOT_NAME = "snapshot.json"
VOLATILE_PK_PREFIXES = ("CONN#",)  # WebSocket connections: gone with the serving process
BATCH_SIZE = 25  # DynamoDB BatchWriteItem's limit

Client = Callable[[str], Any]  # service name -> a boto3 client against the moto endpoint


class SnapshotError(RuntimeError):
    """A snapshot that cannot be used; the message names the file."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    body: bytes
    content_type: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class Snapshot:
    """Items in DynamoDB's typed JSON (as Scan returns them), objects by bucket."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    buckets: dict[str, list[StoredObject]] = field(default_factory=dict)

    def to_json(self) -> bytes:
        document = {
            "format": FORMAT,
            "version": VERSION,
            "tables": {
                name: [_encode_item(item) for item in items] for name, items in self.tables.items()
            },
            "buckets": {
                name: [_encode_object(o) for o in objects] for name, objects in self.buckets.items()
            },
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Snapshot:
        """Raises ValueError, KeyError or TypeError on anything that is not a snapshot."""
        document = json.loads(data)
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file")
        if document.get("version") != VERSION:
            raise ValueError(
                f"format version {document.get('version')!r}; this runtime reads version {VERSION}"
            )
        return cls(
            tables={
                str(name): [_decode_item(item) for item in items]
                for name, items in dict(document["tables"]).items()
            },
            buckets={
                str(name): [_decode_object(o) for o in objects]
                for name, objects in dict(document["buckets"]).items()
            },
        )


def snapshot_path(data_dir: Path) -> Path:
    return data_dir / SNAPSHOT_NAME


def read(data_dir: Path) -> Snapshot | None:
    """The data dir's snapshot, or None when it has none (a first start)."""
    path = snapshot_path(data_dir)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SnapshotError(f"cannot read the local runtime's snapshot {path}: {exc}") from exc
    try:
        return Snapshot.from_json(data)
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
        raise SnapshotError(
            f"the local runtime's snapshot {path} is corrupt or unreadable ({exc}); "
            "nothing was started over it: move it away to start from the sample data, or "
            "restore a good copy"
        ) from exc


def write(data_dir: Path, data: bytes) -> Path:
    """Replace the snapshot with `data` atomically."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = snapshot_path(data_dir)
    descriptor, temporary = tempfile.mkstemp(dir=data_dir, prefix=".snapshot-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    folder = os.open(data_dir, os.O_RDONLY)
    try:  # the rename itself survives a crash only once the folder is synced
        os.fsync(folder)
    finally:
        os.close(folder)
    return path


@contextlib.contextmanager
def _notifications_lifted(s3: Any, bucket: str) -> Iterator[None]:
    configuration = s3.get_bucket_notification_configuration(Bucket=bucket)
    configuration.pop("ResponseMetadata", None)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    try:
        yield
    finally:
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration=configuration
        )


@dataclass
class Snapshotter:
    """Captures the tables and buckets of one runtime and writes them when they changed.

    An object's body is fetched once per (bucket, key, ETag): a capture lists the buckets but
    downloads only what is new, so checking for changes costs a scan and a listing."""

    data_dir: Path
    tables: list[str]
    buckets: list[str]
    client: Client
    _bodies: dict[tuple[str, str, str], StoredObject] = field(default_factory=dict)
    _written: str | None = None  # digest of the last snapshot written or restored
    _lock: threading.RLock = field(default_factory=threading.RLock)  # one capture at a time
    _clients: dict[str, Any] = field(default_factory=dict)
    last_written_at: dt.datetime | None = None

    @property
    def path(self) -> Path:
        return snapshot_path(self.data_dir)

    def _client(self, service: str) -> Any:
        """One client per service, made on first use (at start, in the starting thread:
        making boto3 clients from several threads at once is not safe)."""
        if service not in self._clients:
            self._clients[service] = self.client(service)
        return self._clients[service]

    def restore(self, snapshot: Snapshot) -> None:
        """Put the snapshot's items and objects into the (freshly created, empty) resources.
        A table or bucket the template no longer creates is a SnapshotError: starting without
        it would drop its data from the next snapshot.

        Bucket notifications are lifted while the objects go back: a restored weekly sales
        file must not invoke the variance Lambda again."""
        unknown = sorted(
            {*snapshot.tables} - {*self.tables} | {*snapshot.buckets} - {*self.buckets}
        )
        if unknown:
            raise SnapshotError(
                f"the local runtime's snapshot {self.path} holds {', '.join(unknown)}, which "
                "the template does not create; nothing was started over it"
            )
        dynamodb = self._client("dynamodb")
        for table, items in snapshot.tables.items():
            for start in range(0, len(items), BATCH_SIZE):
                batch = items[start : start + BATCH_SIZE]
                pending: dict[str, Any] = {table: [{"PutRequest": {"Item": i}} for i in batch]}
                while pending:
                    answer = dynamodb.batch_write_item(RequestItems=pending)
                    pending = answer.get("UnprocessedItems") or {}
        s3 = self._client("s3")
        for bucket, objects in snapshot.buckets.items():
            with _notifications_lifted(s3, bucket):
                for obj in objects:
                    extra: dict[str, Any] = {"Metadata": obj.metadata}
                    if obj.content_type:
                        extra["ContentType"] = obj.content_type
                    s3.put_object(Bucket=bucket, Key=obj.key, Body=obj.body, **extra)
        # what is there now counts as written (it is what the file holds): an unchanged
        # runtime writes nothing, and the bodies are cached for the next capture
        self._written = hashlib.sha256(self.capture().to_json()).hexdigest()

    def capture(self) -> Snapshot:
        """The tables and buckets as they are now."""
        with self._lock:
            return self._capture()

    def _capture(self) -> Snapshot:
        snapshot = Snapshot()
        dynamodb = self._client("dynamodb")
        for table in self.tables:
            items = snapshot.tables.setdefault(table, [])
            for page in dynamodb.get_paginator("scan").paginate(
                TableName=table, ConsistentRead=True
            ):
                items.extend(i for i in page.get("Items", []) if not _volatile(i))
            items.sort(key=lambda i: json.dumps(_encode_item(i), sort_keys=True))
        s3 = self._client("s3")
        for bucket in self.buckets:
            objects = snapshot.buckets.setdefault(bucket, [])
            seen = set()
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for listed in page.get("Contents", []):
                    cache_key = (bucket, str(listed["Key"]), str(listed.get("ETag", "")))
                    seen.add(cache_key)
                    if cache_key not in self._bodies:
                        got = s3.get_object(Bucket=bucket, Key=listed["Key"])
                        self._bodies[cache_key] = StoredObject(
                            key=str(listed["Key"]),
                            body=bytes(got["Body"].read()),
                            content_type=got.get("ContentType"),
                            metadata=dict(got.get("Metadata") or {}),
                        )
                    objects.append(self._bodies[cache_key])
            for stale in [k for k in self._bodies if k[0] == bucket and k not in seen]:
                del self._bodies[stale]
        return snapshot

    def save(self, *, force: bool = False) -> bool:
        """Write a snapshot unless nothing changed since the last one; returns whether it
        wrote."""
        with self._lock:
            data = self.capture().to_json()
            digest = hashlib.sha256(data).hexdigest()
            if digest == self._written and not force:
                return False
            write(self.data_dir, data)
            self._written = digest
            self.last_written_at = dt.datetime.now(dt.UTC)
            return True


def _volatile(item: dict[str, Any]) -> bool:
    pk = item.get("pk", {}).get("S", "")
    return isinstance(pk, str) and pk.startswith(VOLATILE_PK_PREFIXES)


# -- JSON: binary attribute values and object bodies as base64 -------------------------------------


def _encode_value(value: dict[str, Any]) -> dict[str, Any]:
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(b).decode() for b in inner]}
    if kind == "M":
        return {"M": _encode_item(inner)}
    if kind == "L":
        return {"L": [_encode_value(v) for v in inner]}
    return {kind: inner}


def _decode_value(value: dict[str, Any]) -> dict[str, Any]:
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner, validate=True)}
    if kind == "BS":
        return {"BS": [base64.b64decode(b, validate=True) for b in inner]}
    if kind == "M":
        return {"M": _decode_item(inner)}
    if kind == "L":
        return {"L": [_decode_value(v) for v in inner]}
    return {kind: inner}


def _encode_item(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _encode_value(value) for name, value in item.items()}


def _decode_item(item: dict[str, Any]) -> dict[str, Any]:
    return {str(name): _decode_value(value) for name, value in dict(item).items()}


def _encode_object(obj: StoredObject) -> dict[str, Any]:
    encoded: dict[str, Any] = {
        "key": obj.key,
        "content_type": obj.content_type,
        "metadata": obj.metadata,
    }
    try:  # text stays readable in the file
        encoded["text"] = obj.body.decode("utf-8")
    except UnicodeDecodeError:
        encoded["base64"] = base64.b64encode(obj.body).decode()
    return encoded


def _decode_object(encoded: dict[str, Any]) -> StoredObject:
    if "text" in encoded:
        body = str(encoded["text"]).encode("utf-8")
    else:
        body = base64.b64decode(encoded["base64"], validate=True)
    return StoredObject(
        key=str(encoded["key"]),
        body=body,
        content_type=encoded.get("content_type"),
        metadata={str(k): str(v) for k, v in dict(encoded.get("metadata") or {}).items()},
    )
