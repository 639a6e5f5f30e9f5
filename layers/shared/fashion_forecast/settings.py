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
    # Sales files: multipart uploads (whole request) and each file's own limit.
    max_upload_bytes: int = Field(10 * 1_048_576, alias="MAX_UPLOAD_BYTES")
    # How long POST /api/data/upload-weekly-sales waits for the variance result before a 202.
    weekly_upload_wait_seconds: float = Field(5.0, alias="WEEKLY_UPLOAD_WAIT_SECONDS")
    upload_url_expiry_seconds: int = Field(900, alias="UPLOAD_URL_EXPIRY_SECONDS")
    # How long the variance Lambda waits for a forecast's running flow before starting another.
    flow_quiet_wait_seconds: float = Field(60.0, alias="FLOW_QUIET_WAIT_SECONDS")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
