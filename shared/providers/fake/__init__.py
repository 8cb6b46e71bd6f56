"""``fake``: scripted providers for tests and failover drills, registered like any other.

One file per modality (``stt.py``, ``llm.py``, ``tts.py``), each a subclass of Pipecat's real
base class that replays a script from ``spec.options`` instead of calling a model: fixed
output per turn, an optional delay, and an optional failure from a given turn on. A bot names
them in YAML like any provider, so a real server can be made to fail on cue::

    stt: {kind: stt, name: fake, options: {transcripts: ["Check my order."], fail_after: 1,
                                           error: authentication}}
"""
