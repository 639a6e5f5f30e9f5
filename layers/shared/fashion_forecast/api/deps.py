"""FastAPI dependencies (the caller and its role: api/auth.py)."""

from __future__ import annotations

from fastapi import Request

from fashion_forecast.ports import Container


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container
