"""The official openai SDK against the training server, unchanged but for base_url. Prints one JSON report.

    python openai_e2e.py ARGS.json   # {"base_url", "key", "other_key", "model", "org_model", "train", "prefs", "bad",
                                     #  "schemas"}

Every response the server sends is checked against OpenAI's published object schemas (a copy is kept beside this
script); what does not conform is listed under "schema_violations".
"""
import json
import os
import re
import sys
import time

import jsonschema
import openai
from openai import OpenAI

args = json.load(open(sys.argv[1]))
schemas = json.load(open(args["schemas"]))
responses = []


def keep(response):
    response.read()
    responses.append(response)


def client_for(key, **kw):
    return OpenAI(base_url=args["base_url"], api_key=key, max_retries=0, timeout=60,
                  http_client=openai.DefaultHttpxClient(event_hooks={"response": [keep]}), **kw)


client = client_for(args["key"])
other = client_for(args["other_key"])
report = {"openai_version": openai.__version__}

# the object each route answers with, by method and path (under /v1)
ROUTES = [
    ("POST", r"/files", "FileObject"),
    ("GET", r"/files", "List:FileObject"),
    ("GET", r"/files/[^/]+", "FileObject"),
    ("DELETE", r"/files/[^/]+", "FileDeleted"),
    ("GET", r"/files/[^/]+/content", None),
    ("POST", r"/fine_tuning/jobs", "FineTuningJob"),
    ("GET", r"/fine_tuning/jobs", "List:FineTuningJob"),
    ("GET", r"/fine_tuning/jobs/[^/]+", "FineTuningJob"),
    ("POST", r"/fine_tuning/jobs/[^/]+/(cancel|pause|resume)", "FineTuningJob"),
    ("GET", r"/fine_tuning/jobs/[^/]+/events", "List:FineTuningJobEvent"),
    ("GET", r"/fine_tuning/jobs/[^/]+/checkpoints", "List:FineTuningJobCheckpoint"),
    ("GET", r"/models", "ModelList"),
    ("GET", r"/models/.+", "Model"),
]


def validate(name, value):
    schema = {"$ref": "#/$defs/" + name, "$defs": schemas["$defs"]}
    return [f"{e.json_path}: {e.message}" for e in jsonschema.Draft202012Validator(schema).iter_errors(value)]


def check_all():
    violations, checked = [], 0
    for r in responses:
        path = r.request.url.path.split("/v1", 1)[1]
        where = f"{r.request.method} {path} {r.status_code}"
        if r.status_code >= 400:
            problems = validate("ErrorEnvelope", r.json())
        else:
            names = [n for m, p, n in ROUTES if m == r.request.method and re.fullmatch(p, path)]
            if not names:
                violations.append(where + ": no OpenAI route")
                continue
            if names[0] is None:
                continue
            body = r.json()
            if names[0].startswith("List:"):
                problems = validate("List", body)
                for item in body.get("data", []):
                    problems += validate(names[0][5:], item)
            else:
                problems = validate(names[0], body)
        checked += 1
        violations += [f"{where}: {p}" for p in problems]
    return violations, checked


def error_of(call):
    try:
        call()
    except openai.APIStatusError as e:
        body = e.body if isinstance(e.body, dict) else {}
        return {"class": type(e).__name__, "status": e.status_code, "message": body.get("message", e.message),
                "code": getattr(e, "code", None), "param": getattr(e, "param", None)}
    return None


def wait(job_id, statuses, seconds=420):
    deadline = time.time() + seconds
    while True:
        job = client.fine_tuning.jobs.retrieve(job_id)
        if job.status in statuses or time.time() > deadline:
            return job
        time.sleep(0.5)


# files
uploaded = client.files.create(file=open(args["train"], "rb"), purpose="fine-tune")
report["file"] = uploaded.model_dump()
report["files_listed"] = [f.id for f in client.files.list()]
report["file_retrieved"] = client.files.retrieve(uploaded.id).id
report["file_processed"] = client.files.wait_for_processing(uploaded.id, poll_interval=0.1).status
report["file_content_exact"] = client.files.content(uploaded.id).read() == open(args["train"], "rb").read()
report["file_retrieve_content_exact"] = (client.files.retrieve_content(uploaded.id).encode()
                                         == open(args["train"], "rb").read())
