"""Change data capture of the application's ``usuarios`` table: a real PostgreSQL and Debezium.

``postgres`` runs the database, ``connect`` runs Debezium's connector on Kafka Connect, ``stack``
starts and stops both together (``lakehouse cdc start|stop|status``).
"""

from __future__ import annotations
