#!/usr/bin/env python3
"""Generator for the demo cluster's seed objects (samples/cluster/*.yaml).

Dev tooling: `python3 samples/cluster/gen.py` rewrites every NN-*.yaml file in
this directory, deterministically (fixed random seed). Hand edits to the YAML
files are lost when this is re-run; change this script instead (or delete it
once the YAML is edited by hand). `python3 samples/cluster/check.py` validates.

Timestamps are written as if "now" were 2026-01-01T00:00:00Z (the loader shifts
every RFC 3339 timestamp by real-now minus that anchor).
"""
import base64
import json
import copy
import datetime as dt
import os
import random
import uuid
from collections import defaultdict

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
R = random.Random(20260101)
ANCHOR = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
SAFE = "bcdfghjklmnpqrstvwxz2456789"  # k8s rand.SafeEncodeString alphabet
LOWER = "bcdfghjklmnpqrstvwxz2456789"

FILES = defaultdict(list)
OBJ = {}  # (kind, ns, name) -> obj


# ----------------------------------------------------------------- helpers
def T(d=0, h=0, m=0, s=0):
    """Datetime d/h/m/s before the anchor."""
    return ANCHOR - dt.timedelta(days=d, hours=h, minutes=m, seconds=s)


def fmt(t):
    assert t <= ANCHOR, t
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def plus(t, s):
    return t + dt.timedelta(seconds=s)


def new_uid():
    return str(uuid.UUID(int=R.getrandbits(128), version=4))


def hexn(n):
    return "".join(R.choice("0123456789abcdef") for _ in range(n))


def safe(n):
    return "".join(R.choice(SAFE) for _ in range(n))


def b64(s):
    return base64.b64encode(s.encode()).decode()


def add(fname, obj):
    md = obj["metadata"]
    key = (obj["kind"], md.get("namespace", ""), md["name"])
    assert key not in OBJ, key
    OBJ[key] = obj
    FILES[fname].append(obj)
    return obj


def get(kind, ns, name):
    return OBJ[(kind, ns, name)]


def meta(name, ns=None, created=None, labels=None, annotations=None, owner=None, **extra):
    m = {"name": name}
    if ns:
        m["namespace"] = ns
    m["uid"] = new_uid()
    m["creationTimestamp"] = fmt(created)
    if labels:
        m["labels"] = dict(labels)
    if annotations:
        m["annotations"] = dict(annotations)
    if owner:
        m["ownerReferences"] = [owner_ref(owner)]
    m.update(extra)
    return m


def owner_ref(o):
    api = o["apiVersion"]
    return {
        "apiVersion": api,
        "blockOwnerDeletion": True,
        "controller": True,
        "kind": o["kind"],
        "name": o["metadata"]["name"],
        "uid": o["metadata"]["uid"],
    }


def full_image(img):
    name = img
    first = name.split("/")[0]
    if "/" not in name:
        name = "docker.io/library/" + name
    elif "." not in first and ":" not in first and first != "localhost":
        name = "docker.io/" + name
    return name


def image_id(img):
    repo = full_image(img).rsplit(":", 1)[0] if ":" in full_image(img).split("/")[-1] else full_image(img)
    return f"{repo}@sha256:{hexn(64)}"


# ----------------------------------------------------------------- nodes
NODES = {
    "k3s-server": {"ip": "192.168.1.10", "net": "10.42.0.", "next": 2, "cpu": "4",
                   "mem": "16336584Ki", "cidr": "10.42.0.0/24", "role": True,
                   "boot": T(d=119, h=10), "kernel": "6.8.0-51-generic"},
    "k3s-agent-1": {"ip": "192.168.1.11", "net": "10.42.1.", "next": 2, "cpu": "8",
                    "mem": "32856948Ki", "cidr": "10.42.1.0/24", "role": False,
                    "boot": T(d=9, h=3, m=12), "kernel": "6.8.0-90-generic"},
}
CLUSTER_BIRTH = T(d=119, h=9, m=55)           # 2025-09-03T14:05:00Z
AGENT_REBOOT = NODES["k3s-agent-1"]["boot"]   # kernel update 9 days ago


def pod_ip(node):
    n = NODES[node]
    ip = n["net"] + str(n["next"])
    n["next"] += R.choice([1, 1, 1, 2, 3])
    return ip


def mk_nodes():
    for name, n in NODES.items():
        labels = {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/instance-type": "k3s",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": "k3s",
        }
        if n["role"]:
            labels["node-role.kubernetes.io/control-plane"] = "true"
            labels["node-role.kubernetes.io/master"] = "true"
        created = CLUSTER_BIRTH if n["role"] else plus(CLUSTER_BIRTH, 27 * 60)
        args = ["server", "--write-kubeconfig-mode", "644", "--tls-san", "k3s.home.lab"] if n["role"] \
            else ["agent", "--server", "https://192.168.1.10:6443", "--token", "********"]
        ann = {
            "alpha.kubernetes.io/provided-node-ip": n["ip"],
            "flannel.alpha.coreos.com/backend-data": '{"VNI":1,"VtepMAC":"%s"}' % ":".join(hexn(2) for _ in range(6)),
            "flannel.alpha.coreos.com/backend-type": "vxlan",
            "flannel.alpha.coreos.com/kube-subnet-manager": "true",
            "flannel.alpha.coreos.com/public-ip": n["ip"],
            "k3s.io/hostname": name,
            "k3s.io/internal-ip": n["ip"],
            "k3s.io/node-args": json.dumps(args, separators=(",", ":")),
            "k3s.io/node-config-hash": "".join(R.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(52)) + "====",
            "k3s.io/node-env": "{}",
            "node.alpha.kubernetes.io/ttl": "0",
            "volumes.kubernetes.io/controller-managed-attach-detach": "true",
        }
        if n["role"]:
            ann["etcd.k3s.cattle.io/local-snapshots-timestamp"] = fmt(T(h=12))
        eph_cap_ki = 244506940 if n["role"] else 479079112
        cap = {"cpu": n["cpu"], "ephemeral-storage": f"{eph_cap_ki}Ki", "hugepages-1Gi": "0",
               "hugepages-2Mi": "0", "memory": n["mem"], "pods": "110"}
        alloc = dict(cap)
        alloc["ephemeral-storage"] = str(int(eph_cap_ki * 1024 * 0.97))
        hb = T(s=R.randint(8, 40))
        boot = n["boot"]
        conds = []
        for typ, reason, msg in [
            ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ]:
            conds.append({"lastHeartbeatTime": fmt(hb), "lastTransitionTime": fmt(plus(boot, 40)),
                          "message": msg, "reason": reason, "status": "False", "type": typ})
        conds.append({"lastHeartbeatTime": fmt(hb), "lastTransitionTime": fmt(plus(boot, 52)),
                      "message": "kubelet is posting ready status", "reason": "KubeletReady",
                      "status": "True", "type": "Ready"})
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": meta(name, created=created, labels=labels, annotations=ann,
                             finalizers=["wrangler.cattle.io/node"]),
            "spec": {"podCIDR": n["cidr"], "podCIDRs": [n["cidr"]], "providerID": f"k3s://{name}"},
            "status": {
                "addresses": [{"address": n["ip"], "type": "InternalIP"}, {"address": name, "type": "Hostname"}],
                "allocatable": alloc,
                "capacity": cap,
                "conditions": conds,
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "features": {"supplementalGroupsPolicy": True},
                "nodeInfo": {
                    "architecture": "amd64",
                    "bootID": new_uid(),
                    "containerRuntimeVersion": "containerd://2.0.5-k3s2",
                    "kernelVersion": n["kernel"],
                    "kubeProxyVersion": "v1.33.3+k3s1",
                    "kubeletVersion": "v1.33.3+k3s1",
                    "machineID": hexn(32),
                    "operatingSystem": "linux",
                    "osImage": "Ubuntu 24.04.1 LTS",
                    "systemUUID": new_uid(),
                },
                "runtimeHandlers": [
                    {"features": {"recursiveReadOnlyMounts": True, "userNamespaces": True}, "name": "runc"},
                    {"features": {"recursiveReadOnlyMounts": True, "userNamespaces": True}, "name": ""},
                ],
            },
        }
        add("00-nodes.yaml", node)
    add("00-nodes.yaml", {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": meta("local-path", created=plus(CLUSTER_BIRTH, 20),
                         labels={"objectset.rio.cattle.io/hash": hexn(40)},
                         annotations={"defaultVolumeType": "local",
                                      "objectset.rio.cattle.io/id": "",
                                      "objectset.rio.cattle.io/owner-gvk": "k3s.cattle.io/v1, Kind=Addon",
                                      "objectset.rio.cattle.io/owner-name": "local-storage",
                                      "objectset.rio.cattle.io/owner-namespace": "kube-system",
                                      "storageclass.kubernetes.io/is-default-class": "true"}),
        "provisioner": "rancher.io/local-path",
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
    })


def mk_namespaces():
    ages = {"default": CLUSTER_BIRTH, "kube-system": CLUSTER_BIRTH, "kube-public": CLUSTER_BIRTH,
            "kube-node-lease": CLUSTER_BIRTH, "cert-manager": T(d=118, h=6), "mariadb": T(d=110, h=2),
            "redis": T(d=110, h=1, m=40), "minio": T(d=105, h=20), "harbor": T(d=100, h=4),
            "argo": T(d=90, h=3), "monitoring": T(d=60, h=5), "blog": T(d=108, h=22),
            "blog-dev": T(d=45, h=1)}
    for ns, created in ages.items():
        labels = {"kubernetes.io/metadata.name": ns}
        if ns in ("blog", "blog-dev", "mariadb", "redis", "minio"):
            labels.update({"app.kubernetes.io/managed-by": "bosun", "bosun.dev/app": ns})
        add("01-namespaces.yaml", {
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": meta(ns, created=created, labels=labels),
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        })


# ----------------------------------------------------------------- containers & templates
def res(req_cpu=None, req_mem=None, lim_cpu=None, lim_mem=None):
    r = {}
    req = {k: v for k, v in (("cpu", req_cpu), ("memory", req_mem)) if v}
    lim = {k: v for k, v in (("cpu", lim_cpu), ("memory", lim_mem)) if v}
    if lim:
        r["limits"] = lim
    if req:
        r["requests"] = req
    return r


def http_probe(path, port, delay=None, period=10, timeout=1, failure=3, scheme="HTTP"):
    p = {"failureThreshold": failure, "httpGet": {"path": path, "port": port, "scheme": scheme},
         "periodSeconds": period, "successThreshold": 1, "timeoutSeconds": timeout}
    if delay:
        p["initialDelaySeconds"] = delay
    return p


def tcp_probe(port, delay=None, period=10, timeout=1, failure=3):
    p = {"failureThreshold": failure, "periodSeconds": period, "successThreshold": 1,
         "tcpSocket": {"port": port}, "timeoutSeconds": timeout}
    if delay:
        p["initialDelaySeconds"] = delay
    return p


def exec_probe(cmd, delay=None, period=10, timeout=1, failure=3):
    p = {"exec": {"command": cmd}, "failureThreshold": failure, "periodSeconds": period,
         "successThreshold": 1, "timeoutSeconds": timeout}
    if delay:
        p["initialDelaySeconds"] = delay
    return p


def env_kv(**kw):
    return [{"name": k, "value": v} for k, v in kw.items()]


def env_secret(name, secret, key):
    return {"name": name, "valueFrom": {"secretKeyRef": {"key": key, "name": secret}}}


def env_field(name, path):
    return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}}


def C(name, image, ports=(), resources=None, env=None, args=None, command=None, mounts=None,
      liveness=None, readiness=None, startup=None, pull="IfNotPresent", sc=None, env_from=None):
    c = {"name": name, "image": image}
    if command:
        c["command"] = command
    if args:
        c["args"] = args
    if env:
        c["env"] = env
    if env_from:
        c["envFrom"] = env_from
    c["imagePullPolicy"] = pull
    if liveness:
        c["livenessProbe"] = liveness
    pl = []
    for p in ports:
        pname, port = p[0], p[1]
        proto = p[2] if len(p) > 2 else "TCP"
        d = {"containerPort": port}
        if len(p) > 3:
            d["hostPort"] = p[3]
        if pname:
            d["name"] = pname
        d["protocol"] = proto
        pl.append(d)
    if pl:
        c["ports"] = pl
    if readiness:
        c["readinessProbe"] = readiness
    c["resources"] = resources or {}
    if sc:
        c["securityContext"] = sc
    if startup:
        c["startupProbe"] = startup
    c["terminationMessagePath"] = "/dev/termination-log"
    c["terminationMessagePolicy"] = "File"
    if mounts:
        c["volumeMounts"] = [dict(m) for m in mounts]
    return c


def M(name, path, ro=False, sub=None):
    m = {"mountPath": path, "name": name}
    if ro:
        m["readOnly"] = True
    if sub:
        m["subPath"] = sub
    return m


