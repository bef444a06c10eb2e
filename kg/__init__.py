"""osteokg: the knowledge graph — build, reason, validate, store and query it."""
