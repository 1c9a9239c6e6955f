"""`make bench`: the provider's throughput on one pinned core, driven by wrk (not run by CI)."""
