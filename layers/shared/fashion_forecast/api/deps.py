"""FastAPI dependencies."""

from __future__ import annotations

from fastapi import Request

from fashion_forecast.services import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services
