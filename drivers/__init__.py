"""Hardware behind small, swappable interfaces: a real and a simulated back end for each part."""
