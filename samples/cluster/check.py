#!/usr/bin/env python3
"""Sanity checks for the demo cluster seed (samples/cluster/*.yaml).

    python3 samples/cluster/check.py            # checks; exit 1 on any problem
    python3 samples/cluster/check.py --pods     # also print `kubectl get pods -A` as kubectl would

Checks: every file parses as multi-document YAML; every object has apiVersion,
kind, metadata.name; namespaced kinds have metadata.namespace (and the
namespace exists); uids are unique and uuid-shaped; ownerReferences point at
existing objects with the same uid; each pod is owned by an existing
ReplicaSet/StatefulSet/DaemonSet/Job (or by nothing); ReplicaSets are owned by
Deployments; every workload selector matches its pods' labels and the pod
template labels; events' involvedObject exists (same uid); PodMetrics name
running pods; no RFC 3339 timestamp is after the anchor 2026-01-01T00:00:00Z
(except a Certificate's status.notAfter / status.renewalTime).
"""
import datetime as dt
import glob
import os
import re
import sys
import uuid

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ANCHOR = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
CLUSTER_SCOPED = {"Namespace", "Node", "PersistentVolume", "StorageClass", "NodeMetrics", "ClusterRole",
                  "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass", "IngressClass",
                  "ClusterIssuer"}
# A certificate's expiry and renewal time lie ahead of "now" by nature.
FUTURE_OK = (".status.notAfter", ".status.renewalTime")
KNOWN_API = {
    "Namespace": "v1", "Node": "v1", "Pod": "v1", "Service": "v1", "Secret": "v1", "ConfigMap": "v1",
    "ServiceAccount": "v1", "PersistentVolume": "v1", "PersistentVolumeClaim": "v1", "Event": "v1",
    "Deployment": "apps/v1", "ReplicaSet": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
    "Job": "batch/v1", "CronJob": "batch/v1", "Ingress": "networking.k8s.io/v1",
    "StorageClass": "storage.k8s.io/v1", "PodMetrics": "metrics.k8s.io/v1beta1",
    "NodeMetrics": "metrics.k8s.io/v1beta1",
    "Certificate": "cert-manager.io/v1", "CertificateRequest": "cert-manager.io/v1",
    "Issuer": "cert-manager.io/v1", "ClusterIssuer": "cert-manager.io/v1",
    "IngressRoute": "traefik.io/v1alpha1",
}

errors = []


def err(msg):
    errors.append(msg)


