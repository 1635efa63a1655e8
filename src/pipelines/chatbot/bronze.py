"""Bronze: every chatbot answer event as received, one row each, from export files (JSON array or lines)."""

from pyspark import pipelines as dp

from lakehouse.chatbot.settings import ChatbotSettings
from lakehouse.sources import read_bronze, register_file_readers

settings = ChatbotSettings.from_conf(spark.conf)
register_file_readers(spark, settings.source)


@dp.table(name=settings.layers.bronze_table("chatbot_raw"), comment="Chatbot answer events as received, one per row")
def chatbot_raw():
    return read_bronze(spark, settings.source, "chatbot")
