"""pygame screens for residents and guards: draw state, turn touches into commands; no rules."""
