"""Background jobs: the bounded, fair queue (``queue``), one job and the relay of its remote work (``job``),
the typed records a page reads (``records``), the wait estimate (``estimate``) and the server's one queue
(``server``)."""
