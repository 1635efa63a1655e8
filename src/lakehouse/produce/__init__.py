"""Producers of input events: replay of the shop's export and seeded synthetic data, written as JSON lines."""
