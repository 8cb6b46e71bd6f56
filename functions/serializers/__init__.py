"""Pipecat serializers for wire protocols Pipecat does not ship (the generic dialler)."""
