"""Fashion Forecast shared package: domain, models, AWS adapters, API and local runtime."""

__version__ = "0.1.0"
