"""Releases the office signs and offers to its kiosks: update keys, the release store, staged
rollouts and the kiosks' download endpoints (docs/updates.md)."""
