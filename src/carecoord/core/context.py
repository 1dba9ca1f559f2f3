"""
Per-request context (address, user agent) that services read when they write audit entries.
"""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    source_ip: str | None = None
    user_agent: str = ""


NO_REQUEST = RequestInfo()
_request_info: ContextVar[RequestInfo] = ContextVar("carecoord_request_info", default=NO_REQUEST)


def current_request_info() -> RequestInfo:
    return _request_info.get()


def set_request_info(info: RequestInfo):
    return _request_info.set(info)


def reset_request_info(token) -> None:
    _request_info.reset(token)