CRIT_TOLERATIONS = [
    {"key": "CriticalAddonsOnly", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node-role.kubernetes.io/master", "operator": "Exists"},
]


def template(labels, containers, init=None, sa=None, volumes=None, annotations=None, restart="Always",
             grace=30, **spec_extra):
    md = {"creationTimestamp": None, "labels": dict(labels)}
    if annotations:
        md["annotations"] = dict(annotations)
    spec = {"containers": containers, "dnsPolicy": "ClusterFirst"}
    if init:
        spec["initContainers"] = init
    spec["restartPolicy"] = restart
    spec["schedulerName"] = "default-scheduler"
    spec["securityContext"] = {}
    if sa:
        spec["serviceAccount"] = sa
        spec["serviceAccountName"] = sa
    spec["terminationGracePeriodSeconds"] = grace
    if volumes:
        spec["volumes"] = volumes
    for k, v in spec_extra.items():
        spec[k] = v
    return {"metadata": md, "spec": spec}


PRIORITY = {"system-cluster-critical": 2000000000, "system-node-critical": 2000001000}


# ----------------------------------------------------------------- pod status
def cs_entry(c, state, ready, started, restarts, last=None, pulled=True):
    e = {}
    if pulled:
        e["containerID"] = "containerd://" + hexn(64)
    e["image"] = full_image(c["image"])
    e["imageID"] = image_id(c["image"]) if pulled else ""
    e["lastState"] = last or {}
    e["name"] = c["name"]
    e["ready"] = ready
    if c.get("resources"):
        e["resources"] = copy.deepcopy(c["resources"])
    e["restartCount"] = restarts
    e["started"] = started
    e["state"] = state
    vms = []
    for m in c.get("volumeMounts", []):
        v = {"mountPath": m["mountPath"], "name": m["name"]}
        if m.get("readOnly"):
            v["readOnly"] = True
            v["recursiveReadOnly"] = "Disabled"
        vms.append(v)
    if vms:
        e["volumeMounts"] = vms
    return e


def term(reason, code, started, finished, signal=None):
    t = {"containerID": "containerd://" + hexn(64), "exitCode": code, "finishedAt": fmt(finished),
         "reason": reason, "startedAt": fmt(started)}
    return t


def cond(typ, status, t, reason=None, message=None):
    c = {"lastProbeTime": None, "lastTransitionTime": fmt(t)}
    if message:
        c["message"] = message
    if reason:
        c["reason"] = reason
    c["status"] = status
    c["type"] = typ
    return c


def qos(containers):
    reqs = [c.get("resources", {}) for c in containers]
    if not any(r for r in reqs):
        return "BestEffort"
    guaranteed = True
    for r in reqs:
        lim = r.get("limits", {})
        req = r.get("requests", lim)
        for k in ("cpu", "memory"):
            if k not in lim or req.get(k) != lim.get(k):
                guaranteed = False
    return "Guaranteed" if guaranteed else "Burstable"


def pod_status(pod, mode, node, created, p):
    """Build status for a pod. p: dict of mode-specific parameters."""
    spec = pod["spec"]
    ctrs = spec["containers"]
    inits = spec.get("initContainers", [])
    names = [c["name"] for c in ctrs]
    st = {}
    sched = plus(created, 0)
    if mode == "unschedulable":
        st["conditions"] = [cond("PodScheduled", "False", p.get("since", created), "Unschedulable", p["message"])]
        st["phase"] = "Pending"
        st["qosClass"] = qos(ctrs)
        return st

    ip = node and (NODES[node]["ip"] if spec.get("hostNetwork") else pod_ip(node))
    host = NODES[node]["ip"]
    sandbox = plus(created, p.get("sandbox_delay", 2))
    start = p.get("started", plus(created, p.get("start_delay", 4)))
    init_statuses = []
    init_done = sandbox
    if inits and mode != "init-stuck":
        t0 = sandbox
        for ic in inits:
            t1 = plus(t0, p.get("init_seconds", 3))
            init_statuses.append(cs_entry(ic, {"terminated": term("Completed", 0, t0, t1)}, True, False, 0))
            t0 = t1
        init_done = t0

    cstat = []
    phase = "Running"
    ready_all = True
    ready_t = None
    conds_extra = []
    reason_msg = None

    if mode == "running":
        restarts = p.get("restarts", {})
        lasts = p.get("last", {})
        not_ready = set(p.get("not_ready", []))
        reboot = node == "k3s-agent-1" and created < AGENT_REBOOT and not p.get("no_reboot")
        for c in ctrs:
            s = start if start > init_done else plus(init_done, 1)
            rc = restarts.get(c["name"], 0)
            last = lasts.get(c["name"])
            if reboot:
                s = plus(AGENT_REBOOT, 95 + R.randint(0, 40))
                rc += 1
                last = {"terminated": term("Unknown", 255, start, AGENT_REBOOT)}
            rdy = c["name"] not in not_ready
            cstat.append(cs_entry(c, {"running": {"startedAt": fmt(s)}}, rdy, True, rc, last))
            if rdy:
                r_t = plus(s, p.get("ready_delay", 6))
                ready_t = max(ready_t, r_t) if ready_t else r_t
            else:
                ready_all = False
        if reboot:
            sandbox = plus(AGENT_REBOOT, 90)
        if not ready_all:
            ready_t = p.get("unready_since", ready_t or start)
    elif mode == "crashloop":
        for c in ctrs:
            if c["name"] == p["container"]:
                lt = p["last_finished"]
                last = {"terminated": term(p.get("last_reason", "Error"), p.get("exit", 1),
                                            plus(lt, -p.get("ran", 4)), lt)}
                msg = f"back-off 5m0s restarting failed container={c['name']} pod={pod['metadata']['name']}_{pod['metadata']['namespace']}({pod['metadata']['uid']})"
                cstat.append(cs_entry(c, {"waiting": {"message": msg, "reason": "CrashLoopBackOff"}},
                                      False, False, p["restarts"], last))
                ready_all = False
            else:
                cstat.append(cs_entry(c, {"running": {"startedAt": fmt(start)}}, True, True, 0))
        ready_t = p["last_finished"]
    elif mode == "terminated":  # container terminated, phase still Running (restartPolicy Always)
        for c in ctrs:
            last = {"terminated": term(p["last_reason"], p["exit"], p["last_started"], p["last_finished"])}
            cur = {"terminated": term(p["reason"], p["exit"], p["cur_started"], p["cur_finished"])}
            cstat.append(cs_entry(c, cur, False, False, p["restarts"], last))
        ready_all = False
        ready_t = p["cur_finished"]
    elif mode == "imagepull":
        for c in ctrs:
            msg = f'Back-off pulling image "{c["image"]}"'
            e = cs_entry(c, {"waiting": {"message": msg, "reason": "ImagePullBackOff"}}, False, False, 0, pulled=False)
            cstat.append(e)
        ready_all = False
        ready_t = created
        phase = "Pending"
    elif mode == "configerror":
        for c in ctrs:
            e = cs_entry(c, {"waiting": {"message": p["message"], "reason": "CreateContainerConfigError"}},
                         False, False, 0, pulled=False)
            cstat.append(e)
        ready_all = False
        ready_t = created
        phase = "Pending"
    elif mode == "init-stuck":
        ic = inits[0]
        init_statuses = [cs_entry(ic, {"running": {"startedAt": fmt(start)}}, False, True, 0)]
        for extra in inits[1:]:
            init_statuses.append(cs_entry(extra, {"waiting": {"reason": "PodInitializing"}}, False, False, 0, pulled=False))
        for c in ctrs:
            cstat.append(cs_entry(c, {"waiting": {"reason": "PodInitializing"}}, False, False, 0, pulled=False))
        ready_all = False
        ready_t = created
        phase = "Pending"
    elif mode == "completed":
        fin = p["finished"]
        for c in ctrs:
            last = {}
            rc = p.get("restarts", 0)
            if rc:
                last = {"terminated": term("Error", 1, plus(created, 3), plus(created, 30))}
            cstat.append(cs_entry(c, {"terminated": term("Completed", 0, p.get("started", start), fin)},
                                  False, False, rc, last))
        phase = "Succeeded"
        ready_all = False
        ready_t = fin
    elif mode == "evicted":
        phase = "Failed"
        ready_all = False
        ready_t = p["at"]
        reason_msg = ("Evicted", p["message"])
    else:
        raise ValueError(mode)

    unready = [c["name"] for c, s in zip(ctrs, cstat) if not s["ready"]] if cstat else names
    conds = []
    if mode == "evicted":
        conds.append(cond("DisruptionTarget", "True", p["at"], "TerminationByKubelet", p["message"]))
        conds.append(cond("PodReadyToStartContainers", "False", plus(p["at"], 2)))
    elif mode == "completed":
        conds.append(cond("PodReadyToStartContainers", "False", plus(p["finished"], 1)))
    else:
        conds.append(cond("PodReadyToStartContainers", "True", sandbox))
    if mode == "init-stuck":
        conds.append(cond("Initialized", "False", created, "ContainersNotInitialized",
                          f"containers with incomplete status: [{' '.join(i['name'] for i in inits)}]"))
    elif mode == "completed":
        conds.append(cond("Initialized", "True", created, "PodCompleted"))
    else:
        conds.append(cond("Initialized", "True", init_done if inits else created))
    if ready_all:
        conds.append(cond("Ready", "True", ready_t))
        conds.append(cond("ContainersReady", "True", ready_t))
    elif mode in ("completed", "evicted"):
        conds.append(cond("Ready", "False", ready_t, "PodCompleted" if mode == "completed" else "PodFailed"))
        conds.append(cond("ContainersReady", "False", ready_t, "PodCompleted" if mode == "completed" else "PodFailed"))
    else:
        msg = f"containers with unready status: [{' '.join(unready)}]"
        conds.append(cond("Ready", "False", ready_t, "ContainersNotReady", msg))
        conds.append(cond("ContainersReady", "False", ready_t, "ContainersNotReady", msg))
    conds.append(cond("PodScheduled", "True", sched))

    st["conditions"] = conds
    if cstat:
        st["containerStatuses"] = cstat
    st["hostIP"] = host
    st["hostIPs"] = [{"ip": host}]
    if init_statuses:
        st["initContainerStatuses"] = init_statuses
    if reason_msg:
        st["message"] = reason_msg[1]
    st["phase"] = phase
    if mode != "evicted":
        st["podIP"] = ip
        st["podIPs"] = [{"ip": ip}]
    st["qosClass"] = qos(ctrs)
    if reason_msg:
        st["reason"] = reason_msg[0]
    st["startTime"] = fmt(created)
    return st


def mk_pod(fname, ns, name, tmpl, owner, node, created, mode="running", p=None, generate_name=None,
           extra_labels=None, deletion=None, affinity=None, annotations=None):
    p = p or {}
    spec = copy.deepcopy(tmpl["spec"])
    labels = dict(tmpl["metadata"]["labels"])
    if extra_labels:
        labels.update(extra_labels)
    ann = dict(tmpl["metadata"].get("annotations", {}))
    if annotations:
        ann.update(annotations)
    md = meta(name, ns, created, labels, ann or None, owner)
    if generate_name:
        md = {"generateName": generate_name, **md}
    if deletion:
        md["deletionGracePeriodSeconds"] = deletion[1]
        md["deletionTimestamp"] = fmt(deletion[0])
    if owner and owner["kind"] == "Job":
        md["finalizers"] = ["batch.kubernetes.io/job-tracking"] if mode not in ("completed",) else None
        if md["finalizers"] is None:
            del md["finalizers"]
    api = "kube-api-access-" + "".join(R.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(5))
    if affinity:
        spec["affinity"] = affinity
    spec["enableServiceLinks"] = True
    if node and mode != "unschedulable":
        spec["nodeName"] = node
    pc = spec.get("priorityClassName")
    spec["preemptionPolicy"] = "PreemptLowerPriority"
    spec["priority"] = PRIORITY.get(pc, 0)
    sa = spec.get("serviceAccountName", "default")
    spec["serviceAccount"] = sa
    spec["serviceAccountName"] = sa
    tol = list(spec.get("tolerations", []))
    if owner and owner["kind"] == "DaemonSet":
        for eff, key in [("NoExecute", "node.kubernetes.io/not-ready"), ("NoExecute", "node.kubernetes.io/unreachable"),
                         ("NoSchedule", "node.kubernetes.io/disk-pressure"), ("NoSchedule", "node.kubernetes.io/memory-pressure"),
                         ("NoSchedule", "node.kubernetes.io/pid-pressure"), ("NoSchedule", "node.kubernetes.io/unschedulable")]:
            tol.append({"effect": eff, "key": key, "operator": "Exists"})
        if spec.get("hostNetwork"):
            tol.append({"effect": "NoSchedule", "key": "node.kubernetes.io/network-unavailable", "operator": "Exists"})
    else:
        tol.append({"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300})
        tol.append({"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300})
    spec["tolerations"] = tol
    vols = list(spec.get("volumes", []))
    automount = spec.get("automountServiceAccountToken", True)
    if automount:
        vols.append({"name": api, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
        {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}},
    ]}})
    if vols:
        spec["volumes"] = vols
    for c in spec["containers"] + spec.get("initContainers", []) if automount else []:
        c.setdefault("volumeMounts", []).append(M(api, "/var/run/secrets/kubernetes.io/serviceaccount", ro=True))
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": dict(sorted(spec.items()))}
    pod["status"] = pod_status(pod, mode, node, created, p)
    return add(fname, pod)


# ----------------------------------------------------------------- workloads
def default_strategy():
    return {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"}


def pod_ready(pod):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))


def pod_active(pod):
    return pod["status"]["phase"] not in ("Succeeded", "Failed") and "deletionTimestamp" not in pod["metadata"]


def deployment(fname, ns, name, labels, selector, replicas, created, rsets, generation=1, strategy=None,
               conditions=None, annotations=None, revision_history=10, progress_deadline=600):
    """rsets: list of dicts (oldest first, last one is the current RS):
         {tmpl, created, revision, replicas, pods: [dict(node, created, mode, p, deletion)]}
    """
    dep = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": meta(name, ns, created, labels,
                            {"deployment.kubernetes.io/revision": str(rsets[-1]["revision"]), **(annotations or {})},
                            generation=generation),
           "spec": {}}
    add(fname, dep)
    all_pods = []
    rs_objs = []
    for i, rsd in enumerate(rsets):
        tmpl = copy.deepcopy(rsd["tmpl"])
        h = rsd.get("hash") or safe(R.choice([9, 10]))
        tmpl["metadata"]["labels"]["pod-template-hash"] = h
        rsname = f"{name}-{h}"
        rs_labels = dict(tmpl["metadata"]["labels"])
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
              "metadata": meta(rsname, ns, rsd["created"], rs_labels,
                               {"deployment.kubernetes.io/desired-replicas": str(replicas),
                                "deployment.kubernetes.io/max-replicas": str(replicas + (0 if strategy and strategy["type"] == "Recreate" else max(1, -(-replicas // 4)))),
                                "deployment.kubernetes.io/revision": str(rsd["revision"])},
                               dep, generation=rsd.get("generation", 2 if rsd["replicas"] == 0 else 1)),
              "spec": {"replicas": rsd["replicas"],
                       "selector": {"matchLabels": {**selector, "pod-template-hash": h}},
                       "template": tmpl}}
        add(fname, rs)
        pods = []
        for pd in rsd.get("pods", []):
            pname = f"{rsname}-{safe(5)}"
            pod = mk_pod(fname, ns, pname, tmpl, rs, pd.get("node"), pd["created"], pd.get("mode", "running"),
                         pd.get("p"), generate_name=f"{rsname}-", deletion=pd.get("deletion"))
            pd["obj"] = pod
            pods.append(pod)
        act = [x for x in pods if pod_active(x)]
        rdy = [x for x in act if pod_ready(x)]
        rst = {"replicas": len(act)}
        if rdy:
            rst["availableReplicas"] = len(rdy)
        if act:
            rst["fullyLabeledReplicas"] = len(act)
        rst["observedGeneration"] = rs["metadata"]["generation"]
        if rdy:
            rst["readyReplicas"] = len(rdy)
        rst = dict(sorted(rst.items()))
        rs["status"] = rst
        rsd["obj"] = rs
        all_pods += pods
        rs_objs.append(rs)
    cur = rs_objs[-1]
    strategy = strategy or default_strategy()
    dep["spec"] = {"progressDeadlineSeconds": progress_deadline, "replicas": replicas,
                   "revisionHistoryLimit": revision_history,
                   "selector": {"matchLabels": dict(selector)},
                   "strategy": strategy,
                   "template": copy.deepcopy(rsets[-1]["tmpl"])}
    tot = sum(r["status"]["replicas"] for r in rs_objs)
    ready = sum(r["status"].get("readyReplicas", 0) for r in rs_objs)
    avail = sum(r["status"].get("availableReplicas", 0) for r in rs_objs)
    upd = cur["status"]["replicas"]
    st = {}
    if avail:
        st["availableReplicas"] = avail
    last_ready = max((c["lastTransitionTime"] for x in all_pods for c in x["status"].get("conditions", [])
                      if c["type"] == "Ready" and c["status"] == "True"), default=fmt(rsets[-1]["created"]))
    if conditions is None:
        max_unavail = 0 if strategy["type"] == "Recreate" else replicas // 4
        av_ok = avail >= replicas - max_unavail
        conditions = [
            {"type": "Available", "status": "True" if av_ok else "False",
             "reason": "MinimumReplicasAvailable" if av_ok else "MinimumReplicasUnavailable",
             "message": "Deployment has minimum availability." if av_ok else "Deployment does not have minimum availability.",
             "t": last_ready},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
             "message": f'ReplicaSet "{cur["metadata"]["name"]}" has successfully progressed.',
             "t": fmt(rsets[-1]["created"]), "u": last_ready},
        ]
    cl = []
    for c in conditions:
        msg = c["message"].replace("{rs}", cur["metadata"]["name"])
        cl.append({"lastTransitionTime": c["t"], "lastUpdateTime": c.get("u", c["t"]), "message": msg,
                   "reason": c["reason"], "status": c["status"], "type": c["type"]})
    st["conditions"] = cl
    st["observedGeneration"] = generation
    if ready:
        st["readyReplicas"] = ready
    if tot:
        st["replicas"] = tot
    spec_total = sum(r["spec"]["replicas"] for r in rs_objs)  # as the deployment controller computes it
    if spec_total - avail > 0:
        st["unavailableReplicas"] = spec_total - avail
    if upd:
        st["updatedReplicas"] = upd
    dep["status"] = dict(sorted(st.items()))
    return dep, rs_objs


def statefulset(fname, ns, name, labels, selector, tmpl, created, pods, service, generation=1,
                vcts=None, pvc_size=None, storage_node=None, revision_hash=None):
    """pods: list of dicts(node, created, mode, p) for ordinals 0.."""
    h = revision_hash or safe(10)
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet",
           "metadata": meta(name, ns, created, labels, None, None, generation=generation),
           "spec": {}}
    add(fname, sts)
    tmpl = copy.deepcopy(tmpl)
    spec = {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            "podManagementPolicy": "OrderedReady", "replicas": len(pods), "revisionHistoryLimit": 10,
            "selector": {"matchLabels": dict(selector)}, "serviceName": service, "template": tmpl,
            "updateStrategy": {"rollingUpdate": {"partition": 0}, "type": "RollingUpdate"}}
    if vcts:
        spec["volumeClaimTemplates"] = []
        for vname, size in vcts:
            spec["volumeClaimTemplates"].append({
                "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"creationTimestamp": None, "name": vname},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}},
                         "volumeMode": "Filesystem"},
                "status": {"phase": "Pending"}})
    sts["spec"] = spec
    objs = []
    for i, pd in enumerate(pods):
        pname = f"{name}-{i}"
        ptmpl = copy.deepcopy(tmpl)
        vols = ptmpl["spec"].setdefault("volumes", [])
        for vname, size in vcts or []:
            claim = f"{vname}-{pname}"
            vols.insert(0, {"name": vname, "persistentVolumeClaim": {"claimName": claim}})
            pvc(fname, ns, claim, size, pd.get("pvc_created", created), pd["node"], labels=selector)
        pod = mk_pod(fname, ns, pname, ptmpl, sts, pd["node"], pd["created"], pd.get("mode", "running"),
                     pd.get("p"), generate_name=f"{name}-",
                     extra_labels={"apps.kubernetes.io/pod-index": str(i),
                                   "controller-revision-hash": f"{name}-{h}",
                                   "statefulset.kubernetes.io/pod-name": pname})
        pod["spec"]["hostname"] = pname
        pod["spec"]["subdomain"] = service
        pod["spec"] = dict(sorted(pod["spec"].items()))
        pd["obj"] = pod
        objs.append(pod)
    rdy = sum(1 for x in objs if pod_ready(x))
    st = {"availableReplicas": rdy, "collisionCount": 0, "currentReplicas": len(objs),
          "currentRevision": f"{name}-{h}", "observedGeneration": generation}
    if rdy:
        st["readyReplicas"] = rdy
    st.update({"replicas": len(objs), "updateRevision": f"{name}-{h}", "updatedReplicas": len(objs)})
    sts["status"] = st
    return sts, objs


