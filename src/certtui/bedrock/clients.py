"""One long-lived aioboto3 client per (service, region), created on first use and shared."""

from __future__ import annotations

import asyncio
import contextlib
import os
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

Service = Literal["bedrock", "bedrock-runtime"]
CONTROL_PLANE: Service = "bedrock"
RUNTIME: Service = "bedrock-runtime"


@dataclass(frozen=True, slots=True)
class BedrockSettings:
    """How to reach Bedrock.

    `endpoint_url` overrides the endpoint of both services. Per-service endpoints set through
    AWS_ENDPOINT_URL_BEDROCK / AWS_ENDPOINT_URL_BEDROCK_RUNTIME (or the AWS config file) are
    read by botocore itself, so they apply whenever `endpoint_url` is None. Credentials come
    from the standard AWS chain, or from the named `profile`.
    """

    profile: str | None = None
    endpoint_url: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_pool_connections: int = 10
    # (region, endpoint URL) pairs that override `endpoint_url` in those regions: a region
    # served elsewhere, or (in tests and benchmarks) one whose endpoint is unreachable.
    region_endpoints: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ValueError("Bedrock connect and read timeouts must be positive")
        if self.max_pool_connections < 1:
            raise ValueError("max_pool_connections must be at least 1")


class BedrockClients:
    """An async context manager holding the Bedrock clients of every region in use.

    Clients are created lazily, once per (service, region), and closed together on exit.
    botocore's retries are off: the engine counts and schedules every attempt itself. Entering
    raises botocore's ProfileNotFound for an unknown `profile` (an AUTHENTICATION_ERROR).
    """

    def __init__(self, settings: BedrockSettings | None = None) -> None:
        self.settings = settings or BedrockSettings()
        self._clients: dict[tuple[Service, str], Any] = {}
        self._lock = asyncio.Lock()
        self._stack: AsyncExitStack | None = None
        self._session: Any = None
        self._config: Any = None

    async def __aenter__(self) -> Self:
        # Imported here: aioboto3 costs a quarter second, which screens that never call AWS
        # should not pay.
        import aioboto3
        from aiobotocore.config import AioConfig
        from aiobotocore.session import get_session

        botocore_session = get_session()
        _add_model_extras(botocore_session)
        self._session = aioboto3.Session(
            profile_name=self.settings.profile, botocore_session=botocore_session
        )
        botocore_session.get_scoped_config()  # ProfileNotFound now, for an unknown profile
        self._config = AioConfig(
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout,
            max_pool_connections=self.settings.max_pool_connections,
            retries={"total_max_attempts": 1},
        )
        self._stack = AsyncExitStack()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every client; the object cannot be used afterwards."""
        stack, self._stack = self._stack, None
        self._clients.clear()
        if stack is not None:
            await stack.aclose()

    async def credentials(self) -> Any:
        """The AWS credentials of the chain (or profile), resolved once; None when it has none."""
        if self._session is None:
            raise RuntimeError("BedrockClients is not open: use it as `async with`")
        return await self._session.get_credentials()

    async def client(self, service: Service, region: str) -> Any:
        """The client of `service` in `region`, created on first use."""
        key = (service, region)
        found = self._clients.get(key)
        if found is not None:
            return found
        async with self._lock:
            found = self._clients.get(key)
            if found is not None:
                return found
            if self._stack is None:
                raise RuntimeError("BedrockClients is not open: use it as `async with`")
            created = await self._stack.enter_async_context(
                self._session.client(
                    service,
                    region_name=region,
                    endpoint_url=dict(self.settings.region_endpoints).get(
                        region, self.settings.endpoint_url
                    ),
                    config=self._config,
                )
            )
            self._clients[key] = created
            return created

    async def prepare(self, service: Service, regions: list[str]) -> None:
        """Create the clients of ``service`` in ``regions`` now, with their HTTP sessions.

        A long-lived process (a worker) pays here, once, what the first call in each region
        would: botocore's data files, the client, and the connection pool with its CA bundle
        (aiobotocore builds that on the first request; a client without it is still usable).
        """
        for region in regions:
            client = await self.client(service, region)
            http = getattr(getattr(client, "_endpoint", None), "http_session", None)
            opener = getattr(http, "_get_session", None)
            if opener is not None:
                with contextlib.suppress(Exception):
                    await opener(None)

    async def control(self, region: str) -> Any:
        """The `bedrock` (control plane) client of `region`."""
        return await self.client(CONTROL_PLANE, region)

    async def runtime(self, region: str) -> Any:
        """The `bedrock-runtime` client of `region`."""
        return await self.client(RUNTIME, region)

    @property
    def open_clients(self) -> tuple[tuple[Service, str], ...]:
        """The (service, region) pairs that have a client, in creation order."""
        return tuple(self._clients)

    def endpoint_url(self, service: Service, region: str) -> str | None:
        """The endpoint an existing client talks to, or None before it is created."""
        found = self._clients.get((service, region))
        return None if found is None else found.meta.endpoint_url


# botocore merges `*.sdk-extras.json` found on its data path into a service model: ours adds
# the lifecycle dates ListFoundationModels returns (legacyTime, endOfLifeTime) to a botocore
# that predates them, so its parser keeps them; a newer botocore already has them.
_MODEL_EXTRAS = str(Path(__file__).with_name("models"))


def _add_model_extras(botocore_session: Any) -> None:
    existing = botocore_session.get_config_variable("data_path")
    paths = [_MODEL_EXTRAS, *([existing] if existing else [])]
    botocore_session.set_config_variable("data_path", os.pathsep.join(paths))
