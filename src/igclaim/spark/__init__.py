"""igclaim on Apache Spark (the optional extra `igclaim[spark]`): the engine of `igclaim batch`, unchanged, over
DataFrames of encounters on a cluster. docs/scale.md says how to run it.

    from igclaim import spark as igspark
    out = igspark.process(df)          # as igclaim batch: scrub a written claim, else build
    out = igspark.build(df)            # or igspark.scrub(df)
    out.outcomes.persist(); out.results, out.findings, out.errors   # DataFrames
"""

from igclaim.spark.frames import Outcomes, build, number_json, number_rows, process, report, scrub
from igclaim.spark.run import read_input, run_spark_batch, session

__all__ = ["Outcomes", "build", "number_json", "number_rows", "process", "read_input", "report", "run_spark_batch",
           "scrub", "session"]