def daemonset(fname, ns, name, labels, selector, tmpl, created, pods, generation=1, annotations=None):
    h = safe(R.choice([9, 10]))
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet",
          "metadata": meta(name, ns, created, labels,
                           {"deprecated.daemonset.template.generation": str(generation), **(annotations or {})},
                           generation=generation),
          "spec": {"revisionHistoryLimit": 10, "selector": {"matchLabels": dict(selector)},
                   "template": copy.deepcopy(tmpl),
                   "updateStrategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}, "type": "RollingUpdate"}}}
    add(fname, ds)
    objs = []
    for pd in pods:
        node = pd["node"]
        aff = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}}}
        pod = mk_pod(fname, ns, f"{name}-{safe(5)}", tmpl, ds, node, pd["created"], pd.get("mode", "running"),
                     pd.get("p"), generate_name=f"{name}-", affinity=aff,
                     extra_labels={"controller-revision-hash": h, "pod-template-generation": str(generation)})
        pd["obj"] = pod
        objs.append(pod)
    rdy = sum(1 for x in objs if pod_ready(x))
    st = {"currentNumberScheduled": len(objs), "desiredNumberScheduled": len(objs), "numberMisscheduled": 0,
          "numberReady": rdy, "observedGeneration": generation, "updatedNumberScheduled": len(objs)}
    if rdy:
        st["numberAvailable"] = rdy
    if len(objs) - rdy:
        st["numberUnavailable"] = len(objs) - rdy
    ds["status"] = dict(sorted(st.items()))
    return ds, objs


def job(fname, ns, name, tmpl, created, pod_spec, owner=None, labels=None, annotations=None, backoff=6,
        ttl=None):
    juid = new_uid()
    jl = {"batch.kubernetes.io/controller-uid": juid, "batch.kubernetes.io/job-name": name,
          "controller-uid": juid, "job-name": name}
    t = copy.deepcopy(tmpl)
    t["metadata"]["labels"].update(jl)
    md = meta(name, ns, created, {**(labels or {}), **jl}, annotations, owner, generation=1)
    md["uid"] = juid
    j = {"apiVersion": "batch/v1", "kind": "Job", "metadata": md,
         "spec": {"backoffLimit": backoff, "completionMode": "NonIndexed", "completions": 1,
                  "manualSelector": False, "parallelism": 1, "podReplacementPolicy": "TerminatingOrFailed",
                  "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": juid}},
                  "suspend": False, "template": t}}
    if ttl is not None:
        j["spec"]["ttlSecondsAfterFinished"] = ttl
    add(fname, j)
    pod = mk_pod(fname, ns, f"{name}-{safe(5)}", t, j, pod_spec["node"], pod_spec["created"], "completed",
                 pod_spec["p"], generate_name=f"{name}-")
    fin = pod_spec["p"]["finished"]
    done = plus(fin, 2)
    j["status"] = {
        "completionTime": fmt(done),
        "conditions": [
            {"lastProbeTime": fmt(done), "lastTransitionTime": fmt(done),
             "message": "Reached expected number of succeeded pods", "reason": "CompletionsReached",
             "status": "True", "type": "SuccessCriteriaMet"},
            {"lastProbeTime": fmt(done), "lastTransitionTime": fmt(done),
             "message": "Reached expected number of succeeded pods", "reason": "CompletionsReached",
             "status": "True", "type": "Complete"},
        ],
        "ready": 0, "startTime": fmt(created), "succeeded": 1, "terminating": 0,
        "uncountedTerminatedPods": {}}
    return j, pod


def service(fname, ns, name, labels, selector, ports, created, cluster_ip, typ="ClusterIP", headless=False,
            lb_ips=None, annotations=None):
    pl = []
    for p in ports:
        d = {"name": p[0], "port": p[1], "protocol": p[3] if len(p) > 3 else "TCP", "targetPort": p[2]}
        if not p[0]:
            del d["name"]
        if typ == "LoadBalancer":
            d["nodePort"] = p[4]
        pl.append(d)
    spec = {"clusterIP": "None" if headless else cluster_ip, "clusterIPs": ["None" if headless else cluster_ip]}
    if typ == "LoadBalancer":
        spec["allocateLoadBalancerNodePorts"] = True
        spec["externalTrafficPolicy"] = "Cluster"
    spec.update({"internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                 "ports": pl})
    if selector:
        spec["selector"] = dict(selector)
    spec["sessionAffinity"] = "None"
    spec["type"] = typ
    st = {"loadBalancer": {}}
    if lb_ips:
        st["loadBalancer"] = {"ingress": [{"ip": ip, "ipMode": "VIP"} for ip in lb_ips]}
    return add(fname, {"apiVersion": "v1", "kind": "Service",
                       "metadata": meta(name, ns, created, labels, annotations), "spec": spec, "status": st})


def ingress(fname, ns, name, labels, host, svc, port, created, tls_secret=None, annotations=None):
    spec = {"ingressClassName": "traefik",
            "rules": [{"host": host, "http": {"paths": [
                {"backend": {"service": {"name": svc, "port": {"number": port} if isinstance(port, int) else {"name": port}}},
                 "path": "/", "pathType": "Prefix"}]}}]}
    if tls_secret:
        spec["tls"] = [{"hosts": [host], "secretName": tls_secret}]
    ann = {"cert-manager.io/cluster-issuer": "letsencrypt-prod"} if tls_secret else {}
    ann.update(annotations or {})
    return add(fname, {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                       "metadata": meta(name, ns, created, labels, ann or None, generation=1),
                       "spec": spec,
                       "status": {"loadBalancer": {"ingress": [{"ip": "192.168.1.10"}, {"ip": "192.168.1.11"}]}}})


def pvc(fname, ns, name, size, created, node, labels=None, access="ReadWriteOnce"):
    pv_name = f"pvc-{new_uid()}"
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
             "metadata": meta(name, ns, created, labels,
                              {"pv.kubernetes.io/bind-completed": "yes",
                               "pv.kubernetes.io/bound-by-controller": "yes",
                               "volume.beta.kubernetes.io/storage-provisioner": "rancher.io/local-path",
                               "volume.kubernetes.io/selected-node": node,
                               "volume.kubernetes.io/storage-provisioner": "rancher.io/local-path"},
                              finalizers=["kubernetes.io/pvc-protection"]),
             "spec": {"accessModes": [access], "resources": {"requests": {"storage": size}},
                      "storageClassName": "local-path", "volumeMode": "Filesystem", "volumeName": pv_name},
             "status": {"accessModes": [access], "capacity": {"storage": size}, "phase": "Bound"}}
    # the PV's name is pvc-<claim uid>, as external provisioners do
    pv_name = f"pvc-{claim['metadata']['uid']}"
    claim["spec"]["volumeName"] = pv_name
    add(fname, claim)
    add("02-storage.yaml", {
        "apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": meta(pv_name, None, plus(created, 6), None,
                         {"local.path.provisioner/selected-node": node,
                          "pv.kubernetes.io/provisioned-by": "rancher.io/local-path"},
                         finalizers=["kubernetes.io/pv-protection"]),
        "spec": {"accessModes": [access], "capacity": {"storage": size},
                 "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": name,
                              "namespace": ns, "uid": claim["metadata"]["uid"]},
                 "hostPath": {"path": f"/var/lib/rancher/k3s/storage/{pv_name}_{ns}_{name}", "type": "DirectoryOrCreate"},
                 "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                     {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]}},
                 "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "local-path",
                 "volumeMode": "Filesystem"},
        "status": {"lastPhaseTransitionTime": fmt(plus(created, 6)), "phase": "Bound"}})
    return claim


def secret(fname, ns, name, data, created, typ="Opaque", labels=None):
    return add(fname, {"apiVersion": "v1", "kind": "Secret",
                       "metadata": meta(name, ns, created, labels),
                       "data": {k: b64(v) for k, v in data.items()}, "type": typ})


def sa(fname, ns, name, created, labels=None):
    return add(fname, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(name, ns, created, labels)})


SVC_IP = {"n": 0}


def cip():
    SVC_IP["n"] += R.randint(3, 900)
    n = SVC_IP["n"] + 20
    return f"10.43.{n // 250}.{n % 250 + 2}"


EVENTS = []  # filled per-scenario, written last


