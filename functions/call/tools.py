"""Tools every bot has, whatever its scenario."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shared.scenarios.tools import Tool, tool


@tool
def end_call(
    reason: Annotated[str, Field(description="why the call is over, e.g. 'caller said goodbye'")],
) -> dict[str, str]:
    """Hang up after saying goodbye, when the caller is done or asks to end the call."""
    return {"status": "ending", "reason": reason}


END_CALL_TOOL: Tool = end_call
