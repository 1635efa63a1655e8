"""The price list of the notification channels, parsed and checked before Spark sees it.

Prices are exact decimals that must fit ``decimal(18,4)``: a price that would be rounded is refused
rather than billed wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from lakehouse.errors import SettingsError

UNIT_PRICE = "decimal(18,4)"


# Only WhatsApp has an agreed price (25,000 messages bill 1,000.00); other channels are priced
# through the pipeline configuration (see :func:`parse_tariff`).
DEFAULT_TARIFF: dict[str, Decimal] = {"whatsapp": Decimal("0.04")}


CHANNEL_NAME = re.compile(r"^[a-z0-9_-]+$")


_PRICE_QUANTUM = Decimal("0.0001")


_PRICE_LIMIT = Decimal(10) ** 14


def parse_tariff(text: str) -> dict[str, Decimal]:
    """``"whatsapp=0.04, sms=0.05"`` -> ``{"whatsapp": Decimal("0.04"), "sms": Decimal("0.05")}``."""
    tariff: dict[str, Decimal] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        channel, separator, price = (piece.strip() for piece in entry.partition("="))
        if not separator or not channel or not price:
            raise SettingsError(f"tariff entries look like 'channel=price', got {entry!r}")
        channel = channel.lower()
        if channel in tariff:
            raise SettingsError(f"channel {channel!r} is priced twice in tariff {text!r}")
        try:
            tariff[channel] = Decimal(price)
        except InvalidOperation:
            raise SettingsError(f"price of {channel!r} is not a decimal number: {price!r}") from None
    return checked_tariff(tariff)


def checked_tariff(tariff: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Lower-cased channel names and prices that fit ``decimal(18,4)`` exactly; ValueError otherwise."""
    checked: dict[str, Decimal] = {}
    for channel, price in tariff.items():
        name = channel.strip().lower()
        if not CHANNEL_NAME.match(name):
            raise SettingsError(f"channel names may hold only a-z, 0-9, '_' and '-': {channel!r}")
        value = Decimal(price)
        if not value.is_finite() or value < 0:
            raise SettingsError(f"price of {name!r} must be a non-negative number, got {price!r}")
        if value >= _PRICE_LIMIT or value.quantize(_PRICE_QUANTUM) != value:
            raise SettingsError(f"price of {name!r} must fit decimal(18,4), got {price!r}")
        checked[name] = value
    return checked
