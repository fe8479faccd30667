"""The sap sandbox: app, seed data, write rules."""
