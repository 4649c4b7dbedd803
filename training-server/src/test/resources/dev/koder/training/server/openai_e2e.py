"""The official openai SDK against the training server, unchanged but for base_url. Prints one JSON report.

    python openai_e2e.py ARGS.json   # {"base_url", "key", "other_key", "model", "train", "prefs", "bad"}
"""
import json
import sys
import time

import openai
from openai import OpenAI

args = json.load(open(sys.argv[1]))
client = OpenAI(base_url=args["base_url"], api_key=args["key"], max_retries=0, timeout=60)
other = OpenAI(base_url=args["base_url"], api_key=args["other_key"], max_retries=0, timeout=60)
report = {"openai_version": openai.__version__}


def error_of(call):
    try:
        call()
    except openai.APIStatusError as e:
        body = e.body if isinstance(e.body, dict) else {}
        return {"class": type(e).__name__, "status": e.status_code, "message": body.get("message", e.message),
                "code": getattr(e, "code", None), "param": getattr(e, "param", None)}
    return None


uploaded = client.files.create(file=open(args["train"], "rb"), purpose="fine-tune")
report["file"] = uploaded.model_dump()
report["files_listed"] = [f.id for f in client.files.list()]
report["file_retrieved"] = client.files.retrieve(uploaded.id).id
report["bad_file"] = error_of(lambda: client.files.create(file=open(args["bad"], "rb"), purpose="fine-tune"))

job = client.fine_tuning.jobs.create(
    model=args["model"], training_file=uploaded.id, suffix="shout", seed=7, metadata={"team": "search"},
    method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 1, "batch_size": 16,
                                                                      "learning_rate_multiplier": 10}}})
report["created"] = job.model_dump()
seen = []
deadline = time.time() + 420
while time.time() < deadline:
    job = client.fine_tuning.jobs.retrieve(job.id)
    if job.status in ("succeeded", "failed", "cancelled"):
        break
    time.sleep(1)
report["finished"] = job.model_dump()
events = client.fine_tuning.jobs.list_events(job.id, limit=200)
report["events"] = [e.model_dump() for e in events.data]
report["events_has_more"] = events.has_more
page = client.fine_tuning.jobs.list_events(job.id, limit=2)
report["events_page"] = [e.id for e in page.data]
if page.data:
    report["events_after"] = [e.id for e in client.fine_tuning.jobs.list_events(job.id, after=page.data[-1].id,
                                                                                   limit=2).data]
report["checkpoints"] = [c.model_dump() for c in client.fine_tuning.jobs.checkpoints.list(job.id).data]
report["listed"] = [j.id for j in client.fine_tuning.jobs.list(limit=10)]
report["listed_by_metadata"] = [j.id for j in client.fine_tuning.jobs.list(metadata={"team": "search"})]
report["listed_by_other_metadata"] = [j.id for j in client.fine_tuning.jobs.list(metadata={"team": "ads"})]

prefs = client.files.create(file=open(args["prefs"], "rb"), purpose="fine-tune")
second = client.fine_tuning.jobs.create(model=args["model"], training_file=prefs.id,
                                        method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2,
                                                                                             "n_epochs": 3}}})
cancelled = client.fine_tuning.jobs.cancel(second.id)
deadline = time.time() + 120
while cancelled.status not in ("cancelled", "failed", "succeeded") and time.time() < deadline:
    time.sleep(0.5)
    cancelled = client.fine_tuning.jobs.retrieve(second.id)
report["cancelled"] = cancelled.model_dump()

report["unknown_job"] = error_of(lambda: client.fine_tuning.jobs.retrieve("ftjob-doesnotexist"))
report["other_tenant_job"] = error_of(lambda: other.fine_tuning.jobs.retrieve(job.id))
report["other_tenant_events"] = error_of(lambda: other.fine_tuning.jobs.list_events(job.id))
report["other_tenant_file"] = error_of(lambda: other.files.retrieve(uploaded.id))
report["other_tenant_list"] = [j.id for j in other.fine_tuning.jobs.list()]
# No credential at all: the SDK needs some api_key, so the header it would send is blanked.
report["missing_key"] = error_of(lambda: OpenAI(base_url=args["base_url"], api_key="unset", max_retries=0,
                                                default_headers={"Authorization": ""}).fine_tuning.jobs.list())
report["wrong_key"] = error_of(lambda: OpenAI(base_url=args["base_url"], api_key="sk-train-nope",
                                              max_retries=0).fine_tuning.jobs.list())
report["unknown_file_for_job"] = error_of(lambda: client.fine_tuning.jobs.create(model=args["model"],
                                                                                   training_file="file-nope"))
print(json.dumps(report, default=str))
