"""The maximo sandbox: app, seed data, write rules."""