def event(obj, reason, message, typ="Normal", count=1, first=None, last=None, component="kubelet",
          host=None, field=None):
    last = last or first
    md = obj["metadata"]
    name = md["name"]
    nanos = int((first - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)).total_seconds() * 1e9) + R.randint(0, 999999999)
    inv = {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": name, "uid": md["uid"]}
    if md.get("namespace"):
        inv["namespace"] = md["namespace"]
    if field:
        inv["fieldPath"] = field
    ns = md.get("namespace", "default")
    src = {"component": component}
    if host:
        src["host"] = host
    inst = host if component == "kubelet" else ("default-scheduler-k3s-server" if component == "default-scheduler" else "")
    ev = {"apiVersion": "v1", "kind": "Event", "count": count, "eventTime": None,
          "firstTimestamp": fmt(first), "involvedObject": dict(sorted(inv.items())),
          "lastTimestamp": fmt(last), "message": message,
          "metadata": {"name": f"{name}.{nanos:x}", "namespace": ns, "uid": new_uid(),
                       "creationTimestamp": fmt(first)},
          "reason": reason, "reportingComponent": component, "reportingInstance": inst,
          "source": src, "type": typ}
    EVENTS.append(ev)
    return ev


def pod_events(pod, t, pulled_msg=None, count=1, last=None, containers=None, sched=True):
    """Scheduled/Pulled/Created/Started for a pod started at t."""
    node = pod["spec"]["nodeName"]
    ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    if sched:
        event(pod, "Scheduled", f"Successfully assigned {ns}/{name} to {node}", first=t, component="default-scheduler")
    for c in containers or pod["spec"]["containers"]:
        f = f"spec.containers{{{c['name']}}}" if c in pod["spec"]["containers"] else f"spec.initContainers{{{c['name']}}}"
        event(pod, "Pulled", pulled_msg or f'Container image "{c["image"]}" already present on machine',
              first=plus(t, 1), last=last and plus(last, -1), count=count, host=node, field=f)
        event(pod, "Created", f"Created container: {c['name']}", first=plus(t, 1), last=last and plus(last, -1),
              count=count, host=node, field=f)
        event(pod, "Started", f"Started container {c['name']}", first=plus(t, 2), last=last, count=count,
              host=node, field=f)


# ----------------------------------------------------------------- content
def kube_system():
    F = "10-kube-system.yaml"
    ns = "kube-system"
    S = "k3s-server"
    t0 = plus(CLUSTER_BIRTH, 35)
    hlm = {"objectset.rio.cattle.io/applied": "H4sIAAAAAAAA/" + hexn(40),
           "objectset.rio.cattle.io/id": "", "objectset.rio.cattle.io/owner-gvk": "k3s.cattle.io/v1, Kind=Addon"}
    for a in ("coredns", "local-path-provisioner-service-account", "metrics-server", "svclb", "helm-traefik", "helm-traefik-crd"):
        sa(F, ns, a, plus(CLUSTER_BIRTH, 20))
    # coredns
    cd_labels = {"k8s-app": "kube-dns"}
    cd_t = template(cd_labels, [C("coredns", "rancher/mirrored-coredns-coredns:1.12.1",
                                  ports=[("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")],
                                  resources=res("100m", "70Mi", None, "170Mi"), args=["-conf", "/etc/coredns/Corefile"],
                                  liveness=http_probe("/health", 8080, delay=60, timeout=1, failure=3),
                                  readiness=http_probe("/ready", 8181, period=2, timeout=1, failure=3),
                                  sc={"allowPrivilegeEscalation": False, "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["all"]},
                                      "readOnlyRootFilesystem": True},
                                  mounts=[M("config-volume", "/etc/coredns", ro=True), M("custom-config-volume", "/etc/coredns/custom", ro=True)])],
                    sa="coredns", dnsPolicy="Default", nodeSelector={"kubernetes.io/os": "linux"},
                    priorityClassName="system-cluster-critical", tolerations=CRIT_TOLERATIONS,
                    topologySpreadConstraints=[{"labelSelector": {"matchLabels": {"k8s-app": "kube-dns"}}, "maxSkew": 1,
                                                "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule"}],
                    volumes=[{"configMap": {"defaultMode": 420, "items": [{"key": "Corefile", "path": "Corefile"},
                                                                          {"key": "NodeHosts", "path": "NodeHosts"}], "name": "coredns"}, "name": "config-volume"},
                             {"configMap": {"defaultMode": 420, "name": "coredns-custom", "optional": True}, "name": "custom-config-volume"}])
    deployment(F, ns, "coredns", {"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS", "objectset.rio.cattle.io/hash": hexn(40)},
               cd_labels, 1, plus(CLUSTER_BIRTH, 22),
               [{"tmpl": cd_t, "created": t0, "revision": 1, "replicas": 1, "hash": "697968c856",
                 "pods": [{"node": S, "created": plus(t0, 1)}]}],
               strategy={"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}, "type": "RollingUpdate"},
               revision_history=0, annotations=hlm)
    service(F, ns, "kube-dns", {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
            cd_labels, [("dns", 53, 53, "UDP"), ("dns-tcp", 53, 53, "TCP"), ("metrics", 9153, 9153, "TCP")],
            plus(CLUSTER_BIRTH, 22), "10.43.0.10",
            annotations={"prometheus.io/port": "9153", "prometheus.io/scrape": "true"})
    # local-path-provisioner
    lp_labels = {"app": "local-path-provisioner"}
    lp_t = template(lp_labels, [C("local-path-provisioner", "rancher/local-path-provisioner:v0.0.31",
                                  command=["local-path-provisioner", "start", "--config", "/etc/config/config.json"],
                                  env=[env_field("POD_NAMESPACE", "metadata.namespace"),
                                       {"name": "CONFIG_MOUNT_PATH", "value": "/etc/config/"}],
                                  mounts=[M("config-volume", "/etc/config/")])],
                    sa="local-path-provisioner-service-account", priorityClassName="system-node-critical",
                    tolerations=CRIT_TOLERATIONS,
                    volumes=[{"configMap": {"defaultMode": 420, "name": "local-path-config"}, "name": "config-volume"}])
    deployment(F, ns, "local-path-provisioner", {"app": "local-path-provisioner", "objectset.rio.cattle.io/hash": hexn(40)},
               lp_labels, 1, plus(CLUSTER_BIRTH, 22),
               [{"tmpl": lp_t, "created": t0, "revision": 1, "replicas": 1, "hash": "774c6665dc",
                 "pods": [{"node": S, "created": plus(t0, 1)}]}], revision_history=0, annotations=hlm)
    # metrics-server
    ms_labels = {"k8s-app": "metrics-server"}
    ms_t = template(ms_labels, [C("metrics-server", "rancher/mirrored-metrics-server:v0.7.2",
                                  args=["--cert-dir=/tmp", "--secure-port=10250",
                                        "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
                                        "--kubelet-use-node-status-port", "--metric-resolution=15s",
                                        "--tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305"],
                                  ports=[("https", 10250, "TCP")], resources=res("100m", "70Mi"),
                                  liveness=http_probe("/livez", "https", scheme="HTTPS"),
                                  readiness=http_probe("/readyz", "https", scheme="HTTPS", delay=20),
                                  sc={"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                      "runAsNonRoot": True, "runAsUser": 1000},
                                  mounts=[M("tmp-dir", "/tmp")])],
                    sa="metrics-server", priorityClassName="system-node-critical", tolerations=CRIT_TOLERATIONS,
                    volumes=[{"emptyDir": {}, "name": "tmp-dir"}])
    deployment(F, ns, "metrics-server", {"k8s-app": "metrics-server", "objectset.rio.cattle.io/hash": hexn(40)},
               ms_labels, 1, plus(CLUSTER_BIRTH, 22),
               [{"tmpl": ms_t, "created": t0, "revision": 1, "replicas": 1, "hash": "6f4c6675d5",
                 "pods": [{"node": S, "created": plus(t0, 1)}]}], revision_history=0, annotations=hlm)
    service(F, ns, "metrics-server", {"kubernetes.io/cluster-service": "true", "kubernetes.io/name": "Metrics-server"},
            ms_labels, [("https", 443, "https")], plus(CLUSTER_BIRTH, 22), cip())
    # helm install jobs (owned by HelmChart objects in real k3s; ownerReferences left out, see README)
    helm_img = "rancher/klipper-helm:v0.9.5-build20250306"
    for chart, tj, rc in (("traefik-crd", plus(CLUSTER_BIRTH, 30), 0), ("traefik", plus(CLUSTER_BIRTH, 30), 1)):
        jn = f"helm-install-{chart}"
        jt = template({"helmcharts.helm.cattle.io/chart": chart},
                      [C("helm", helm_img, args=["install", "--set-string", "global.systemDefaultRegistry="],
                         env=env_kv(NAME=chart, VERSION="", REPO="", HELM_DRIVER="secret", CHART_NAMESPACE="kube-system",
                                    CHART=f"https://%{{KUBERNETES_API}}%/static/charts/{chart}-34.2.1+up34.2.0.tgz",
                                    HELM_VERSION="", TARGET_NAMESPACE="kube-system", AUTH_PASS_CREDENTIALS="false",
                                    INSECURE_SKIP_TLS_VERIFY="false", PLAIN_HTTP="false", NO_PROXY=".svc,.cluster.local,10.42.0.0/16,10.43.0.0/16"),
                         mounts=[M("values", "/config"), M("content", "/chart"), M("klipper-helm", "/home/klipper-helm/.helm"),
                                 M("klipper-cache", "/home/klipper-helm/.cache"), M("tmp", "/tmp")],
                         sc={"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                             "readOnlyRootFilesystem": True, "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}})],
                      sa=f"helm-{chart}", restart="OnFailure", nodeSelector={"kubernetes.io/os": "linux"},
                      priorityClassName="system-cluster-critical", tolerations=CRIT_TOLERATIONS,
                      annotations={"helmcharts.helm.cattle.io/configHash": "SHA256=" + hexn(64).upper()},
                      volumes=[{"emptyDir": {"medium": "Memory"}, "name": "klipper-helm"},
                               {"emptyDir": {"medium": "Memory"}, "name": "klipper-cache"},
                               {"emptyDir": {"medium": "Memory"}, "name": "tmp"},
                               {"name": "values", "secret": {"defaultMode": 420, "secretName": f"chart-values-{chart}"}},
                               {"configMap": {"defaultMode": 420, "name": f"chart-content-{chart}"}, "name": "content"}])
        fin = plus(tj, 48 if rc == 0 else 71)
        job(F, ns, jn, jt, tj, {"node": S, "created": plus(tj, 1), "p": {"finished": fin, "restarts": rc,
                                                                          "started": plus(fin, -22)}},
            labels={"helmcharts.helm.cattle.io/chart": chart, "objectset.rio.cattle.io/hash": hexn(40)},
            annotations={"helmcharts.helm.cattle.io/configHash": jt["metadata"]["annotations"]["helmcharts.helm.cattle.io/configHash"],
                         "objectset.rio.cattle.io/applied": "H4sIAAAAAAAA/" + hexn(60),
                         "objectset.rio.cattle.io/id": "helm-controller",
                         "objectset.rio.cattle.io/owner-gvk": "helm.cattle.io/v1, Kind=HelmChart",
                         "objectset.rio.cattle.io/owner-name": chart,
                         "objectset.rio.cattle.io/owner-namespace": "kube-system"},
            backoff=1000)
    # traefik
    tt = plus(CLUSTER_BIRTH, 102)
    tr_sel = {"app.kubernetes.io/instance": "traefik-kube-system", "app.kubernetes.io/name": "traefik"}
    tr_labels = {**tr_sel, "app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "traefik-34.2.1_up34.2.0"}
    sa(F, ns, "traefik", tt, tr_labels)
    tr_t = template(tr_labels, [C("traefik", "rancher/mirrored-library-traefik:3.3.6",
                                  args=["--global.checknewversion", "--global.sendanonymoususage",
                                        "--entryPoints.metrics.address=:9100/tcp", "--entryPoints.traefik.address=:8080/tcp",
                                        "--entryPoints.web.address=:8000/tcp", "--entryPoints.websecure.address=:8443/tcp",
                                        "--api.dashboard=true", "--ping=true", "--metrics.prometheus=true",
                                        "--metrics.prometheus.entrypoint=metrics", "--providers.kubernetescrd",
                                        "--providers.kubernetescrd.allowEmptyServices=true", "--providers.kubernetesingress",
                                        "--providers.kubernetesingress.allowEmptyServices=true",
                                        "--providers.kubernetesingress.ingressendpoint.publishedservice=kube-system/traefik",
                                        "--entryPoints.websecure.http.tls=true", "--log.level=INFO"],
                                  env=[env_field("POD_NAME", "metadata.name"), env_field("POD_NAMESPACE", "metadata.namespace")],
                                  ports=[("metrics", 9100), ("traefik", 8080), ("web", 8000), ("websecure", 8443)],
                                  liveness=http_probe("/ping", 8080, delay=2, timeout=2, failure=3),
                                  readiness=http_probe("/ping", 8080, delay=2, timeout=2, failure=1),
                                  sc={"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                      "readOnlyRootFilesystem": True},
                                  mounts=[M("data", "/data"), M("tmp", "/tmp")])],
                    sa="traefik", annotations={"prometheus.io/path": "/metrics", "prometheus.io/port": "9100", "prometheus.io/scrape": "true"},
                    grace=60, priorityClassName="system-cluster-critical", tolerations=CRIT_TOLERATIONS,
                    securityContext={"runAsGroup": 65532, "runAsNonRoot": True, "runAsUser": 65532},
                    volumes=[{"emptyDir": {}, "name": "data"}, {"emptyDir": {}, "name": "tmp"}])
    tr_t["spec"]["securityContext"] = {"runAsGroup": 65532, "runAsNonRoot": True, "runAsUser": 65532}
    deployment(F, ns, "traefik", tr_labels, tr_sel, 1, tt,
               [{"tmpl": tr_t, "created": tt, "revision": 1, "replicas": 1, "hash": "c98fdf6fb",
                 "pods": [{"node": S, "created": plus(tt, 1), "p": {"start_delay": 9}}]}],
               strategy={"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}, "type": "RollingUpdate"},
               annotations={"meta.helm.sh/release-name": "traefik", "meta.helm.sh/release-namespace": "kube-system"})
    trs = service(F, ns, "traefik", tr_labels, tr_sel,
                  [("web", 80, "web", "TCP", 31880), ("websecure", 443, "websecure", "TCP", 30443)],
                  tt, cip(), typ="LoadBalancer", lb_ips=["192.168.1.10", "192.168.1.11"],
                  annotations={"meta.helm.sh/release-name": "traefik", "meta.helm.sh/release-namespace": "kube-system"})
    # svclb
    trs_ip = trs["spec"]["clusterIP"]
    lbname = "svclb-traefik-" + trs["metadata"]["uid"][:8]
    lb_labels = {"app": lbname, "svccontroller.k3s.cattle.io/svcname": "traefik",
                 "svccontroller.k3s.cattle.io/svcnamespace": "kube-system"}
    lbc = []
    for port in (80, 443):
        lbc.append(C(f"lb-tcp-{port}", "rancher/klipper-lb:v0.4.13",
                     env=env_kv(SRC_PORT=str(port), SRC_RANGES="0.0.0.0/0", DEST_PROTO="TCP",
                                DEST_PORT=str(31880 if port == 80 else 30443), DEST_IPS="192.168.1.10"),
                     ports=[(f"lb-tcp-{port}", port, "TCP", port)],
                     sc={"capabilities": {"add": ["NET_ADMIN"]}}))
    lb_t = template(lb_labels, lbc, sa="svclb", automountServiceAccountToken=False,
                    priorityClassName="system-node-critical",
                    securityContext={"sysctls": [{"name": "net.ipv4.ip_forward", "value": "1"}]},
                    tolerations=[{"effect": "NoSchedule", "key": "node-role.kubernetes.io/master", "operator": "Exists"},
                                 {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane", "operator": "Exists"},
                                 {"key": "CriticalAddonsOnly", "operator": "Exists"}])
    lb_t["spec"]["securityContext"] = {"sysctls": [{"name": "net.ipv4.ip_forward", "value": "1"}]}
    daemonset(F, ns, lbname, {"objectset.rio.cattle.io/hash": hexn(40), "svccontroller.k3s.cattle.io/nodeselector": "false",
                              "svccontroller.k3s.cattle.io/svcname": "traefik", "svccontroller.k3s.cattle.io/svcnamespace": "kube-system"},
              {"app": lbname}, lb_t, tt,
              [{"node": S, "created": plus(tt, 1)}, {"node": "k3s-agent-1", "created": plus(tt, 1)}],
              annotations={"objectset.rio.cattle.io/id": "svccontroller",
                           "objectset.rio.cattle.io/owner-gvk": "/v1, Kind=Service",
                           "objectset.rio.cattle.io/owner-name": "traefik",
                           "objectset.rio.cattle.io/owner-namespace": "kube-system"})
    # default/kubernetes service
    service("10-kube-system.yaml", "default", "kubernetes", {"component": "apiserver", "provider": "kubernetes"}, None,
            [("https", 443, 6443)], CLUSTER_BIRTH, "10.43.0.1")


BOSUN = lambda app: {"app.kubernetes.io/managed-by": "bosun", "bosun.dev/app": app}


def ghost_container(url, db_host, image="ghost:5", resources=None, db_secret="blog-db"):
    return C("ghost", image, ports=[("http", 2368)],
             env=env_kv(url=url, database__client="mysql", database__connection__host=db_host,
                        database__connection__user="ghost", database__connection__database="ghost")
             + [env_secret("database__connection__password", db_secret, "password")]
             + env_kv(mail__transport="SMTP", mail__options__host="smtp.home.lab", mail__options__port="25"),
             resources=resources or res("100m", "256Mi", "250m", "512Mi"),
             liveness=http_probe("/ghost/api/admin/site/", "http", delay=30, period=20, timeout=5),
             readiness=http_probe("/ghost/api/admin/site/", "http", delay=10, period=10, timeout=5),
             mounts=[M("content", "/var/lib/ghost/content")])


def blog():
    F = "20-blog.yaml"
    ns = "blog"
    A = "k3s-agent-1"
    S = "k3s-server"
    secret(F, ns, "blog-db", {"password": "wU8fQk2rX9tLmZ4e"}, T(d=108, h=21), labels=BOSUN("blog"))
    sel = {"app.kubernetes.io/name": "blog", "app.kubernetes.io/instance": "blog"}
    labels = {**sel, **BOSUN("blog")}
    old_t = template(labels, [ghost_container("https://blog.home.lab", "mariadb.mariadb.svc.cluster.local",
                                              image="ghost:5.105")],
                     volumes=[{"name": "content", "persistentVolumeClaim": {"claimName": "blog-content"}}],
                     annotations={"kubectl.kubernetes.io/restartedAt": fmt(T(d=30, h=4, m=12))})
    new_t = template(labels, [ghost_container("https://blog.home.lab", "mariadb.mariadb.svc.cluster.local")],
                     volumes=[{"name": "content", "persistentVolumeClaim": {"claimName": "blog-content"}}],
                     annotations={"kubectl.kubernetes.io/restartedAt": fmt(T(d=3, h=2, m=41))})
    pvc(F, ns, "blog-content", "5Gi", T(d=108, h=21), S, labels=labels, access="ReadWriteMany")
    td = T(d=3, h=2, m=41)
    dep, rss = deployment(F, ns, "blog", labels, sel, 2, T(d=108, h=21),
                          [{"tmpl": old_t, "created": T(d=30, h=4, m=12), "revision": 6, "replicas": 0, "generation": 3},
                           {"tmpl": new_t, "created": td, "revision": 7, "replicas": 2,
                            "pods": [{"node": S, "created": plus(td, 1), "p": {"ready_delay": 21}},
                                     {"node": A, "created": plus(td, 30), "p": {"ready_delay": 19}}]}],
                          generation=9)
    service(F, ns, "blog", labels, sel, [("http", 80, "http")], T(d=108, h=21), cip())
    ingress(F, ns, "blog", labels, "blog.home.lab", "blog", "http", T(d=108, h=21), tls_secret="blog-tls",
            annotations={"traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
                         "traefik.ingress.kubernetes.io/router.tls": "true"})
    # blog-comments: init container stuck waiting for a database host that does not exist
    csel = {"app.kubernetes.io/name": "blog-comments", "app.kubernetes.io/instance": "blog-comments"}
    clabels = {**csel, **BOSUN("blog")}
    ct = template(clabels, [C("comments", "harbor.home.lab/blog/remark42:v1.14.0", ports=[("http", 8080)],
                              env=env_kv(REMARK_URL="https://comments.blog.home.lab", SITE="blog",
                                         STORE_TYPE="mysql", STORE_MYSQL_HOST="mariadb-primary.mariadb.svc.cluster.local"),
                              resources=res("50m", "64Mi", None, "128Mi"),
                              readiness=http_probe("/ping", "http"))],
                  init=[C("wait-for-mariadb", "busybox:1.37",
                          command=["sh", "-c", "until nc -z -w 2 mariadb-primary.mariadb.svc.cluster.local 3306; do echo waiting for mariadb; sleep 2; done"],
                          resources=res("10m", "16Mi", None, "32Mi"))])
    tc = T(m=10, s=5)
    dep, rss = deployment(F, ns, "blog-comments", clabels, csel, 1, tc,
                          [{"tmpl": ct, "created": tc, "revision": 1, "replicas": 1,
                            "pods": [{"node": A, "created": plus(tc, 0), "mode": "init-stuck", "p": {"started": T(m=10)}}]}],
                          conditions=[{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                                       "message": "Deployment does not have minimum availability.", "t": fmt(tc)},
                                      {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                                       "message": 'ReplicaSet "{rs}" is progressing.', "t": fmt(tc)}])
    pod = rss[0]
    cp = [o for o in FILES[F] if o["kind"] == "Pod" and o["metadata"]["name"].startswith("blog-comments-")][0]
    event(dep, "ScalingReplicaSet", f"Scaled up replica set {rss[0]['metadata']['name']} from 0 to 1", first=tc,
          component="deployment-controller")
    event(rss[0], "SuccessfulCreate", f"Created pod: {cp['metadata']['name']}", first=tc, component="replicaset-controller")
    pod_events(cp, tc, containers=cp["spec"]["initContainers"])
    service(F, ns, "blog-comments", clabels, csel, [("http", 80, "http")], tc, cip())


def blog_dev():
    F = "21-blog-dev.yaml"
    ns = "blog-dev"
    A = "k3s-agent-1"
    secret(F, ns, "blog-db", {"password": "dev-not-secret"}, T(d=45), labels=BOSUN("blog-dev"))
    sel = {"app.kubernetes.io/name": "blog", "app.kubernetes.io/instance": "blog-dev"}
    labels = {**sel, **BOSUN("blog-dev")}
    vols = [{"name": "content", "persistentVolumeClaim": {"claimName": "blog-content"}}]
    res_dev = res("50m", "192Mi", None, "384Mi")
    old_t = template(labels, [ghost_container("https://blog-dev.home.lab", "mariadb.mariadb.svc.cluster.local",
                                              image="harbor.home.lab/blog/blog:dev-9b71e04", resources=res_dev)],
                     volumes=vols)
    new_t = template(labels, [ghost_container("https://blog-dev.home.lab", "mariadb.mariadb.svc.cluster.local",
                                              image="harbor.home.lab/blog/blog:dev-3f2a1c9", resources=res_dev)],
                     volumes=vols)
    pvc(F, ns, "blog-content", "2Gi", T(d=45), A, labels=labels)
    tn = T(m=4, s=10)
    dep, rss = deployment(F, ns, "blog", labels, sel, 1, T(d=45),
                          [{"tmpl": old_t, "created": T(d=2, h=5, m=3), "revision": 11, "replicas": 0, "generation": 2},
                           {"tmpl": new_t, "created": tn, "revision": 12, "replicas": 1,
                            "pods": [{"node": A, "created": tn, "mode": "imagepull"}]}],
                          generation=14, strategy={"type": "Recreate"},
                          conditions=[{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                                       "message": "Deployment does not have minimum availability.", "t": fmt(T(m=4, s=20))},
                                      {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                                       "message": 'ReplicaSet "{rs}" is progressing.', "t": fmt(T(d=45)), "u": fmt(tn)}])
    old_rs, new_rs = rss
    pod = [o for o in FILES[F] if o["kind"] == "Pod"][0]
    pn = pod["metadata"]["name"]
    img = "harbor.home.lab/blog/blog:dev-3f2a1c9"
    event(dep, "ScalingReplicaSet", f"Scaled down replica set {old_rs['metadata']['name']} from 1 to 0",
          first=T(m=4, s=20), component="deployment-controller")
    event(dep, "ScalingReplicaSet", f"Scaled up replica set {new_rs['metadata']['name']} from 0 to 1",
          first=tn, component="deployment-controller")
    event(new_rs, "SuccessfulCreate", f"Created pod: {pn}", first=tn, component="replicaset-controller")
    event(pod, "Scheduled", f"Successfully assigned {ns}/{pn} to {A}", first=tn, component="default-scheduler")
    f = "spec.containers{ghost}"
    event(pod, "Pulling", f'Pulling image "{img}"', count=5, first=plus(tn, 1), last=T(m=1, s=32), host=A, field=f)
    err = (f'Failed to pull image "{img}": failed to pull and unpack image "{img}": failed to resolve reference '
           f'"{img}": unexpected status from HEAD request to https://harbor.home.lab/v2/blog/blog/manifests/dev-3f2a1c9: 503 Service Unavailable')
    event(pod, "Failed", err, typ="Warning", count=5, first=plus(tn, 2), last=T(m=1, s=31), host=A, field=f)
    event(pod, "Failed", "Error: ErrImagePull", typ="Warning", count=5, first=plus(tn, 2), last=T(m=1, s=31), host=A, field=f)
    event(pod, "BackOff", f'Back-off pulling image "{img}"', count=15, first=plus(tn, 3), last=T(s=12), host=A, field=f)
    event(pod, "Failed", "Error: ImagePullBackOff", typ="Warning", count=15, first=plus(tn, 3), last=T(s=12), host=A, field=f)
    service(F, ns, "blog", labels, sel, [("http", 80, "http")], T(d=45), cip())
    ingress(F, ns, "blog", labels, "blog-dev.home.lab", "blog", "http", T(d=45), tls_secret="blog-dev-tls")


def mariadb():
    F = "30-mariadb.yaml"
    ns = "mariadb"
    S = "k3s-server"
    A = "k3s-agent-1"
    created = T(d=110, h=2)
    secret(F, ns, "mariadb", {"mariadb-root-password": "r00t-Kd93jf02", "mariadb-password": "wU8fQk2rX9tLmZ4e"},
           created, labels=BOSUN("mariadb"))
    sel = {"app.kubernetes.io/name": "mariadb", "app.kubernetes.io/instance": "mariadb"}
    labels = {**sel, **BOSUN("mariadb")}
    t = template(labels, [C("mariadb", "mariadb:11.4", ports=[("mysql", 3306)],
                            env=[env_secret("MARIADB_ROOT_PASSWORD", "mariadb", "mariadb-root-password"),
                                 {"name": "MARIADB_DATABASE", "value": "ghost"},
                                 {"name": "MARIADB_USER", "value": "ghost"},
                                 env_secret("MARIADB_PASSWORD", "mariadb", "mariadb-password")],
                            resources=res("250m", "512Mi", None, "1Gi"),
                            liveness=exec_probe(["healthcheck.sh", "--connect", "--innodb_initialized"], delay=30, timeout=5),
                            readiness=exec_probe(["healthcheck.sh", "--connect", "--innodb_initialized"], delay=10, timeout=5),
                            mounts=[M("data", "/var/lib/mysql")])],
                 securityContext={"fsGroup": 999})
    t["spec"]["securityContext"] = {"fsGroup": 999}
    statefulset(F, ns, "mariadb", labels, sel, t, created,
                [{"node": S, "created": T(d=41, h=6, m=20), "pvc_created": created,
                  "p": {"ready_delay": 14}}], "mariadb", generation=3, vcts=[("data", "8Gi")])
    service(F, ns, "mariadb", labels, sel, [("mysql", 3306, "mysql")], created, None, headless=True)
    # nightly backups (CronJob -> Jobs -> Completed pods)
    cj_labels = {"app.kubernetes.io/name": "mariadb-backup", **BOSUN("mariadb")}
    bt = template({"app.kubernetes.io/name": "mariadb-backup"},
                  [C("backup", "mariadb:11.4",
                     command=["sh", "-c", "mariadb-dump --all-databases --single-transaction -h mariadb -uroot -p\"$MARIADB_ROOT_PASSWORD\" | gzip > /backup/all-$(date +%F).sql.gz && find /backup -mtime +14 -delete"],
                     env=[env_secret("MARIADB_ROOT_PASSWORD", "mariadb", "mariadb-root-password")],
                     resources=res("50m", "64Mi", None, "256Mi"), mounts=[M("backup", "/backup")])],
                  restart="OnFailure",
                  volumes=[{"name": "backup", "persistentVolumeClaim": {"claimName": "mariadb-backup"}}])
    pvc(F, ns, "mariadb-backup", "20Gi", T(d=80), A, labels=cj_labels)
    cj = {"apiVersion": "batch/v1", "kind": "CronJob",
          "metadata": meta("mariadb-backup", ns, T(d=80), cj_labels, generation=1),
          "spec": {"concurrencyPolicy": "Forbid", "failedJobsHistoryLimit": 1, "schedule": "0 3 * * *",
                   "successfulJobsHistoryLimit": 3, "suspend": False, "timeZone": "Etc/UTC",
                   "jobTemplate": {"metadata": {"creationTimestamp": None},
                                   "spec": {"backoffLimit": 2, "template": copy.deepcopy(bt)}}}}
    add(F, cj)
    last_fin = None
    for d in (3, 2, 1):
        run = T(d=d) + dt.timedelta(hours=3)
        mins = int(run.timestamp() // 60)
        jn = f"mariadb-backup-{mins}"
        dur = R.randint(35, 70)
        fin = plus(run, dur)
        last_fin = fin
        job(F, ns, jn, bt, run, {"node": A, "created": run, "p": {"finished": fin, "started": plus(run, 3)}},
            owner=cj, labels={"app.kubernetes.io/name": "mariadb-backup"}, backoff=2)
    cj["status"] = {"lastScheduleTime": fmt(T(d=1) + dt.timedelta(hours=3)), "lastSuccessfulTime": fmt(plus(last_fin, 2))}


def redis():
    F = "31-redis.yaml"
    ns = "redis"
    A = "k3s-agent-1"
    created = T(d=110, h=1, m=40)
    secret(F, ns, "redis", {"redis-password": "n0t-s0-s3cret-r3dis"}, created, labels=BOSUN("redis"))
    sel = {"app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": "redis"}
    labels = {**sel, **BOSUN("redis")}
    t = template(labels, [C("redis", "redis:7.4", ports=[("redis", 6379)],
                            command=["sh", "-c", "exec redis-server --requirepass \"$REDIS_PASSWORD\" --appendonly yes --maxmemory 200mb --maxmemory-policy allkeys-lru"],
                            env=[env_secret("REDIS_PASSWORD", "redis", "redis-password")],
                            resources=res("50m", "128Mi", None, "256Mi"),
                            liveness=exec_probe(["sh", "-c", "redis-cli -a \"$REDIS_PASSWORD\" --no-auth-warning ping"], delay=15, timeout=3),
                            readiness=exec_probe(["sh", "-c", "redis-cli -a \"$REDIS_PASSWORD\" --no-auth-warning ping"], delay=5, timeout=3),
                            mounts=[M("data", "/data")])])
    statefulset(F, ns, "redis", labels, sel, t, created,
                [{"node": A, "created": T(d=52, h=11, m=5), "pvc_created": created}], "redis",
                generation=2, vcts=[("data", "2Gi")])
    service(F, ns, "redis", labels, sel, [("redis", 6379, "redis")], created, cip())
    # exporter in CrashLoopBackOff: password file path wrong after a config change
    esel = {"app.kubernetes.io/name": "redis-exporter", "app.kubernetes.io/instance": "redis"}
    elabels = {**esel, **BOSUN("redis")}
    et = template(elabels, [C("exporter", "oliver006/redis_exporter:v1.67.0", ports=[("metrics", 9121)],
                              args=["--redis.addr=redis://redis.redis.svc.cluster.local:6379",
                                    "--redis.password-file=/secrets/redis-passwords.json"],
                              resources=res("10m", "32Mi", "100m", "64Mi"),
                              mounts=[M("redis-password", "/secrets", ro=True)])],
                  annotations={"prometheus.io/port": "9121", "prometheus.io/scrape": "true"},
                  volumes=[{"name": "redis-password", "secret": {"defaultMode": 420, "secretName": "redis",
                                                                 "items": [{"key": "redis-password", "path": "password"}]}}])
    tc = T(h=4, m=9)  # exporter added 4 hours ago; it has never started cleanly
    dep, rss = deployment(F, ns, "redis-exporter", elabels, esel, 1, tc,
                          [{"tmpl": et, "created": tc, "revision": 1, "replicas": 1,
                            "pods": [{"node": A, "created": tc, "mode": "crashloop",
                                      "p": {"container": "exporter", "restarts": 47, "last_finished": T(m=2), "ran": 1}}]}],
                          conditions=[{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                                       "message": "Deployment does not have minimum availability.", "t": fmt(tc)},
                                      {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                                       "message": 'ReplicaSet "{rs}" has timed out progressing.', "t": fmt(plus(tc, 601))}])
    pod = [o for o in FILES[F] if o["kind"] == "Pod" and o["metadata"]["name"].startswith("redis-exporter-")][0]
    pn = pod["metadata"]["name"]
    f = "spec.containers{exporter}"
    event(pod, "BackOff", f"Back-off restarting failed container exporter in pod {pn}_{ns}({pod['metadata']['uid']})",
          typ="Warning", count=1093, first=plus(tc, 30), last=T(s=9), host=A, field=f)
    event(pod, "Pulled", 'Container image "oliver006/redis_exporter:v1.67.0" already present on machine',
          count=48, first=plus(tc, 2), last=T(m=2, s=1), host=A, field=f)
    event(pod, "Created", "Created container: exporter", count=48, first=plus(tc, 2), last=T(m=2, s=1), host=A, field=f)
    event(pod, "Started", "Started container exporter", count=48, first=plus(tc, 3), last=T(m=2, s=1), host=A, field=f)
    service(F, ns, "redis-exporter", elabels, esel, [("metrics", 9121, "metrics")], tc, cip())


def minio():
    F = "32-minio.yaml"
    ns = "minio"
    A = "k3s-agent-1"
    created = T(d=105, h=20)
    secret(F, ns, "minio-root", {"rootUser": "admin", "rootPassword": "minio-Hq28fkaP0x"}, created, labels=BOSUN("minio"))
    sel = {"app.kubernetes.io/name": "minio", "app.kubernetes.io/instance": "minio"}
    labels = {**sel, **BOSUN("minio")}
    t = template(labels, [C("minio", "minio/minio:RELEASE.2024-12-18T13-15-44Z",
                            args=["server", "/data", "--console-address", ":9001"],
                            env=[env_secret("MINIO_ROOT_USER", "minio-root", "rootUser"),
                                 env_secret("MINIO_ROOT_PASSWORD", "minio-root", "rootPassword"),
                                 {"name": "MINIO_BROWSER_REDIRECT_URL", "value": "https://minio.home.lab"}],
                            ports=[("api", 9000), ("console", 9001)],
                            resources=res("100m", "512Mi", None, "2Gi"),
                            liveness=http_probe("/minio/health/live", "api", delay=10),
                            readiness=http_probe("/minio/health/ready", "api", delay=5),
                            mounts=[M("data", "/data")])],
                 volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "minio-data"}}])
    pvc(F, ns, "minio-data", "100Gi", created, A, labels=labels)
    ev_at = T(d=2, h=7, m=33)
    msg = ("The node was low on resource: memory. Threshold quantity: 100Mi, available: 89412Ki. "
           "Container minio was using 1835204Ki, request is 512Mi, has larger consumption of its request. ")
    deployment(F, ns, "minio", labels, sel, 1, created,
               [{"tmpl": t, "created": T(d=33, h=2), "revision": 3, "replicas": 1,
                 "pods": [{"node": A, "created": T(d=33, h=2), "mode": "evicted", "p": {"at": ev_at, "message": msg}},
                          {"node": A, "created": plus(ev_at, 1), "p": {"ready_delay": 9}}]}],
               generation=3, strategy={"type": "Recreate"})
    service(F, ns, "minio", labels, sel, [("api", 9000, "api"), ("console", 9001, "console")], created, cip())
    ingress(F, ns, "minio", labels, "minio.home.lab", "minio", "console", created, tls_secret="minio-tls")


def harbor():
    F = "40-harbor.yaml"
    ns = "harbor"
    S = "k3s-server"
    A = "k3s-agent-1"
    created = T(d=100, h=4)
    up = T(d=20, h=6, m=14)  # helm upgrade to v2.12.2
    base = {"app": "harbor", "release": "harbor"}
    helm = {"chart": "harbor", "heritage": "Helm", "app.kubernetes.io/instance": "harbor",
            "app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/name": "harbor",
            "app.kubernetes.io/part-of": "harbor", "app.kubernetes.io/version": "2.12.2"}
    hann = {"meta.helm.sh/release-name": "harbor", "meta.helm.sh/release-namespace": "harbor"}
    secret(F, ns, "harbor-core", {"secretKey": "not-a-real-key16", "HARBOR_ADMIN_PASSWORD": "Harbor12345"}, created,
           labels={**base, **helm})
    pods = {}

    def comp(c):
        return {**base, "component": c}

    def lab(c):
        return {**helm, **base, "component": c, "app.kubernetes.io/component": c}

    def hdeploy(name, c, containers, rs_pods, conditions=None, vols=None, hash_=None, **kw):
        t = template(lab(c), containers, sa=None, volumes=vols,
                     annotations={"checksum/configmap": hexn(64), "checksum/secret": hexn(64)},
                     securityContext={"fsGroup": 10000, "runAsUser": 10000}, automountServiceAccountToken=False)
        t["spec"]["securityContext"] = {"fsGroup": 10000, "runAsUser": 10000}
        dep, rss = deployment(F, ns, name, lab(c), comp(c), 1, created,
                              [{"tmpl": t, "created": up, "revision": 4, "replicas": 1, "pods": rs_pods, "hash": hash_}],
                              generation=4, strategy={"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"},
                              conditions=conditions, annotations=hann, **kw)
        return dep, rss

    unavailable = lambda since: [
        {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
         "message": 'ReplicaSet "{rs}" has successfully progressed.', "t": fmt(created), "u": fmt(plus(up, 70))},
        {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
         "message": "Deployment does not have minimum availability.", "t": fmt(since)}]

    # core: running but readiness failing (its jobservice/redis dependencies are unhealthy)
    core_c = C("core", "goharbor/harbor-core:v2.12.2", ports=[("http", 8080)],
               env=[{"name": "CORE_SECRET", "valueFrom": {"secretKeyRef": {"key": "secret", "name": "harbor-core"}}},
                    {"name": "JOBSERVICE_SECRET", "valueFrom": {"secretKeyRef": {"key": "JOBSERVICE_SECRET", "name": "harbor-jobservice"}}}],
               env_from=[{"configMapRef": {"name": "harbor-core"}}, {"secretRef": {"name": "harbor-core"}}],
               resources=res("100m", "256Mi", None, "512Mi"),
               liveness=http_probe("/api/v2.0/ping", 8080, period=10, failure=2),
               readiness=http_probe("/api/v2.0/ping", 8080, period=10, failure=2),
               startup=http_probe("/api/v2.0/ping", 8080, delay=10, period=10, failure=360),
               mounts=[M("config", "/etc/core/app.conf", sub="app.conf"), M("secret-key", "/etc/core/key", sub="key"),
                       M("token-service-private-key", "/etc/core/private_key.pem", sub="tls.key"),
                       M("psc", "/etc/core/token")])
    core_since = T(m=47, s=12)
    hdeploy("harbor-core", "core", [core_c],
            [{"node": S, "created": plus(up, 2), "p": {"restarts": {"core": 2}, "not_ready": ["core"],
                                                       "unready_since": core_since, "started": T(h=3, m=2, s=10),
                                                       "last": {"core": {"terminated": term("Error", 2, T(h=3, m=20), T(h=3, m=2, s=12))}}}}],
            conditions=unavailable(core_since),
            vols=[{"configMap": {"defaultMode": 420, "name": "harbor-core"}, "name": "config"},
                  {"name": "secret-key", "secret": {"defaultMode": 420, "items": [{"key": "secretKey", "path": "key"}], "secretName": "harbor-core"}},
                  {"name": "token-service-private-key", "secret": {"defaultMode": 420, "secretName": "harbor-core"}},
                  {"emptyDir": {}, "name": "psc"}])
    # portal: fine
    hdeploy("harbor-portal", "portal",
            [C("portal", "goharbor/harbor-portal:v2.12.2", ports=[("http", 8080)], resources=res("10m", "32Mi", None, "64Mi"),
               liveness=http_probe("/", 8080, delay=300), readiness=http_probe("/", 8080, delay=1),
               mounts=[M("portal-config", "/etc/nginx/nginx.conf", sub="nginx.conf")])],
            [{"node": S, "created": plus(up, 2)}],
            vols=[{"configMap": {"defaultMode": 420, "name": "harbor-portal"}, "name": "portal-config"}])
    # registry: two containers
    hdeploy("harbor-registry", "registry",
            [C("registry", "goharbor/registry-photon:v2.12.2", args=["serve", "/etc/registry/config.yml"],
               ports=[("http", 5000), ("metrics", 8001)], resources=res("100m", "128Mi", None, "512Mi"),
               env_from=[{"secretRef": {"name": "harbor-registry"}}],
               liveness=http_probe("/", 5000, delay=300), readiness=http_probe("/", 5000, delay=1),
               mounts=[M("registry-data", "/storage"), M("registry-htpasswd", "/etc/registry/passwd", sub="passwd"),
                       M("registry-config", "/etc/registry/config.yml", sub="config.yml")]),
             C("registryctl", "goharbor/harbor-registryctl:v2.12.2", ports=[("http", 8080)],
               resources=res("10m", "32Mi", None, "128Mi"),
               env_from=[{"configMapRef": {"name": "harbor-registryctl"}}, {"secretRef": {"name": "harbor-registry"}},
                         {"secretRef": {"name": "harbor-registryctl"}}],
               liveness=http_probe("/api/health", 8080, delay=300), readiness=http_probe("/api/health", 8080, delay=1),
               mounts=[M("registry-data", "/storage"), M("registry-config", "/etc/registry/config.yml", sub="config.yml"),
                       M("registry-config", "/etc/registryctl/config.yml", sub="ctl-config.yml")])],
            [{"node": A, "created": plus(up, 3)}],
            vols=[{"name": "registry-htpasswd", "secret": {"defaultMode": 420, "items": [{"key": "REGISTRY_HTPASSWD", "path": "passwd"}], "secretName": "harbor-registry-htpasswd"}},
                  {"configMap": {"defaultMode": 420, "name": "harbor-registry"}, "name": "registry-config"},
                  {"name": "registry-data", "persistentVolumeClaim": {"claimName": "harbor-registry"}}])
    pvc(F, ns, "harbor-registry", "50Gi", created, A, labels=lab("registry"))
    # jobservice: container just exited with Error (exit 2), restartPolicy Always
    js_since = T(m=9, s=40)
    hdeploy("harbor-jobservice", "jobservice",
            [C("jobservice", "goharbor/harbor-jobservice:v2.12.2", ports=[("http", 8080)],
               env=[{"name": "CORE_SECRET", "valueFrom": {"secretKeyRef": {"key": "secret", "name": "harbor-core"}}}],
               env_from=[{"configMapRef": {"name": "harbor-jobservice-env"}}, {"secretRef": {"name": "harbor-jobservice"}}],
               resources=res("50m", "128Mi", None, "256Mi"),
               liveness=http_probe("/api/v1/stats", 8080, delay=300), readiness=http_probe("/api/v1/stats", 8080, delay=20),
               mounts=[M("jobservice-config", "/etc/jobservice/config.yml", sub="config.yml"), M("job-logs", "/var/log/jobs")])],
            [{"node": A, "created": js_since, "mode": "terminated",
              "p": {"reason": "Error", "last_reason": "Error", "exit": 2, "restarts": 3,
                    "last_started": T(m=2, s=5), "last_finished": T(m=1, s=35),
                    "cur_started": T(s=62), "cur_finished": T(s=31)}}],
            conditions=unavailable(js_since), hash_="5d6c8b9f7c",
            vols=[{"configMap": {"defaultMode": 420, "name": "harbor-jobservice"}, "name": "jobservice-config"},
                  {"name": "job-logs", "persistentVolumeClaim": {"claimName": "harbor-jobservice"}}])
    pvc(F, ns, "harbor-jobservice", "1Gi", created, A, labels=lab("jobservice"))
    # exporter: fine
    hdeploy("harbor-exporter", "exporter",
            [C("exporter", "goharbor/harbor-exporter:v2.12.2", args=["-log-level", "info"], ports=[("metrics", 8001)],
               env_from=[{"configMapRef": {"name": "harbor-exporter-env"}}, {"secretRef": {"name": "harbor-exporter"}}],
               resources=res("10m", "32Mi", None, "128Mi"),
               liveness=http_probe("/", 8001, delay=300), readiness=http_probe("/", 8001, delay=30))],
            [{"node": A, "created": plus(up, 3)}])

    def hsts(name, c, containers, pd, vct, svc_ports, vols=None):
        t = template(lab(c), containers, annotations={"checksum/secret": hexn(64)}, automountServiceAccountToken=False,
                     volumes=vols,
                     securityContext={"fsGroup": 10000, "runAsUser": 10000}, terminationGracePeriodSeconds=120)
        t["spec"]["securityContext"] = {"fsGroup": 10000, "runAsUser": 10000}
        t["spec"]["terminationGracePeriodSeconds"] = 120
        sts, objs = statefulset(F, ns, name, lab(c), comp(c), t, created, [pd], name, generation=4, vcts=[vct])
        sts["metadata"]["annotations"] = dict(hann)
        service(F, ns, name, lab(c), comp(c), svc_ports, created, cip())
        return sts, objs

    hsts("harbor-database", "database",
         [C("database", "goharbor/harbor-db:v2.12.2", ports=[("postgres", 5432)],
            env=[{"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"}],
            env_from=[{"secretRef": {"name": "harbor-database"}}],
            resources=res("100m", "256Mi", None, "1Gi"),
            liveness=exec_probe(["/docker-healthcheck.sh"], delay=300, timeout=1),
            readiness=exec_probe(["/docker-healthcheck.sh"], delay=1, timeout=1),
            mounts=[M("database-data", "/var/lib/postgresql/data"), M("shm-volume", "/dev/shm")])],
         {"node": S, "created": plus(up, 5), "pvc_created": created}, ("database-data", "4Gi"), [("postgres", 5432, 5432)],
         vols=[{"emptyDir": {"medium": "Memory", "sizeLimit": "512Mi"}, "name": "shm-volume"}])
    hsts("harbor-redis", "redis",
         [C("redis", "goharbor/redis-photon:v2.12.2", ports=[("redis", 6379)], resources=res("50m", "64Mi", None, "256Mi"),
            liveness=tcp_probe(6379, delay=300), readiness=tcp_probe(6379, delay=1),
            mounts=[M("data", "/var/lib/redis")])],
         {"node": S, "created": plus(up, 5), "pvc_created": created}, ("data", "1Gi"), [("redis", 6379, 6379)])
    trivy_sts, trivy = hsts("harbor-trivy", "trivy",
                            [C("trivy", "goharbor/trivy-adapter-photon:v2.12.2", ports=[("api-server", 8080)],
                               env=env_kv(SCANNER_LOG_LEVEL="info", SCANNER_TRIVY_CACHE_DIR="/home/scanner/.cache/trivy",
                                          SCANNER_REDIS_URL="redis://harbor-redis:6379/5", SCANNER_API_SERVER_ADDR=":8080",
                                          SCANNER_TRIVY_TIMEOUT="5m0s", SCANNER_TRIVY_SKIP_UPDATE="false"),
                               resources=res("200m", "512Mi", "1", "1Gi"),
                               liveness=http_probe("/probe/healthy", "api-server", delay=5, period=10, failure=10),
                               readiness=http_probe("/probe/ready", "api-server", delay=5, period=10, failure=3),
                               mounts=[M("data", "/home/scanner/.cache")])],
                            {"node": A, "created": plus(up, 5), "pvc_created": created, "mode": "terminated",
                             "p": {"reason": "OOMKilled", "last_reason": "OOMKilled", "exit": 137, "restarts": 4,
                                   "last_started": T(m=5, s=40), "last_finished": T(m=4, s=2),
                                   "cur_started": T(m=2, s=48), "cur_finished": T(s=18)}},
                            ("data", "5Gi"), [("api-server", 8080, "api-server")])
    service(F, ns, "harbor-core", lab("core"), comp("core"), [("http-web", 80, 8080)], created, cip())
    service(F, ns, "harbor-portal", lab("portal"), comp("portal"), [("", 80, 8080)], created, cip())
    service(F, ns, "harbor-registry", lab("registry"), comp("registry"), [("http-registry", 5000, 5000), ("http-controller", 8080, 8080)], created, cip())
    service(F, ns, "harbor-jobservice", lab("jobservice"), comp("jobservice"), [("http-jobservice", 80, 8080)], created, cip())
    ing = ingress(F, ns, "harbor-ingress", {**helm, **base}, "harbor.home.lab", "harbor-portal", 80, created,
                  tls_secret="harbor-tls", annotations={**hann, "ingress.kubernetes.io/proxy-body-size": "0"})
    ing["spec"]["rules"][0]["http"]["paths"] = [
        {"backend": {"service": {"name": svc, "port": {"number": port}}}, "path": path, "pathType": "Prefix"}
        for path, svc, port in (("/api/", "harbor-core", 80), ("/service/", "harbor-core", 80), ("/v2/", "harbor-core", 80),
                                ("/chartrepo/", "harbor-core", 80), ("/c/", "harbor-core", 80), ("/", "harbor-portal", 80))]
    # events
    core = [o for o in FILES[F] if o["kind"] == "Pod" and o["metadata"]["name"].startswith("harbor-core-")][0]
    event(core, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", typ="Warning",
          count=283, first=core_since, last=T(s=6), host=S, field="spec.containers{core}")
    js = [o for o in FILES[F] if o["kind"] == "Pod" and o["metadata"]["name"].startswith("harbor-jobservice-")][0]
    jn = js["metadata"]["name"]
    f = "spec.containers{jobservice}"
    event(js, "Pulled", 'Container image "goharbor/harbor-jobservice:v2.12.2" already present on machine',
          count=4, first=plus(js_since, 2), last=T(s=63), host=A, field=f)
    event(js, "Created", "Created container: jobservice", count=4, first=plus(js_since, 2), last=T(s=63), host=A, field=f)
    event(js, "Started", "Started container jobservice", count=4, first=plus(js_since, 3), last=T(s=62), host=A, field=f)
    event(js, "BackOff", f"Back-off restarting failed container jobservice in pod {jn}_{ns}({js['metadata']['uid']})",
          typ="Warning", count=9, first=plus(js_since, 70), last=T(s=70), host=A, field=f)
    tp = trivy[0]
    event(tp, "BackOff", f"Back-off restarting failed container trivy in pod harbor-trivy-0_{ns}({tp['metadata']['uid']})",
          typ="Warning", count=11, first=T(m=38), last=T(m=3, s=2), host=A, field="spec.containers{trivy}")
    node = get("Node", "", A)
    event(node, "SystemOOM", "System OOM encountered, victim process: trivy, pid: 3381021", typ="Warning",
          count=5, first=T(m=41, s=7), last=T(s=18), host=A)


def cert_manager():
    F = "50-cert-manager.yaml"
    ns = "cert-manager"
    S = "k3s-server"
    A = "k3s-agent-1"
    created = T(d=118, h=6)
    up = T(d=35, h=1, m=10)
    hann = {"meta.helm.sh/release-name": "cert-manager", "meta.helm.sh/release-namespace": "cert-manager"}
    for comp, name, img, node, args, ports, rsrc in (
        ("controller", "cert-manager", "quay.io/jetstack/cert-manager-controller:v1.16.2", S,
         ["--v=2", "--cluster-resource-namespace=$(POD_NAMESPACE)", "--leader-election-namespace=kube-system",
          "--acme-http01-solver-image=quay.io/jetstack/cert-manager-acmesolver:v1.16.2", "--max-concurrent-challenges=60"],
         [("http-metrics", 9402), ("http-healthz", 9403)], res("10m", "64Mi", None, "256Mi")),
        ("cainjector", "cert-manager-cainjector", "quay.io/jetstack/cert-manager-cainjector:v1.16.2", A,
         ["--v=2", "--leader-election-namespace=kube-system"], [("http-metrics", 9402)], res("10m", "64Mi", None, "256Mi")),
        ("webhook", "cert-manager-webhook", "quay.io/jetstack/cert-manager-webhook:v1.16.2", S,
         ["--v=2", "--secure-port=10250", "--dynamic-serving-ca-secret-namespace=$(POD_NAMESPACE)",
          "--dynamic-serving-ca-secret-name=cert-manager-webhook-ca",
          "--dynamic-serving-dns-names=cert-manager-webhook,cert-manager-webhook.$(POD_NAMESPACE),cert-manager-webhook.$(POD_NAMESPACE).svc"],
         [("https", 10250), ("healthcheck", 6080), ("http-metrics", 9402)], res("10m", "32Mi", None, "128Mi")),
    ):
        ilabel = "cert-manager" if comp == "controller" else name.replace("cert-manager-", "")
        sel = {"app.kubernetes.io/component": comp, "app.kubernetes.io/instance": "cert-manager",
               "app.kubernetes.io/name": ilabel}
        labels = {"app": ilabel, **sel, "app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/version": "v1.16.2",
                  "helm.sh/chart": "cert-manager-v1.16.2"}
        probes = {}
        if comp == "controller":
            probes["liveness"] = http_probe("/livez", "http-healthz", delay=10, period=10, timeout=15, failure=8)
        if comp == "webhook":
            probes["liveness"] = http_probe("/livez", 6080, delay=60, period=10, failure=3)
            probes["readiness"] = http_probe("/healthz", 6080, delay=5, period=5, failure=3)
        t = template(labels, [C(f"cert-manager-{comp}", img, args=args, ports=ports, resources=rsrc,
                                env=[env_field("POD_NAMESPACE", "metadata.namespace")],
                                sc={"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                    "readOnlyRootFilesystem": True}, **probes)],
                     sa=name, annotations={"prometheus.io/path": "/metrics", "prometheus.io/port": "9402", "prometheus.io/scrape": "true"},
                     enableServiceLinks=False, nodeSelector={"kubernetes.io/os": "linux"},
                     securityContext={"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}})
        t["spec"]["securityContext"] = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
        sa(F, ns, name, created, labels)
        deployment(F, ns, name, labels, sel, 1, created,
                   [{"tmpl": t, "created": up, "revision": 3, "replicas": 1,
                     "pods": [{"node": node, "created": plus(up, 1), "p": {"ready_delay": 12}}]}],
                   generation=3, annotations=hann)
        if comp != "cainjector":
            sp = [("https", 443, "https"), ("metrics", 9402, "http-metrics")] if comp == "webhook" \
                else [("tcp-prometheus-servicemonitor", 9402, "http-metrics")]
            service(F, ns, name, labels, sel, sp, created, cip(), annotations=hann)


def argo():
    F = "60-argo.yaml"
    ns = "argo"
    S = "k3s-server"
    A = "k3s-agent-1"
    created = T(d=90, h=3)
    up = T(d=27, h=22, m=5)
    for name, img, node, args, ports, rsrc, probes in (
        ("argo-server", "quay.io/argoproj/argocli:v3.6.4", S,
         ["server", "--auth-mode=server", "--secure=false", "--namespaced=false"], [("web", 2746)],
         res("50m", "64Mi", None, "256Mi"), {"readiness": http_probe("/", 2746, delay=10, period=20)}),
        ("workflow-controller", "quay.io/argoproj/workflow-controller:v3.6.4", A,
         ["--configmap", "workflow-controller-configmap", "--executor-image", "quay.io/argoproj/argoexec:v3.6.4",
          "--namespaced=false"], [("metrics", 9090)], res("100m", "64Mi", None, "512Mi"),
         {"liveness": http_probe("/healthz", 6060, delay=90, period=60, timeout=30, failure=3)}),
    ):
        sel = {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": "argo"}
        labels = {**sel, "app.kubernetes.io/component": name, "app.kubernetes.io/part-of": "argo-workflows",
                  "app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "argo-workflows-0.45.8"}
        env = [env_field("ARGO_NAMESPACE", "metadata.namespace"), {"name": "LEADER_ELECTION_IDENTITY",
                                                                   "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}]
        t = template(labels, [C(name if name == "argo-server" else "controller", img, args=args, ports=ports, resources=rsrc,
                                env=env, sc={"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                             "readOnlyRootFilesystem": True, "runAsNonRoot": True},
                                mounts=[M("tmp", "/tmp")] if name == "argo-server" else None, **probes)],
                     sa=f"argo-workflows-{'server' if name == 'argo-server' else 'workflow-controller'}",
                     nodeSelector={"kubernetes.io/os": "linux"},
                     volumes=[{"emptyDir": {}, "name": "tmp"}] if name == "argo-server" else None)
        sa(F, ns, t["spec"]["serviceAccountName"], created, labels)
        deployment(F, ns, name, labels, sel, 1, created,
                   [{"tmpl": t, "created": up, "revision": 2, "replicas": 1,
                     "pods": [{"node": node, "created": plus(up, 1), "p": {"ready_delay": 15}}]}],
                   generation=2, annotations={"meta.helm.sh/release-name": "argo", "meta.helm.sh/release-namespace": "argo"})
        service(F, ns, name, labels, sel, [(ports[0][0], ports[0][1], ports[0][1])], created, cip())
    ingress(F, ns, "argo-server", {"app.kubernetes.io/name": "argo-server"}, "argo.home.lab", "argo-server", 2746,
            created, tls_secret="argo-tls")


def monitoring():
    F = "70-monitoring.yaml"
    ns = "monitoring"
    S = "k3s-server"
    A = "k3s-agent-1"
    created = T(d=60, h=5)
    # node-exporter
    ne_sel = {"app.kubernetes.io/name": "node-exporter", "app.kubernetes.io/instance": "monitoring"}
    ne_labels = {**ne_sel, "app.kubernetes.io/component": "metrics", "app.kubernetes.io/part-of": "monitoring"}
    ne_t = template(ne_labels, [C("node-exporter", "prom/node-exporter:v1.8.2",
                                  args=["--path.procfs=/host/proc", "--path.sysfs=/host/sys", "--path.rootfs=/host/root",
                                        "--path.udev.data=/host/root/run/udev/data", "--web.listen-address=[$(HOST_IP)]:9100",
                                        "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|var/lib/docker/.+|var/lib/kubelet/.+)($|/)"],
                                  env=[env_field("HOST_IP", "status.hostIP")], ports=[("metrics", 9100, "TCP", 9100)],
                                  resources=res("25m", "32Mi", None, "64Mi"),
                                  liveness=http_probe("/", 9100), readiness=http_probe("/", 9100),
                                  sc={"readOnlyRootFilesystem": True},
                                  mounts=[M("proc", "/host/proc", ro=True), M("sys", "/host/sys", ro=True),
                                          M("root", "/host/root", ro=True)])],
                    sa="node-exporter", hostNetwork=True, hostPID=True, automountServiceAccountToken=False,
                    nodeSelector={"kubernetes.io/os": "linux"},
                    securityContext={"fsGroup": 65534, "runAsGroup": 65534, "runAsNonRoot": True, "runAsUser": 65534},
                    tolerations=[{"effect": "NoSchedule", "operator": "Exists"}],
                    volumes=[{"hostPath": {"path": "/proc", "type": ""}, "name": "proc"},
                             {"hostPath": {"path": "/sys", "type": ""}, "name": "sys"},
                             {"hostPath": {"path": "/", "type": ""}, "name": "root"}])
    ne_t["spec"]["securityContext"] = {"fsGroup": 65534, "runAsGroup": 65534, "runAsNonRoot": True, "runAsUser": 65534}
    ne_t["spec"]["dnsPolicy"] = "ClusterFirstWithHostNet"
    sa(F, ns, "node-exporter", created, ne_labels)
    daemonset(F, ns, "node-exporter", ne_labels, ne_sel, ne_t, created,
              [{"node": S, "created": plus(created, 2)}, {"node": A, "created": plus(created, 2)}])
    # promtail
    pt_sel = {"app.kubernetes.io/name": "promtail", "app.kubernetes.io/instance": "monitoring"}
    pt_t = template(pt_sel, [C("promtail", "grafana/promtail:3.3.2", args=["-config.file=/etc/promtail/promtail.yaml"],
                               env=[env_field("HOSTNAME", "spec.nodeName")], ports=[("http-metrics", 3101)],
                               resources=res("50m", "64Mi", None, "192Mi"),
                               readiness=http_probe("/ready", "http-metrics", delay=10, period=10, timeout=1, failure=5),
                               mounts=[M("config", "/etc/promtail"), M("run", "/run/promtail"),
                                       M("pods", "/var/log/pods", ro=True)])],
                    sa="promtail",
                    volumes=[{"name": "config", "secret": {"defaultMode": 420, "secretName": "promtail"}},
                             {"hostPath": {"path": "/run/promtail", "type": ""}, "name": "run"},
                             {"hostPath": {"path": "/var/log/pods", "type": ""}, "name": "pods"}])
    sa(F, ns, "promtail", created, pt_sel)
    daemonset(F, ns, "promtail", pt_sel, pt_sel, pt_t, created,
              [{"node": S, "created": T(d=14, h=3)}, {"node": A, "created": T(d=14, h=3)}], generation=3)
    # loki + prometheus StatefulSets
    lk_sel = {"app.kubernetes.io/name": "loki", "app.kubernetes.io/instance": "monitoring"}
    lk_t = template(lk_sel, [C("loki", "grafana/loki:3.3.2", args=["-config.file=/etc/loki/config/config.yaml", "-target=all"],
                               ports=[("http-metrics", 3100), ("grpc", 9095)], resources=res("100m", "256Mi", None, "1Gi"),
                               readiness=http_probe("/ready", "http-metrics", delay=30, timeout=1),
                               mounts=[M("config", "/etc/loki/config"), M("storage", "/var/loki")])],
                    sa="loki", volumes=[{"configMap": {"defaultMode": 420, "name": "loki"}, "name": "config"}])
    statefulset(F, ns, "loki", lk_sel, lk_sel, lk_t, created,
                [{"node": A, "created": T(d=14, h=3, m=1), "pvc_created": created}], "loki-headless",
                generation=2, vcts=[("storage", "10Gi")])
    service(F, ns, "loki", lk_sel, lk_sel, [("http-metrics", 3100, "http-metrics"), ("grpc", 9095, "grpc")], created, cip())
    pr_sel = {"app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": "monitoring"}
    pr_t = template(pr_sel, [C("prometheus", "prom/prometheus:v3.1.0",
                               args=["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus",
                                     "--storage.tsdb.retention.time=15d", "--web.enable-lifecycle"],
                               ports=[("web", 9090)], resources=res("200m", "768Mi", None, "2Gi"),
                               liveness=http_probe("/-/healthy", "web", delay=30, timeout=10),
                               readiness=http_probe("/-/ready", "web", delay=30, timeout=4),
                               mounts=[M("config", "/etc/prometheus"), M("data", "/prometheus")])],
                    sa="prometheus", volumes=[{"configMap": {"defaultMode": 420, "name": "prometheus"}, "name": "config"}],
                    securityContext={"fsGroup": 65534, "runAsGroup": 65534, "runAsNonRoot": True, "runAsUser": 65534})
    pr_t["spec"]["securityContext"] = {"fsGroup": 65534, "runAsGroup": 65534, "runAsNonRoot": True, "runAsUser": 65534}
    statefulset(F, ns, "prometheus", pr_sel, pr_sel, pr_t, created,
                [{"node": S, "created": T(d=20, h=1, m=30), "pvc_created": created}], "prometheus",
                generation=5, vcts=[("data", "20Gi")])
    service(F, ns, "prometheus", pr_sel, pr_sel, [("web", 9090, "web")], created, cip())
    # grafana: rollout stuck (memory request typo 20Gi), old pod still serving
    gf_sel = {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": "grafana"}
    gf_labels = {**gf_sel, "app.kubernetes.io/version": "11.4.0"}

    def gf(mem_req):
        t = template(gf_labels, [C("grafana", "grafana/grafana:11.4.0", ports=[("grafana", 3000)],
                                   env=[env_secret("GF_SECURITY_ADMIN_USER", "grafana", "admin-user"),
                                        env_secret("GF_SECURITY_ADMIN_PASSWORD", "grafana", "admin-password"),
                                        {"name": "GF_PATHS_DATA", "value": "/var/lib/grafana/"},
                                        {"name": "GF_SERVER_ROOT_URL", "value": "https://grafana.home.lab"}],
                                   resources=res("100m", mem_req, None, "1Gi" if mem_req != "20Gi" else "20Gi"),
                                   liveness=http_probe("/api/health", 3000, delay=60, timeout=30, failure=10),
                                   readiness=http_probe("/api/health", 3000),
                                   mounts=[M("config", "/etc/grafana/grafana.ini", sub="grafana.ini"),
                                           M("storage", "/var/lib/grafana")])],
                     sa="grafana", annotations={"checksum/config": hexn(64)},
                     securityContext={"fsGroup": 472, "runAsGroup": 472, "runAsNonRoot": True, "runAsUser": 472},
                     volumes=[{"configMap": {"defaultMode": 420, "name": "grafana"}, "name": "config"},
                              {"emptyDir": {}, "name": "storage"}])
        t["spec"]["securityContext"] = {"fsGroup": 472, "runAsGroup": 472, "runAsNonRoot": True, "runAsUser": 472}
        return t
    secret(F, ns, "grafana", {"admin-user": "admin", "admin-password": "gr4fana-Lq02nv"}, created, labels=gf_sel)
    tg = T(m=25, s=3)
    unsched = ("0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: "
               "2 No preemption victims found for incoming pod.")
    dep, rss = deployment(F, ns, "grafana", gf_labels, gf_sel, 1, created,
                          [{"tmpl": gf("256Mi"), "created": T(d=20, h=1, m=10), "revision": 3, "replicas": 1,
                            "pods": [{"node": A, "created": T(d=20, h=1, m=10)}]},
                           {"tmpl": gf("20Gi"), "created": tg, "revision": 4, "replicas": 1,
                            "pods": [{"node": None, "created": tg, "mode": "unschedulable",
                                      "p": {"message": unsched, "since": tg}}]}],
                          generation=4,
                          conditions=[{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                                       "message": "Deployment has minimum availability.", "t": fmt(T(d=20, h=1, m=9))},
                                      {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                                       "message": 'ReplicaSet "{rs}" has timed out progressing.', "t": fmt(plus(tg, 601)), "u": fmt(plus(tg, 601))}])
    # move the old RS status to reflect it still has its pod (deployment() already did), fix RS annotations
    gp = [o for o in FILES[F] if o["kind"] == "Pod" and o["metadata"]["name"].startswith(rss[1]["metadata"]["name"])][0]
    event(dep, "ScalingReplicaSet", f"Scaled up replica set {rss[1]['metadata']['name']} from 0 to 1", first=tg,
          component="deployment-controller")
    event(rss[1], "SuccessfulCreate", f"Created pod: {gp['metadata']['name']}", first=tg, component="replicaset-controller")
    event(gp, "FailedScheduling", unsched, typ="Warning", count=6, first=tg, last=T(m=3, s=3), component="default-scheduler")
    service(F, ns, "grafana", gf_labels, gf_sel, [("service", 80, 3000)], created, cip())
    ingress(F, ns, "grafana", gf_labels, "grafana.home.lab", "grafana", 80, created, tls_secret="grafana-tls")
    # kube-state-metrics: rolled (kubectl rollout restart) 75 s ago; old pod Terminating
    ks_sel = {"app.kubernetes.io/name": "kube-state-metrics", "app.kubernetes.io/instance": "monitoring"}
    ks_labels = {**ks_sel, "app.kubernetes.io/version": "2.14.0"}

    def ks(restarted):
        t = template(ks_labels, [C("kube-state-metrics", "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.14.0",
                                   args=["--port=8080", "--telemetry-port=8081"],
                                   ports=[("http", 8080), ("metrics", 8081)], resources=res("10m", "64Mi", None, "256Mi"),
                                   liveness=http_probe("/livez", 8080, delay=5, timeout=5),
                                   readiness=http_probe("/readyz", 8081, delay=5, timeout=5),
                                   sc={"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                       "readOnlyRootFilesystem": True})],
                     sa="kube-state-metrics", annotations={"kubectl.kubernetes.io/restartedAt": fmt(restarted)},
                     securityContext={"fsGroup": 65534, "runAsGroup": 65534, "runAsNonRoot": True, "runAsUser": 65534,
                                      "seccompProfile": {"type": "RuntimeDefault"}})
        t["spec"]["securityContext"] = {"fsGroup": 65534, "runAsGroup": 65534, "runAsNonRoot": True, "runAsUser": 65534,
                                        "seccompProfile": {"type": "RuntimeDefault"}}
        return t
    sa(F, ns, "kube-state-metrics", created, ks_labels)
    tr = T(s=75)
    dep, rss = deployment(F, ns, "kube-state-metrics", ks_labels, ks_sel, 1, created,
                          [{"tmpl": ks(T(d=12, h=2)), "created": T(d=12, h=2), "revision": 4, "replicas": 0, "generation": 2,
                            "pods": [{"node": A, "created": T(d=12, h=2), "deletion": (T(s=40), 30)}]},
                           {"tmpl": ks(tr), "created": tr, "revision": 5, "replicas": 1,
                            "pods": [{"node": S, "created": tr, "p": {"ready_delay": 3, "start_delay": 1}}]}],
                          generation=5)
    old_rs, new_rs = rss
    old_pod = [o for o in FILES[F] if o["kind"] == "Pod" and o["metadata"]["name"].startswith(old_rs["metadata"]["name"])][0]
    new_pod = [o for o in FILES[F] if o["kind"] == "Pod" and o["metadata"]["name"].startswith(new_rs["metadata"]["name"])][0]
    event(dep, "ScalingReplicaSet", f"Scaled up replica set {new_rs['metadata']['name']} from 0 to 1", first=tr,
          component="deployment-controller")
    event(new_rs, "SuccessfulCreate", f"Created pod: {new_pod['metadata']['name']}", first=tr, component="replicaset-controller")
    pod_events(new_pod, tr)
    event(dep, "ScalingReplicaSet", f"Scaled down replica set {old_rs['metadata']['name']} from 1 to 0", first=T(s=70),
          component="deployment-controller")
    event(old_rs, "SuccessfulDelete", f"Deleted pod: {old_pod['metadata']['name']}", first=T(s=70),
          component="replicaset-controller")
    event(old_pod, "Killing", "Stopping container kube-state-metrics", first=T(s=70), host=A,
          field="spec.containers{kube-state-metrics}")
    service(F, ns, "kube-state-metrics", ks_labels, ks_sel, [("http", 8080, "http")], created, cip())
    # alertmanager-discord bridge: secret missing -> CreateContainerConfigError
    ad_sel = {"app.kubernetes.io/name": "alertmanager-discord", "app.kubernetes.io/instance": "monitoring"}
    ad_t = template(ad_sel, [C("alertmanager-discord", "harbor.home.lab/tools/alertmanager-discord:0.4.0",
                               ports=[("http", 9094)], env=[env_secret("DISCORD_WEBHOOK", "discord-webhook", "url")],
                               resources=res("5m", "16Mi", None, "32Mi"))])
    ta = T(m=34, s=50)
    dep, rss = deployment(F, ns, "alertmanager-discord", ad_sel, ad_sel, 1, ta,
                          [{"tmpl": ad_t, "created": ta, "revision": 1, "replicas": 1,
                            "pods": [{"node": A, "created": ta, "mode": "configerror",
                                      "p": {"message": 'secret "discord-webhook" not found'}}]}],
                          conditions=[{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                                       "message": "Deployment does not have minimum availability.", "t": fmt(ta)},
                                      {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                                       "message": 'ReplicaSet "{rs}" has timed out progressing.', "t": fmt(plus(ta, 601))}])
    adp = [o for o in FILES[F] if o["kind"] == "Pod" and o["metadata"]["name"].startswith("alertmanager-discord-")][0]
    f = "spec.containers{alertmanager-discord}"
    event(adp, "Pulled", 'Container image "harbor.home.lab/tools/alertmanager-discord:0.4.0" already present on machine',
          count=158, first=plus(ta, 2), last=T(s=14), host=A, field=f)
    event(adp, "Failed", 'Error: secret "discord-webhook" not found', typ="Warning", count=158, first=plus(ta, 2),
          last=T(s=14), host=A, field=f)
    # blackbox-exporter: fine
    bb_sel = {"app.kubernetes.io/name": "blackbox-exporter", "app.kubernetes.io/instance": "monitoring"}
    bb_t = template(bb_sel, [C("blackbox-exporter", "prom/blackbox-exporter:v0.25.0",
                               args=["--config.file=/config/blackbox.yaml"], ports=[("http", 9115)],
                               resources=res("10m", "32Mi", None, "64Mi"),
                               liveness=http_probe("/-/healthy", "http"), readiness=http_probe("/-/healthy", "http"),
                               mounts=[M("config", "/config")])],
                    volumes=[{"configMap": {"defaultMode": 420, "name": "blackbox-exporter"}, "name": "config"}])
    deployment(F, ns, "blackbox-exporter", bb_sel, bb_sel, 1, created,
               [{"tmpl": bb_t, "created": created, "revision": 1, "replicas": 1,
                 "pods": [{"node": A, "created": plus(created, 3)}]}])


def default_ns():
    F = "80-default.yaml"
    t = template({"run": "netshoot"}, [C("netshoot", "nicolaka/netshoot:v0.13", command=["sleep", "infinity"])],
                 restart="Always")
    mk_pod(F, "default", "netshoot", t, None, "k3s-server", T(h=2, m=17, s=40))


# ----------------------------------------------------------------- metrics
USAGE = {  # (namespace, pod-name prefix, container) -> (cpu, memory)
    ("kube-system", "coredns", "coredns"): ("4m", "28Mi"),
    ("kube-system", "local-path-provisioner", "local-path-provisioner"): ("1m", "14Mi"),
    ("kube-system", "metrics-server", "metrics-server"): ("9m", "31Mi"),
    ("kube-system", "traefik", "traefik"): ("8m", "60Mi"),
    ("kube-system", "svclb-traefik", None): ("0m", "1Mi"),
    ("blog", "blog-", "ghost"): ("340m", "238Mi"),  # hot: above its 250m CPU limit ratio (throttled)
    ("mariadb", "mariadb-0", "mariadb"): ("30m", "300Mi"),
    ("redis", "redis-0", "redis"): ("6m", "12Mi"),
    ("minio", "minio", "minio"): ("22m", "1740Mi"),  # close to the 2Gi limit, 340% of its request
    ("harbor", "harbor-core", "core"): ("5m", "90Mi"),
    ("harbor", "harbor-portal", "portal"): ("1m", "8Mi"),
    ("harbor", "harbor-registry", "registry"): ("2m", "24Mi"),
    ("harbor", "harbor-registry", "registryctl"): ("1m", "13Mi"),
    ("harbor", "harbor-exporter", "exporter"): ("3m", "19Mi"),
    ("harbor", "harbor-database-0", "database"): ("12m", "118Mi"),
    ("harbor", "harbor-redis-0", "redis"): ("4m", "9Mi"),
    ("cert-manager", "cert-manager-cainjector", None): ("2m", "41Mi"),
    ("cert-manager", "cert-manager-webhook", None): ("1m", "17Mi"),
    ("cert-manager", "cert-manager", None): ("3m", "36Mi"),
    ("argo", "argo-server", "argo-server"): ("1m", "39Mi"),
    ("argo", "workflow-controller", "controller"): ("4m", "52Mi"),
    ("monitoring", "node-exporter", "node-exporter"): ("7m", "19Mi"),
    ("monitoring", "promtail", "promtail"): ("18m", "71Mi"),
    ("monitoring", "loki-0", "loki"): ("46m", "212Mi"),
    ("monitoring", "prometheus-0", "prometheus"): ("58m", "912Mi"),
    ("monitoring", "grafana", "grafana"): ("6m", "118Mi"),
    ("monitoring", "kube-state-metrics", "kube-state-metrics"): ("2m", "24Mi"),
    ("monitoring", "blackbox-exporter", "blackbox-exporter"): ("1m", "11Mi"),
    ("default", "netshoot", "netshoot"): ("0m", "2Mi"),
}


def metrics():
    F = "95-metrics.yaml"
    now = T(s=8)
    for o in [o for f in sorted(FILES) for o in FILES[f] if o["kind"] == "Pod"]:
        st = o["status"]
        if st["phase"] != "Running":
            continue
        running = [c for c in st.get("containerStatuses", []) if "running" in c["state"]]
        if not running:
            continue
        ns, name = o["metadata"]["namespace"], o["metadata"]["name"]
        ctrs = []
        for c in running:
            use = None
            for (uns, pref, cn), u in USAGE.items():
                if uns == ns and name.startswith(pref) and (cn is None or cn == c["name"]):
                    use = u
                    break
            assert use, (ns, name, c["name"])
            cpu, mem = use
            if "deletionTimestamp" in o["metadata"]:
                cpu, mem = "1m", "21Mi"
            elif ns == "blog" and name.endswith(o["metadata"]["name"][-5:]) and o["spec"]["nodeName"] == "k3s-agent-1":
                cpu, mem = "23m", "201Mi"  # second replica quiet
            ctrs.append({"name": c["name"], "usage": {"cpu": cpu, "memory": mem}})
        add(F, {"apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
                "metadata": {"name": name, "namespace": ns, "creationTimestamp": fmt(T()),
                             "labels": dict(o["metadata"].get("labels", {}))},
                "timestamp": fmt(now), "window": "15s", "containers": ctrs})
    for node, cpu, mem in (("k3s-server", "850m", "5243112Ki"), ("k3s-agent-1", "1200m", "9121532Ki")):
        add(F, {"apiVersion": "metrics.k8s.io/v1beta1", "kind": "NodeMetrics",
                "metadata": {"name": node, "creationTimestamp": fmt(T()),
                             "labels": dict(get("Node", "", node)["metadata"]["labels"])},
                "timestamp": fmt(now), "window": "20.05s", "usage": {"cpu": cpu, "memory": mem}})


# ----------------------------------------------------------------- output
def main():
    mk_nodes()
    mk_namespaces()
    kube_system()
    blog()
    blog_dev()
    mariadb()
    redis()
    minio()
    harbor()
    cert_manager()
    argo()
    monitoring()
    default_ns()
    metrics()
    EVENTS.sort(key=lambda e: e["lastTimestamp"])
    for e in EVENTS:
        add("90-events.yaml", e)
    # 60-certs.yaml is written by hand: keep it.
    for f in os.listdir(HERE):
        if f.endswith(".yaml") and f[:2].isdigit() and f != "60-certs.yaml":
            os.remove(os.path.join(HERE, f))
    header = ("# Generated by gen.py -- timestamps relative to the anchor 2026-01-01T00:00:00Z\n"
              "# (the simulator shifts them by real-now minus the anchor).\n")
    for fname in sorted(FILES):
        with open(os.path.join(HERE, fname), "w") as fh:
            fh.write(header)
            fh.write(yaml.safe_dump_all(FILES[fname], sort_keys=True, default_flow_style=False, width=1000,
                                        explicit_start=True))
    for fname in sorted(FILES):
        print(f"{fname}: {len(FILES[fname])} objects")


if __name__ == "__main__":
    main()
