"""One settings object, read from the environment that template.yaml sets."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    table_name: str = Field("fashion-forecast", alias="TABLE_NAME")
    data_bucket: str = Field("fashion-forecast-data", alias="DATA_BUCKET")
    state_machine_arn: str = Field(
        "arn:aws:states:us-east-1:123456789012:stateMachine:fashion-forecast",
        alias="STATE_MACHINE_ARN",
    )
    demand_function_name: str = Field("DemandFunction", alias="DEMAND_FUNCTION_NAME")
    websocket_url: str | None = Field(None, alias="WEBSOCKET_URL")
    websocket_management_endpoint: str | None = Field(None, alias="WEBSOCKET_MANAGEMENT_ENDPOINT")
    api_root_path: str = Field("", alias="API_ROOT_PATH")
    openai_api_key: str | None = Field(None, alias="OPENAI_API_KEY")
    openai_api_key_parameter: str | None = Field(None, alias="OPENAI_API_KEY_PARAMETER")
    openai_model: str = Field("gpt-4o-mini", alias="OPENAI_MODEL")
    openai_timeout_seconds: float = Field(10.0, alias="OPENAI_TIMEOUT_SECONDS")
    openai_max_retries: int = Field(2, alias="OPENAI_MAX_RETRIES")
    max_body_bytes: int = Field(1_048_576, alias="MAX_BODY_BYTES")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
