"""A simulated caller: phones VoxCore over a carrier's protocol and measures what it hears."""

from lab.caller.report import CallReport, TurnReport
from lab.caller.session import CallFailed, CallOptions, place_call

__all__ = ["CallFailed", "CallOptions", "CallReport", "TurnReport", "place_call"]
