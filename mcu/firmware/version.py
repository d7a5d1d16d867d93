"""This firmware's version: sent in osdp_PDID (major, minor, build), read by `kiosk mcu update`."""

VERSION = (1, 1, 0)
