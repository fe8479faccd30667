"""The maintainx sandbox: app, seed data, write rules."""
