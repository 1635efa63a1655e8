"""Each pipeline's settings are typed and validated once, before Spark runs anything."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lakehouse.chatbot.settings import ChatbotSettings
from lakehouse.errors import SettingsError
from lakehouse.invoices.settings import InvoicesSettings
from lakehouse.notifications.settings import NotificationsSettings
from lakehouse.orders.settings import OrdersSettings

LANDING = {"lakehouse.landing_path": "/landing"}


def test_orders_defaults_are_the_registered_watermarks():
    settings = OrdersSettings.from_conf(dict(LANDING))
    assert (settings.dedup_watermark, settings.panel_watermark) == ("10 minutes", "1 minute")
    assert settings.layers.silver_table("order_lines") == "silver.order_lines"


def test_a_malformed_interval_names_the_key_and_the_form():
    conf = {**LANDING, "lakehouse.orders.dedup_watermark": "banana"}
    with pytest.raises(SettingsError, match=r"'lakehouse\.orders\.dedup_watermark' must be an interval like"):
        OrdersSettings.from_conf(conf)


def test_notifications_settings_parse_channels_and_tariff():
    conf = {
        **LANDING,
        "lakehouse.notifications.channels": " whatsapp, sms ,",
        "lakehouse.notifications.tariff": "sms=0.05",
    }
    settings = NotificationsSettings.from_conf(conf)
    assert settings.channels == ("whatsapp", "sms")
    assert settings.tariff == {"sms": Decimal("0.05")}
    assert settings.panel_watermark == "2 minutes"


def test_a_malformed_tariff_is_refused_when_read():
    with pytest.raises(SettingsError, match="channel=price"):
        NotificationsSettings.from_conf({**LANDING, "lakehouse.notifications.tariff": "whatsapp"})


def test_invoices_reference_date_is_a_date():
    assert InvoicesSettings.from_conf(dict(LANDING)).reference_date == date(2020, 1, 1)
    with pytest.raises(SettingsError, match=r"'lakehouse\.invoices\.reference_date' must be a date YYYY-MM-DD"):
        InvoicesSettings.from_conf({**LANDING, "lakehouse.invoices.reference_date": "01/01/2020"})


def test_chatbot_flow_views_are_parsed():
    settings = ChatbotSettings.from_conf({**LANDING, "lakehouse.chatbot.flow_views": "F1=a,b;F2=c"})
    assert settings.flow_views == {"F1": ["a", "b"], "F2": ["c"]}
