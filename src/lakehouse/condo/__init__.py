"""CondoManage: four CSV exports (full snapshots) -> validated silver -> three transaction reports."""
