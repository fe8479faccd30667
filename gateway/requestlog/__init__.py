"""The request log: every call to a connected system, kept per connection for a support engineer to read."""