def ref(o):
    md = o.get("metadata", {})
    ns = md.get("namespace")
    return f"{o.get('kind')} {ns + '/' if ns else ''}{md.get('name')}"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def walk_ts(node, where):
    if isinstance(node, dict):
        for k, v in node.items():
            walk_ts(v, f"{where}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk_ts(v, f"{where}[{i}]")
    elif isinstance(node, str) and TS.match(node):
        if parse_ts(node) > ANCHOR and not where.endswith(FUTURE_OK):
            err(f"{where}: timestamp {node} is after the anchor")
    elif isinstance(node, (dt.datetime, dt.date)):
        err(f"{where}: unquoted timestamp {node} (YAML parsed it as a date, quote it)")


def matches(selector, labels):
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        val = labels.get(e["key"])
        op = e["operator"]
        if op == "In" and val not in e["values"]:
            return False
        if op == "NotIn" and val in e["values"]:
            return False
        if op == "Exists" and e["key"] not in labels:
            return False
        if op == "DoesNotExist" and e["key"] in labels:
            return False
    return True


# ------------------------------------------------------------- kubectl's STATUS column
def age(delta_s):
    """kubectl's duration.HumanDuration (short form)."""
    s = int(delta_s)
    if s < 0:
        return "<invalid>"
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        rs = s % 60
        return f"{m}m{rs}s" if rs else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = s // 3600
    if h < 8:
        rm = (s // 60) % 60
        return f"{h}h{rm}m" if rm else f"{h}h"
    if h < 48:
        return f"{h}h"
    if h < 24 * 8:
        rh = h % 24
        return f"{h // 24}d{rh}h" if rh else f"{h // 24}d"
    if h < 24 * 365 * 2:
        return f"{h // 24}d"
    return f"{h // 24 // 365}y"


def kubectl_pod_row(pod, now=ANCHOR):
    """READY, STATUS, RESTARTS as printed by `kubectl get pods` (k8s.io/kubectl printPod)."""
    st = pod.get("status", {})
    spec = pod.get("spec", {})
    restarts = 0
    total = len(spec.get("containers", []))
    ready = 0
    last_restart = None
    reason = st.get("phase", "")
    if st.get("reason"):
        reason = st["reason"]
    # sidecars (restartable init containers) count towards the total
    init_specs = spec.get("initContainers", [])
    sidecars = {c["name"] for c in init_specs if c.get("restartPolicy") == "Always"}
    total += len(sidecars)
    conds = {c["type"]: c["status"] for c in st.get("conditions", [])}

    def note_restart(cs):
        nonlocal last_restart
        t = (cs.get("lastState") or {}).get("terminated")
        if t and t.get("finishedAt"):
            f = parse_ts(t["finishedAt"])
            if last_restart is None or f > last_restart:
                last_restart = f

    initializing = False
    for i, cs in enumerate(st.get("initContainerStatuses", [])):
        restarts += cs.get("restartCount", 0)
        note_restart(cs)
        state = cs.get("state", {})
        if cs["name"] in sidecars and cs.get("started") and "running" in state:
            if cs.get("ready"):
                ready += 1
            continue
        term = state.get("terminated")
        wait = state.get("waiting")
        if term and term.get("exitCode") == 0:
            continue
        if term:
            if not term.get("reason"):
                reason = f"Init:Signal:{term['signal']}" if term.get("signal") else f"Init:ExitCode:{term.get('exitCode')}"
            else:
                reason = "Init:" + term["reason"]
            initializing = True
        elif wait and wait.get("reason") and wait["reason"] != "PodInitializing":
            reason = "Init:" + wait["reason"]
            initializing = True
        else:
            reason = f"Init:{i}/{len(init_specs)}"
            initializing = True
        break
    if not initializing or conds.get("Initialized") == "True":
        restarts = 0
        has_running = False
        for cs in reversed(st.get("containerStatuses", [])):
            restarts += cs.get("restartCount", 0)
            note_restart(cs)
            state = cs.get("state", {})
            wait, term = state.get("waiting"), state.get("terminated")
            if wait and wait.get("reason"):
                reason = wait["reason"]
            elif term and term.get("reason"):
                reason = term["reason"]
            elif term:
                reason = f"Signal:{term['signal']}" if term.get("signal") else f"ExitCode:{term.get('exitCode')}"
            elif cs.get("ready") and "running" in state:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if conds.get("Ready") == "True" else "NotReady"
    md = pod.get("metadata", {})
    if md.get("deletionTimestamp") and st.get("reason") == "NodeLost":
        reason = "Unknown"
    elif md.get("deletionTimestamp"):
        reason = "Terminating"
    r = str(restarts)
    if last_restart is not None:
        r = f"{restarts} ({age((now - last_restart).total_seconds())} ago)"
    created = parse_ts(md["creationTimestamp"])
    return f"{ready}/{total}", reason, r, age((now - created).total_seconds())


# ------------------------------------------------------------- checks
def main():
    files = sorted(glob.glob(os.path.join(HERE, "*.yaml")))
    if not files:
        err("no yaml files")
    objs = []
    for f in files:
        try:
            docs = [d for d in yaml.safe_load_all(open(f)) if d is not None]
        except yaml.YAMLError as e:
            err(f"{os.path.basename(f)}: YAML error: {e}")
            continue
        for d in docs:
            d["_file"] = os.path.basename(f)
            objs.append(d)

    by_key = {}
    uids = {}
    for o in objs:
        where = f"{o['_file']}: {ref(o)}"
        for k in ("apiVersion", "kind", "metadata"):
            if k not in o:
                err(f"{where}: missing {k}")
        md = o.get("metadata") or {}
        if not md.get("name"):
            err(f"{where}: missing metadata.name")
        kind = o.get("kind")
        if kind in KNOWN_API and o.get("apiVersion") != KNOWN_API[kind]:
            err(f"{where}: apiVersion {o.get('apiVersion')} for {kind}")
        if kind not in CLUSTER_SCOPED and not md.get("namespace"):
            err(f"{where}: namespaced kind without metadata.namespace")
        if kind in CLUSTER_SCOPED and md.get("namespace"):
            err(f"{where}: cluster-scoped kind with a namespace")
        if "resourceVersion" in md or "managedFields" in md:
            err(f"{where}: resourceVersion/managedFields belong to the server")
        walk_ts({k: v for k, v in o.items() if k != "_file"}, where)
        if not md.get("creationTimestamp"):
            err(f"{where}: no creationTimestamp")
        if kind not in ("PodMetrics", "NodeMetrics"):
            u = md.get("uid")
            if not u:
                err(f"{where}: no uid")
            else:
                try:
                    uuid.UUID(u)
                except ValueError:
                    err(f"{where}: uid {u} is not uuid-shaped")
                if u in uids:
                    err(f"{where}: uid {u} also used by {uids[u]}")
                uids[u] = where
        key = (o.get("apiVersion"), kind, md.get("namespace", ""), md.get("name"))
        if key in by_key:
            err(f"{where}: duplicate object")
        by_key[key] = o

    def find(api, kind, ns, name):
        return by_key.get((api, kind, ns or "", name))

    namespaces = {o["metadata"]["name"] for o in objs if o.get("kind") == "Namespace"}
    for o in objs:
        md = o["metadata"]
        where = f"{o['_file']}: {ref(o)}"
        if md.get("namespace") and md["namespace"] not in namespaces:
            err(f"{where}: namespace {md['namespace']} does not exist")
        for orf in md.get("ownerReferences") or []:
            owner = find(orf["apiVersion"], orf["kind"], md.get("namespace"), orf["name"])
            if not owner:
                err(f"{where}: owner {orf['kind']} {orf['name']} not found")
            elif owner["metadata"].get("uid") != orf.get("uid"):
                err(f"{where}: owner {orf['kind']} {orf['name']} uid mismatch")
        ctrl = [r for r in md.get("ownerReferences") or [] if r.get("controller")]
        if len(ctrl) > 1:
            err(f"{where}: more than one controller owner")
        if o["kind"] == "Pod" and ctrl and ctrl[0]["kind"] not in ("ReplicaSet", "StatefulSet", "DaemonSet", "Job"):
            err(f"{where}: pod owned by {ctrl[0]['kind']}")
        if o["kind"] == "ReplicaSet" and (not ctrl or ctrl[0]["kind"] != "Deployment"):
            err(f"{where}: ReplicaSet without a Deployment owner")

    pods = [o for o in objs if o["kind"] == "Pod"]
    workloads = [o for o in objs if o["kind"] in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job")]
    for w in workloads:
        where = f"{w['_file']}: {ref(w)}"
        sel = w["spec"].get("selector")
        if not sel:
            err(f"{where}: no selector")
            continue
        tl = w["spec"]["template"]["metadata"].get("labels", {})
        if not matches(sel, tl):
            err(f"{where}: selector does not match its template labels")
        ns = w["metadata"]["namespace"]
        mine = []
        if w["kind"] == "Deployment":
            rss = [r for r in objs if r["kind"] == "ReplicaSet" and r["metadata"]["namespace"] == ns and
                   any(x["uid"] == w["metadata"]["uid"] for x in r["metadata"].get("ownerReferences", []))]
            if not rss:
                err(f"{where}: no ReplicaSet")
            for r in rss:
                if not matches(sel, r["metadata"].get("labels", {})):
                    err(f"{where}: selector does not match ReplicaSet {r['metadata']['name']}")
            rs_uids = {r["metadata"]["uid"] for r in rss}
            mine = [p for p in pods if p["metadata"]["namespace"] == ns and
                    any(x["uid"] in rs_uids for x in p["metadata"].get("ownerReferences", []))]
        else:
            mine = [p for p in pods if p["metadata"]["namespace"] == ns and
                    any(x["uid"] == w["metadata"]["uid"] for x in p["metadata"].get("ownerReferences", []))]
        for p in mine:
            if not matches(sel, p["metadata"].get("labels", {})):
                err(f"{where}: selector does not match pod {p['metadata']['name']}")
        # pods matched by the selector but owned by someone else (would confuse drill-down)
        for p in pods:
            if p["metadata"]["namespace"] == ns and p not in mine and matches(sel, p["metadata"].get("labels", {})):
                err(f"{where}: selector also matches foreign pod {p['metadata']['name']}")
        if w["metadata"].get("generation") is not None and w.get("status", {}).get("observedGeneration") not in (None, w["metadata"]["generation"]):
            err(f"{where}: observedGeneration != generation")
        st = w.get("status", {})
        active = [p for p in mine if p["status"].get("phase") not in ("Succeeded", "Failed")
                  and not p["metadata"].get("deletionTimestamp")]
        ready = [p for p in active if any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))]
        if w["kind"] in ("ReplicaSet", "StatefulSet"):
            if st.get("replicas", 0) != len(active):
                err(f"{where}: status.replicas {st.get('replicas')} but {len(active)} active pods")
            if st.get("readyReplicas", 0) != len(ready):
                err(f"{where}: status.readyReplicas {st.get('readyReplicas')} but {len(ready)} ready pods")
            if w["spec"].get("replicas") != len(active) and w["kind"] == "StatefulSet":
                err(f"{where}: spec.replicas != pods")
        if w["kind"] == "Deployment":
            if st.get("replicas", 0) != len(active):
                err(f"{where}: status.replicas {st.get('replicas')} but {len(active)} active pods")
            if st.get("readyReplicas", 0) != len(ready):
                err(f"{where}: status.readyReplicas {st.get('readyReplicas')} but {len(ready)} ready pods")
        if w["kind"] == "DaemonSet":
            if st.get("desiredNumberScheduled") != len(mine) or st.get("numberReady") != len(ready):
                err(f"{where}: DaemonSet status does not match its pods")
    for svc in (o for o in objs if o["kind"] == "Service"):
        sel = svc["spec"].get("selector")
        if sel and not any(p["metadata"]["namespace"] == svc["metadata"]["namespace"] and
                           matches({"matchLabels": sel}, p["metadata"].get("labels", {})) for p in pods):
            err(f"{svc['_file']}: {ref(svc)}: selector matches no pod")
    for p in pods:
        where = f"{p['_file']}: {ref(p)}"
        node = p["spec"].get("nodeName")
        if node and not find("v1", "Node", "", node):
            err(f"{where}: node {node} not found")
        for v in p["spec"].get("volumes", []):
            if "persistentVolumeClaim" in v and not find("v1", "PersistentVolumeClaim", p["metadata"]["namespace"], v["persistentVolumeClaim"]["claimName"]):
                err(f"{where}: PVC {v['persistentVolumeClaim']['claimName']} not found")
        vnames = {v["name"] for v in p["spec"].get("volumes", [])}
        for c in p["spec"]["containers"] + p["spec"].get("initContainers", []):
            for m in c.get("volumeMounts", []):
                if m["name"] not in vnames:
                    err(f"{where}: container {c['name']} mounts undefined volume {m['name']}")
        names = [c["name"] for c in p["spec"]["containers"]]
        sn = [c["name"] for c in p["status"].get("containerStatuses", [])]
        if sn and sorted(sn) != sorted(names):
            err(f"{where}: containerStatuses names {sn} != containers {names}")
    for e in (o for o in objs if o["kind"] == "Event"):
        io = e["involvedObject"]
        t = find(io["apiVersion"], io["kind"], io.get("namespace"), io["name"])
        where = f"{e['_file']}: {ref(e)}"
        if not t:
            err(f"{where}: involvedObject {io['kind']} {io.get('namespace')}/{io['name']} not found")
        elif t["metadata"]["uid"] != io.get("uid"):
            err(f"{where}: involvedObject uid mismatch")
        if io.get("namespace") and io["namespace"] != e["metadata"]["namespace"]:
            err(f"{where}: event namespace differs from its object's")
    for m in (o for o in objs if o["kind"] == "PodMetrics"):
        p = find("v1", "Pod", m["metadata"]["namespace"], m["metadata"]["name"])
        if not p:
            err(f"{m['_file']}: {ref(m)}: no such pod")
        elif p["status"].get("phase") != "Running":
            err(f"{m['_file']}: {ref(m)}: pod is not Running")
    for m in (o for o in objs if o["kind"] == "NodeMetrics"):
        if not find("v1", "Node", "", m["metadata"]["name"]):
            err(f"{m['_file']}: {ref(m)}: no such node")

    if "--pods" in sys.argv:
        print(f"{'NAMESPACE':<14}{'NAME':<46}{'READY':<7}{'STATUS':<28}{'RESTARTS':<16}{'AGE':<8}NODE")
        for p in sorted(pods, key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"])):
            rd, stt, rs, ag = kubectl_pod_row(p)
            print(f"{p['metadata']['namespace']:<14}{p['metadata']['name']:<46}{rd:<7}{stt:<28}{rs:<16}{ag:<8}"
                  f"{p['spec'].get('nodeName', '<none>')}")
    kinds = {}
    for o in objs:
        kinds[o["kind"]] = kinds.get(o["kind"], 0) + 1
    print(f"{len(files)} files, {len(objs)} objects: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    for e in errors:
        print("ERROR:", e)
    if errors:
        print(f"{len(errors)} problem(s)")
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
