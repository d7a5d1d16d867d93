"""pygame screens for residents and guards. Draws state and turns touches into commands; no rules."""
