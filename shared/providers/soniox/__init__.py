"""Soniox: ``soniox`` (real-time STT over a WebSocket, ``stt.py``), Pipecat's own service."""
