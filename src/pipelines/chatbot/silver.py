"""Silver: one row per chatbot answer; null, empty or blank answers are quarantined."""

from pyspark import pipelines as dp

from lakehouse import chatbot, compat
from lakehouse.quarantine import to_quarantine
from lakehouse.settings import PipelineSettings

settings = PipelineSettings.from_conf(spark.conf)
bronze = settings.layers.bronze_table("chatbot_raw")


@dp.table(name=settings.layers.silver_table("chatbot_answers"), comment="Valid chatbot answers, one per row")
@compat.expectations(drop=chatbot.CHATBOT_RULES)
def chatbot_answers():
    return chatbot.to_answers(chatbot.parse_chatbot_files(spark.readStream.table(bronze)))


@dp.table(name=settings.layers.silver_table("chatbot_answers_quarantine"), comment="Rejected chatbot answers")
def chatbot_answers_quarantine():
    return to_quarantine(chatbot.parse_chatbot_files(spark.readStream.table(bronze)), chatbot.CHATBOT_RULES)
