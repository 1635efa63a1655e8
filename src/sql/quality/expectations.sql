-- Rows passed and failed per expectation per update of one pipeline, from its event log.
-- In the Databricks SQL editor set :pipeline_id (the pipeline's UUID); the result is what the
-- quality job (resources/quality.job.yml) checks against quality_max_failure_rate. To keep it as a
-- view, replace the marker with the id: CREATE VIEW <schema>.<pipeline>_expectations AS <this query>.
-- Each flow_progress event reports its own batch, so rows are summed per update. The same query is
-- lakehouse.quality_monitor.expectation_metrics; a test runs both on the same event-log rows.
WITH expectations AS (
  SELECT
    origin.update_id AS update_id,
    timestamp,
    explode(
      from_json(
        get_json_object(details, '$.flow_progress.data_quality.expectations'),
        'array<struct<name: string, dataset: string, passed_records: bigint, failed_records: bigint>>'
      )
    ) AS expectation
  FROM event_log(:pipeline_id)
  WHERE event_type = 'flow_progress'
),
per_update AS (
  SELECT
    update_id,
    max(timestamp) AS update_time,
    expectation.dataset AS dataset,
    expectation.name AS rule,
    CAST(coalesce(sum(expectation.passed_records), 0) AS BIGINT) AS passed,
    CAST(coalesce(sum(expectation.failed_records), 0) AS BIGINT) AS failed
  FROM expectations
  GROUP BY update_id, expectation.dataset, expectation.name
)
SELECT
  update_id,
  update_time,
  dataset,
  rule,
  passed,
  failed,
  CASE WHEN passed + failed > 0 THEN round(failed / (passed + failed), 6) ELSE 0.0 END AS failure_rate
FROM per_update
ORDER BY update_time DESC, dataset, rule
