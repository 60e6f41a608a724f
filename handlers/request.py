"""Bot API requests that survive a bad moment: network errors, timeouts and 5xx answers are retried with backoff.

python-telegram-bot retries none of these by itself (429 flood limits are the rate limiter's job). Retrying
below the bot keeps handlers free of retry loops. A timed-out send may have reached Telegram, so a retry can
duplicate a message: for awarebot a duplicated answer is far better than a lost hotline.

Requests without files go as a JSON body (the Bot API accepts application/json): url-encoding a long HTML answer
costs about ten times more CPU than encoding it as JSON, on every send.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest, RequestData

log = logging.getLogger(__name__)


class RetryingRequest(HTTPXRequest):
    """HTTPXRequest that retries NetworkError, TimedOut and 5xx up to `attempts` times in all."""

    def __init__(self, *args: Any, attempts: int = 4, backoff: float = 0.5, max_backoff: float = 8.0,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]  # never log the URL: it holds the token
        for attempt in range(1, self.attempts + 1):
            try:
                if request_data is not None and not request_data.contains_files:
                    code, payload = await self._post_json(url, method, request_data, *args, **kwargs)
                else:
                    code, payload = await super().do_request(url, method, request_data, *args, **kwargs)
            except (TimedOut, NetworkError) as exc:
                if attempt == self.attempts:
                    raise
                problem = type(exc).__name__
            else:
                if code < 500 or attempt == self.attempts:
                    return code, payload
                problem = f"HTTP {code}"
            delay = min(self.backoff * 2 ** (attempt - 1), self.max_backoff)
            log.warning("%s failed (%s); retry %d of %d in %.1fs", endpoint, problem, attempt,
                        self.attempts - 1, delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _post_json(
        self,
        url: str,
        method: str,
        request_data: RequestData,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """HTTPXRequest.do_request with a JSON body: the same timeouts and the same errors."""
        defaults = self._client.timeout
        timeout = httpx.Timeout(
            connect=defaults.connect if _unset(connect_timeout) else connect_timeout,
            read=defaults.read if _unset(read_timeout) else read_timeout,
            write=defaults.write if _unset(write_timeout) else write_timeout,
            pool=defaults.pool if _unset(pool_timeout) else pool_timeout,
        )
        try:
            response = await self._client.request(
                method=method,
                url=url,
                headers={"User-Agent": self.USER_AGENT, "Content-Type": "application/json"},
                timeout=timeout,
                # `parameters`, not `json_payload`: the latter nests JSON strings inside JSON (reply_markup etc.).
                content=json.dumps(request_data.parameters, ensure_ascii=False).encode(),
            )
        except httpx.TimeoutException as exc:
            raise TimedOut from exc
        except httpx.HTTPError as exc:
            raise NetworkError(f"httpx.{type(exc).__name__}: {exc}") from exc
        return response.status_code, response.content


def _unset(value: Any) -> bool:
    return value is None or isinstance(value, DefaultValue)
