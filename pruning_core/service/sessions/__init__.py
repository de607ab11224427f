"""Students' sessions on the server: the durable store of their lines of work (``store``), its typed records
(``records``), who a browser is (``keys``) and how a job and the line it extends are linked (``lines``)."""
