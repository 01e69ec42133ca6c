"""The Story-aware stages: each turns the model into one engine's request."""
