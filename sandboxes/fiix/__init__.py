"""The Fiix sandbox: app, ql filters, seed data, write rules."""
