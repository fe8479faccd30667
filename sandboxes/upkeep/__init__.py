"""The upkeep sandbox: app, seed data, write rules."""
