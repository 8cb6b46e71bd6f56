"""LiveKit rooms: SIP in and out, campaign attach, the web widget, and the Agent Desk handoff."""