report["bad_file"] = error_of(lambda: client.files.create(file=open(args["bad"], "rb"), purpose="fine-tune"))
scratch = client.files.create(file=open(args["prefs"], "rb"), purpose="fine-tune")
report["files_asc"] = [f.id for f in client.files.list(order="asc")]
report["files_desc"] = [f.id for f in client.files.list(order="desc")]
report["files_paged"] = [f.id for f in client.files.list(limit=1)]
report["file_deleted"] = client.files.delete(scratch.id).model_dump()
report["deleted_file"] = error_of(lambda: client.files.retrieve(scratch.id))

# a job trained to the end
job = client.fine_tuning.jobs.create(
    model=args["model"], training_file=uploaded.id, suffix="shout", seed=7, metadata={"team": "search"},
    method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 1, "batch_size": 16,
                                                                      "learning_rate_multiplier": 10}}})
report["created"] = job.model_dump()
job = wait(job.id, ("succeeded", "failed", "cancelled"))
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
# the SDK's auto-pagination, one checkpoint a page
report["checkpoints_paged"] = [c.id for c in client.fine_tuning.jobs.checkpoints.list(job.id, limit=1)]
if job.result_files:
    report["results_file"] = client.files.retrieve(job.result_files[0]).model_dump()
    report["results_csv"] = client.files.content(job.result_files[0]).text
report["listed"] = [j.id for j in client.fine_tuning.jobs.list(limit=10)]
report["listed_by_metadata"] = [j.id for j in client.fine_tuning.jobs.list(metadata={"team": "search"})]
report["listed_by_other_metadata"] = [j.id for j in client.fine_tuning.jobs.list(metadata={"team": "ads"})]
report["pause_finished"] = error_of(lambda: client.fine_tuning.jobs.pause(job.id))
report["resume_finished"] = error_of(lambda: client.fine_tuning.jobs.resume(job.id))

# continuing from the fine-tuned model, paused and resumed under its id
if job.fine_tuned_model:
    cont = client.fine_tuning.jobs.create(model=job.fine_tuned_model, training_file=uploaded.id,
                                          method={"type": "supervised", "supervised": {
                                              "hyperparameters": {"n_epochs": 2, "batch_size": 16}}})
    report["continued_created"] = cont.model_dump()
    wait(cont.id, ("running", "succeeded", "failed", "cancelled"))
    report["pause"] = client.fine_tuning.jobs.pause(cont.id).model_dump()
    report["paused"] = wait(cont.id, ("paused", "succeeded", "failed", "cancelled")).model_dump()
    report["resume_paused"] = client.fine_tuning.jobs.resume(cont.id).model_dump()
    report["continued_finished"] = wait(cont.id, ("succeeded", "failed", "cancelled")).model_dump()
    report["continued_events"] = [e.message for e in client.fine_tuning.jobs.list_events(cont.id, limit=200).data]
    if report["checkpoints"]:
        from_checkpoint = client.fine_tuning.jobs.create(
            model=report["checkpoints"][-1]["fine_tuned_model_checkpoint"], training_file=uploaded.id)
        client.fine_tuning.jobs.cancel(from_checkpoint.id)
        report["from_checkpoint"] = wait(from_checkpoint.id, ("cancelled", "failed", "succeeded"), 120).model_dump()

# 25 more jobs, to page through
prefs = client.files.create(file=open(args["prefs"], "rb"), purpose="fine-tune")
report["many"] = []
for i in range(25):
    j = client.fine_tuning.jobs.create(model=args["model"], training_file=prefs.id,
                                       method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2,
                                                                                            "n_epochs": 3}}})
    report["many"].append(j.id)
    report["cancelled"] = client.fine_tuning.jobs.cancel(j.id).model_dump()
cancelled = wait(report["many"][-1], ("cancelled", "failed", "succeeded"), 120)
report["cancelled"] = cancelled.model_dump()
report["all_jobs_paged"] = [j.id for j in client.fine_tuning.jobs.list(limit=4)]

