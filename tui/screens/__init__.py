"""Screens: the main three-pane reader, help, and dialogs."""
