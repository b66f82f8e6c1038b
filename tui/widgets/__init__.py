"""Widgets of the main screen; each shows state the screen gives it and posts messages up."""
