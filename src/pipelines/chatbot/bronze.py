"""Bronze: every chatbot export file as received (JSON array or JSON lines), one row per file."""

from pyspark import pipelines as dp

from lakehouse.chatbot.settings import ChatbotSettings
from lakehouse.sources import read_bronze

settings = ChatbotSettings.from_conf(spark.conf)


@dp.table(name=settings.layers.bronze_table("chatbot_raw"), comment="Chatbot answer files as received")
def chatbot_raw():
    return read_bronze(spark, settings.source, "chatbot", whole_files=True)