# what this server does not offer answers in OpenAI's envelope: sharing checkpoints across projects, graders
report["checkpoint_permissions"] = error_of(lambda: client.fine_tuning.checkpoints.permissions.retrieve(
    report["checkpoints"][0]["fine_tuned_model_checkpoint"] if report["checkpoints"] else "ft:x"))
report["graders"] = error_of(lambda: client.fine_tuning.alpha.graders.validate(
    grader={"type": "string_check", "name": "g", "input": "{{sample.output_text}}", "reference": "x",
            "operation": "eq"}))
report["unknown_job"] = error_of(lambda: client.fine_tuning.jobs.retrieve("ftjob-doesnotexist"))
report["other_tenant_job"] = error_of(lambda: other.fine_tuning.jobs.retrieve(job.id))
report["other_tenant_events"] = error_of(lambda: other.fine_tuning.jobs.list_events(job.id))
report["other_tenant_checkpoints"] = error_of(lambda: other.fine_tuning.jobs.checkpoints.list(job.id))
report["other_tenant_cancel"] = error_of(lambda: other.fine_tuning.jobs.cancel(job.id))
report["other_tenant_pause"] = error_of(lambda: other.fine_tuning.jobs.pause(job.id))
report["other_tenant_resume"] = error_of(lambda: other.fine_tuning.jobs.resume(job.id))
report["other_tenant_file"] = error_of(lambda: other.files.retrieve(uploaded.id))
report["other_tenant_file_content"] = error_of(lambda: other.files.content(uploaded.id))
report["other_tenant_file_delete"] = error_of(lambda: other.files.delete(uploaded.id))
report["other_tenant_train_on_file"] = error_of(lambda: other.fine_tuning.jobs.create(model=args["model"],
                                                                                        training_file=uploaded.id))
report["other_tenant_model"] = error_of(lambda: other.fine_tuning.jobs.create(
    model=job.fine_tuned_model or "ft:x", training_file=other.files.create(file=open(args["train"], "rb"),
                                                                            purpose="fine-tune").id))
report["other_tenant_list"] = [j.id for j in other.fine_tuning.jobs.list()]
report["other_tenant_files"] = [f.id for f in other.files.list()]
# the models a tenant may fine-tune: the model roots' folders by name, its own fine-tunes by their ft: names
root_name = os.path.basename(args["model"])
report["models"] = [m.model_dump() for m in client.models.list()]
report["model_fine_tuned"] = client.models.retrieve(job.fine_tuned_model or "ft:x").model_dump()
report["model_root"] = client.models.retrieve(root_name).model_dump()
report["model_org"] = client.models.retrieve(args["org_model"]).model_dump()  # its slash goes as %2F
report["model_by_path"] = error_of(lambda: client.models.retrieve(args["model"]))
report["unknown_model"] = error_of(lambda: client.models.retrieve("org/nothing-here"))
report["other_tenant_models"] = [m.id for m in other.models.list()]
report["other_tenant_fine_tuned_model"] = error_of(lambda: other.models.retrieve(job.fine_tuned_model or "ft:x"))
report["delete_fine_tuned_model"] = error_of(lambda: client.models.delete(job.fine_tuned_model or "ft:x"))
report["other_tenant_delete_model"] = error_of(lambda: other.models.delete(job.fine_tuned_model or "ft:x"))
report["models_after_delete"] = [m.id for m in client.models.list()]
# No credential at all: the SDK needs some api_key, so the header it would send is blanked.
report["missing_key"] = error_of(lambda: client_for("unset", default_headers={"Authorization": ""})
                                 .fine_tuning.jobs.list())
report["wrong_key"] = error_of(lambda: client_for("sk-train-nope").fine_tuning.jobs.list())
report["unknown_file_for_job"] = error_of(lambda: client.fine_tuning.jobs.create(model=args["model"],
                                                                                   training_file="file-nope"))
report["schema_violations"], report["responses_checked"] = check_all()
print(json.dumps(report, default=str))
