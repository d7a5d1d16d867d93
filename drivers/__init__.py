"""Hardware behind small, swappable interfaces: a real back end and a simulated one for each part."""
