"""Silver: one row per chatbot answer; null, empty or blank answers are quarantined."""

from pyspark import pipelines as dp

from lakehouse import compat
from lakehouse.chatbot import silver
from lakehouse.chatbot.settings import ChatbotSettings
from lakehouse.quarantine import to_quarantine

settings = ChatbotSettings.from_conf(spark.conf)
bronze = settings.layers.bronze_table("chatbot_raw")


@dp.table(name=settings.layers.silver_table("chatbot_answers"), comment="Valid chatbot answers, one per row")
@compat.expectations(drop=silver.CHATBOT_RULES)
def chatbot_answers():
    return silver.to_answers(silver.parse_chatbot_files(spark.readStream.table(bronze)))


@dp.table(name=settings.layers.silver_table("chatbot_answers_quarantine"), comment="Rejected chatbot answers")
def chatbot_answers_quarantine():
    return to_quarantine(silver.parse_chatbot_files(spark.readStream.table(bronze)), silver.QUARANTINE_RULES)
