"""Notifications: created from events, listed in the API, pushed in real time and to devices."""
