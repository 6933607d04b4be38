"""What a domain declares to the sync engine: collections with their hooks, the wire field
types, the refusal codes. Its own package so that the domains, which declare collections,
and the engine, which runs them, both depend on it and never on each other."""
