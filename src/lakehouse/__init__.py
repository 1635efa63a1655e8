"""Real-time lakehouse: shared, engine-agnostic code for the bundle's pipelines."""
