"""The kiosk-office wire protocol and the kiosk's store-and-forward sync agent."""
