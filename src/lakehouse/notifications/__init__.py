"""The notifications pipeline: per-minute panel, detailed report and daily billing."""
