"""What the Wangge server and its clients agree on: the hybrid logical clock (``hlc``) and
the messages of ``POST /api/sync`` (``wire``), as docs/sync-protocol.md describes them.

Neutral ground: the server (``server/``) and the Python client (``wangge_client/``) both
import it, and it imports neither (tests/unit/test_client_packages.py checks).
"""
