"""Local Apache Kafka (KRaft, single node) for development and tests; see ``broker``."""

from __future__ import annotations

from lakehouse.kafka.broker import KAFKA_VERSION, BrokerError, BrokerStatus, start, status, stop

__all__ = ["KAFKA_VERSION", "BrokerError", "BrokerStatus", "start", "status", "stop"]
