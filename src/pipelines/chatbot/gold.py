"""Gold: one row per conversation with its latest answers, and a flat view per configured flow."""

from pyspark import pipelines as dp

from lakehouse.chatbot import gold
from lakehouse.chatbot.settings import ChatbotSettings

settings = ChatbotSettings.from_conf(spark.conf)
sessions_table = settings.layers.gold_table("chatbot_sessions")


@dp.materialized_view(name=sessions_table, comment="Answers per conversation: key -> latest valid value")
def chatbot_sessions():
    return gold.chatbot_sessions(spark.read.table(settings.layers.silver_table("chatbot_answers")))


def declare_flow_view(flow: str, keys: list[str]) -> None:
    """A flat table per flow, one column per key, so BI tools need no map access."""

    @dp.materialized_view(name=settings.layers.gold_table(f"chatbot_flow_{flow.lower()}"), comment=f"Flow {flow}")
    def flow_view():
        return gold.flow_view(spark.read.table(sessions_table), flow, keys)


for flow_name, flow_keys in settings.flow_views.items():
    declare_flow_view(flow_name, flow_keys)
