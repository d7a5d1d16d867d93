"""Checkpoint kiosk: the gate's state machine, rules, event log and configuration."""

__version__ = "0.1.0"
