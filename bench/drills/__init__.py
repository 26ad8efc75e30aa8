"""Fault drills: the forum under load with faults injected, each checked afterwards for
lost or doubled writes and for answers other than 2xx or 503 + Retry-After. Run them with
`python -m bench.drills` (`--help`)."""
