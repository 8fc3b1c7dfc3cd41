"""A faithful local OpenDART, for ``dartwatch demo``, the integration tests and the
benchmarks. No key, no network: it speaks OpenDART's wire format on 127.0.0.1.

Serve it and point the client at it::

    from monitor.fakedart import FakeDart, ManualClock
    from monitor.core.loopback import serve_in_thread

    fake = FakeDart()                      # bundled dataset + ~500 noise filings/day
    with serve_in_thread(fake) as url:     # FakeDart is the ASGI app
        base_url = f"{url}/api"            # -> DART_BASE_URL; any 40-char key works
        ...

What it does like the real service (``docs/opendart.md``):

- ``/api/list.json``, ``/api/corpCode.xml``, ``/api/company.json``, ``/api/document.xml``
  with OpenDART's parameters, validation (key -> 010, corp_code -> 100, more than
  three months without corp_code -> 100, page_count 1..100) and defaults (end_de
  today KST, bgn_de = end_de); errors are HTTP 200 with a status body (XML for the
  ZIP endpoints); paging fields are integers; 013 has only status and message.
- Time: every row has a ``visible_at``; the *clock* (default real time; tests pass
  a :class:`ManualClock`) decides what list.json shows. Receipt numbers are not
  chronological (KRX rows carry 80/90 in digits 9-10).
- Changes: :meth:`FakeDart.publish`, :meth:`~FakeDart.amend` (a new ``[기재정정]`` row,
  the old row's rm gains 정), :meth:`~FakeDart.withdraw` (rm gains 철),
  :meth:`~FakeDart.hide` / :meth:`~FakeDart.unhide`; :func:`replay_day` schedules a
  realistic day for the demo, :func:`publish_stream` N filings over time.
- Faults: :meth:`~FakeDart.inject` (``FAULT_KINDS``: 020 -- sticky until
  :meth:`~FakeDart.reset_quota` --, 800, 900, 010, 011, 012, 901, html502, html200,
  truncated, malformed, wrongtypes, slow, reset, notzip, badzip) and
  :meth:`~FakeDart.set_random_faults`.
- Observation: ``fake.requests`` (Counter per endpoint), ``fake.request_log``
  (:class:`RequestRecord`, key removed), :meth:`~FakeDart.stats` -- also served
  without a key at ``/_fake/stats``; ``/_fake/inject``, ``/_fake/publish``,
  ``/_fake/reset_quota`` drive it from another process.

The bundled dataset (``data/*.json``, written by ``tools/fakedart_generate.py``) is synthetic:
realistic report names, filers and rm codes for NAVER, SK Telecom, SK, LG and
NCSOFT from 2025-06-01 to 2026-11-27, with AI-relevant filings placed near the K-AI
milestones -- but no row is a real filing.
"""

from monitor.fakedart.model import (
    Company,
    DartRow,
    DocumentSpec,
    ManualClock,
    Origin,
)
from monitor.fakedart.replay import ReplayFiling, publish_stream, replay_day, replay_script
from monitor.fakedart.server import (
    ENDPOINTS,
    FAULT_KINDS,
    MESSAGES,
    THREE_MONTHS_MESSAGE,
    TRANSIENT_FAULTS,
    FakeDart,
    RequestRecord,
)

__all__ = [
    "ENDPOINTS",
    "FAULT_KINDS",
    "MESSAGES",
    "THREE_MONTHS_MESSAGE",
    "TRANSIENT_FAULTS",
    "Company",
    "DartRow",
    "DocumentSpec",
    "FakeDart",
    "ManualClock",
    "Origin",
    "ReplayFiling",
    "RequestRecord",
    "publish_stream",
    "replay_day",
    "replay_script",
]
