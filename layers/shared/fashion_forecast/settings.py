"""One settings object, read from the environment that template.yaml sets.

TABLE_NAME and DATA_BUCKET are set on every function (template.yaml Globals) and have no
default: without them nothing can work, so a missing one stops the process at start-up with
an error naming it. STATE_MACHINE_ARN and DEMAND_FUNCTION_NAME are set only on the functions
that use them (the state machine invokes the other functions, so they cannot reference it);
an entry point that needs one says so with `Settings.require`, at start-up too.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from fashion_forecast.models.identity import AuthMode, Role, parse_roles


class ConfigurationError(RuntimeError):
    """A required environment variable is missing or invalid."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="", case_sensitive=False, extra="ignore", populate_by_name=True
    )

    table_name: str = Field(alias="TABLE_NAME", min_length=1)
    data_bucket: str = Field(alias="DATA_BUCKET", min_length=1)
    state_machine_arn: str | None = Field(None, alias="STATE_MACHINE_ARN")
    demand_function_name: str | None = Field(None, alias="DEMAND_FUNCTION_NAME")
    # the agent registry (GET /api/agents) reads the other agents' configuration by name
    inventory_function_name: str | None = Field(None, alias="INVENTORY_FUNCTION_NAME")
    pricing_function_name: str | None = Field(None, alias="PRICING_FUNCTION_NAME")
    websocket_url: str | None = Field(None, alias="WEBSOCKET_URL")
    websocket_management_endpoint: str | None = Field(None, alias="WEBSOCKET_MANAGEMENT_ENDPOINT")
    api_root_path: str = Field("", alias="API_ROOT_PATH")
    # pauses and failures are published here (template NotificationTopic); unset: none sent
    notification_topic_arn: str | None = Field(None, alias="NOTIFICATION_TOPIC_ARN")
    # where a notification's link points: the front end's base URL ("" in the template by
    # default: the link is then the page's path alone)
    frontend_base_url: str = Field("", alias="FRONTEND_BASE_URL")
    # the commit the deployed code was built from (template parameter BuildCommit, which
    # `sam deploy --parameter-overrides BuildCommit=$(git rev-parse HEAD)` sets; the local
    # runtime sets it from git): GET /api/health shows it
    build_commit: str | None = Field(None, alias="BUILD_COMMIT")
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
    # Who may call (template.yaml's AuthMode): API Gateway verifies the credential, the app
    # reads the identity it passes on and enforces the roles (fashion_forecast.api.auth).
    auth_mode: AuthMode = Field("cognito", alias="AUTH_MODE")
    # The roles an API key carries in api_key mode (comma-separated, e.g. "viewer,planner").
    api_key_roles: str = Field("viewer", alias="API_KEY_ROLES")
    # Origins a browser may call from (comma-separated); every other origin gets no CORS header.
    allowed_origins: str = Field("", alias="ALLOWED_ORIGINS")

    @field_validator("auth_mode", mode="before")
    @classmethod
    def _mode(cls, value: object) -> object:
        """The template's AuthMode values (Cognito, ApiKey) as well as cognito / api_key."""
        aliases = {"cognito": "cognito", "apikey": "api_key", "api_key": "api_key"}
        return aliases.get(str(value).strip().lower(), value)

    @field_validator("api_key_roles")
    @classmethod
    def _roles(cls, value: str) -> str:
        parse_roles(value)
        return value

    @property
    def api_key_role_set(self) -> frozenset[Role]:
        return parse_roles(self.api_key_roles)

    @property
    def origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()]

    @field_validator("build_commit", "notification_topic_arn", mode="before")
    @classmethod
    def _no_commit(cls, value: object) -> object:
        return value or None  # the template parameter's default is ""

    def require(self, *variables: str) -> Settings:
        """Raise ConfigurationError naming every variable in `variables` that is not set."""
        by_alias = {field.alias: name for name, field in type(self).model_fields.items()}
        missing = [v for v in variables if not getattr(self, by_alias[v])]
        if missing:
            raise ConfigurationError(
                f"missing required environment variable(s): {', '.join(missing)}"
            )
        return self


def load_settings() -> Settings:
    """Settings from the environment; ConfigurationError names what is missing or invalid."""
    try:
        return Settings()
    except ValidationError as exc:
        names = sorted({str(e["loc"][0]) for e in exc.errors() if e.get("loc")}, key=str)
        raise ConfigurationError(
            f"invalid or missing environment variable(s): {', '.join(names)}"
        ) from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
