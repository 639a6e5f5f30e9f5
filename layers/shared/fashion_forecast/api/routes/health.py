"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from fashion_forecast import __version__
from fashion_forecast.api.auth import OPEN, requires
from fashion_forecast.api.deps import get_container
from fashion_forecast.api.errors import ApiError, ErrorResponse
from fashion_forecast.api.schemas import HealthStatus
from fashion_forecast.app.readiness import readiness as check_readiness
from fashion_forecast.models.identity import Role
from fashion_forecast.ports import Container

router = APIRouter(prefix="/api/health", tags=["health"])


def _health(c: Container, checks: dict[str, str] | None = None) -> HealthStatus:
    return HealthStatus(
        status="ok",
        checks=checks or {},
        version=__version__,
        commit=c.settings.build_commit,
        timestamp=c.clock.now(),
    )


@router.get(
    "",
    response_model=HealthStatus,
    summary="Liveness, with the version and commit that answer",
    description="`version` is the package version, `commit` the commit the deployed code was "
    "built from (the BuildCommit template parameter; the local runtime reads it from git), "
    "`timestamp` when this answer was made. Open: no credential.",
    dependencies=[Depends(OPEN)],
)
def liveness(c: Container = Depends(get_container)) -> HealthStatus:
    return _health(c)


@router.get(
    "/ready",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=HealthStatus,
    summary="Readiness: the DynamoDB table and the state machine are reachable",
    responses={503: {"model": ErrorResponse, "description": "A dependency is not ready"}},
)
def readiness(c: Container = Depends(get_container)) -> HealthStatus:
    checks = check_readiness(c)
    failing = [{"check": k, "message": v} for k, v in checks.items() if v != "ok"]
    if failing:
        names = ", ".join(f["check"] for f in failing)
        raise ApiError(503, "not_ready", f"Not ready: {names}", failing)
    return _health(c, checks)
