"""Print Kubernetes manifests for the whole mesh: `python deploy/k8s/render.py | kubectl apply -f -`.

Rendered from one description per service instead of eight near-identical YAML
files, so a port or probe change is made once. Postgres, Redis and Consul are
expected to exist in the cluster (their URLs go in the `chatmesh` Secret).
"""

from __future__ import annotations

import argparse
import json

SERVICES = {
    "identity": 50051,
    "conversation": 50052,
    "knowledge": 50053,
    "orchestrator": 50054,
    "model_router": 50055,
    "analytics": 50056,
    "notification": 50057,
}
METRICS_OFFSET = 1000


def _dns(name: str) -> str:
    return name.replace("_", "-")


def _common_env(namespace: str) -> list[dict[str, object]]:
    static = {svc: f"{_dns(svc)}.{namespace}.svc:{port}" for svc, port in SERVICES.items()}
    return [
        {"name": "CHATMESH_HOST", "value": "0.0.0.0"},
        {"name": "CHATMESH_STATIC_ADDRESSES", "value": json.dumps(static)},
        {"name": "CHATMESH_LOG_FORMAT", "value": "json"},
    ]


def _deployment(name: str, image: str, namespace: str, ports: list[tuple[str, int]], probe: dict) -> dict:
    labels = {"app.kubernetes.io/name": _dns(name), "app.kubernetes.io/part-of": "chatmesh"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": _dns(name), "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "terminationGracePeriodSeconds": 30,
                    "containers": [
                        {
                            "name": _dns(name),
                            "image": image,
                            "command": ["python", "-m", name],
                            "ports": [{"name": n, "containerPort": p} for n, p in ports],
                            "env": _common_env(namespace),
                            "envFrom": [{"secretRef": {"name": "chatmesh"}}],
                            "readinessProbe": probe,
                            "livenessProbe": probe,
                            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}},
                        }
                    ],
                },
            },
        },
    }


def _service(name: str, namespace: str, ports: list[tuple[str, int]]) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": _dns(name), "namespace": namespace},
        "spec": {
            "selector": {"app.kubernetes.io/name": _dns(name)},
            "ports": [{"name": n, "port": p, "targetPort": p} for n, p in ports],
        },
    }


def render(image: str, namespace: str) -> list[dict]:
    docs: list[dict] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}]
    for svc, port in SERVICES.items():
        ports = [("grpc", port), ("metrics", port + METRICS_OFFSET)]
        probe = {"grpc": {"port": port}, "periodSeconds": 10}
        docs += [_deployment(svc, image, namespace, ports, probe), _service(svc, namespace, ports)]
    gw_ports = [("http", 8080)]
    gw_probe = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10}
    docs += [
        _deployment("gateway", image, namespace, gw_ports, gw_probe),
        _service("gateway", namespace, gw_ports),
    ]
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--image", default="chatmesh:latest")
    parser.add_argument("--namespace", default="chatmesh")
    args = parser.parse_args()
    # JSON is valid YAML; kubectl accepts a stream of documents separated by ---.
    print("\n---\n".join(json.dumps(d, indent=2) for d in render(args.image, args.namespace)))


if __name__ == "__main__":
    main()
