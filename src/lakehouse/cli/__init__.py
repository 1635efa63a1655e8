"""The ``lakehouse`` command: run pipelines locally, query the warehouse, produce events."""
