"""The Limble CMMS sandbox: app, seed data, write rules."""
