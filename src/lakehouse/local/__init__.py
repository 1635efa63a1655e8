"""The local engine: open-source Spark Declarative Pipelines with Delta, driven from the bundle."""
