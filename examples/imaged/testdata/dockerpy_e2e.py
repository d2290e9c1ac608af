"""Drives imaged with docker-py (Debian's python3-docker) and prints what it saw as JSON.

Usage: python3 dockerpy_e2e.py BASE_URL REGISTRY TARBALL VERSION SUFFIX
       python3 dockerpy_e2e.py lifecycle BASE_URL REGISTRY TARBALL TARBALL2
       python3 dockerpy_e2e.py registry BASE_URL REGISTRY USER PASSWORD NAME

BASE_URL is the daemon (tcp://127.0.0.1:PORT), REGISTRY the host:port the fixture's images
are in, TARBALL (and TARBALL2) a root filesystem to import, VERSION "auto" or an API version, SUFFIX makes
the names this run creates unique. The second form removes, tags, prunes and reads history
on a daemon of its own (it prunes every image). The third logs in to REGISTRY (one with
htpasswd auth) and looks NAME up with get_registry_data. The Go test (e2e_dockerpy_test.go) checks
the output.
"""

import json
import sys

import docker


def error(e):
    return {"class": type(e).__name__, "message": str(e)}


def main():
    base_url, registry, tarball, version, suffix = sys.argv[1:6]
    client = docker.DockerClient(base_url=base_url, version=version, timeout=120)
    out = {"api_version": client.api.api_version}

    out["list"] = [
        {"id": i.id, "tags": sorted(i.tags), "labels": i.labels, "short_id": i.short_id}
        for i in client.images.list()
    ]
    out["list_all"] = [i.id for i in client.images.list(all=True)]
    out["list_label"] = [i.id for i in client.images.list(filters={"label": "org.example.team=blue"})]
    out["list_dangling"] = [i.id for i in client.images.list(filters={"dangling": True})]
    out["list_name"] = [i.id for i in client.images.list(name=registry + "/e2e/app")]

    app = client.images.get(registry + "/e2e/app:v1")
    out["get"] = {"id": app.id, "tags": sorted(app.tags), "labels": app.labels, "attrs": app.attrs}
    out["get_short"] = client.images.get(app.short_id).id
    try:
        client.images.get("nosuch")
        out["get_missing"] = None
    except docker.errors.APIError as e:
        out["get_missing"] = error(e)

    pulled = client.images.pull(registry + "/e2e/py", tag="1")
    out["pull"] = {"id": pulled.id, "tags": sorted(pulled.tags)}
    out["pull_stream"] = list(client.api.pull(registry + "/e2e/py", tag="1", stream=True, decode=True))
    try:
        client.images.pull(registry + "/e2e/nosuch", tag="1")
        out["pull_missing"] = None
    except docker.errors.APIError as e:
        out["pull_missing"] = error(e)

    # The import is checked last and on its own, so that a failure leaves the rest.
    try:
        out["import"] = client.api.import_image(
            src=tarball, repository="e2e/imported", tag="py" + suffix,
            changes=["ENV PY=1", 'CMD ["python3"]', "LABEL org.example.tier=py-import"],
        )
        imported = client.images.get("e2e/imported:py" + suffix)
        out["imported"] = {"id": imported.id, "tags": imported.tags, "attrs": imported.attrs}
    except docker.errors.APIError as e:
        out["import_error"] = error(e)
    try:
        client.api.import_image(src=tarball, repository="e2e/imported", tag="bad" + suffix, changes=["RUN true"])
        out["import_bad"] = None
    except docker.errors.APIError as e:
        out["import_bad"] = error(e)

    json.dump(out, sys.stdout)


def attempt(out, key, f):
    """Stores f's result under key, or the docker-py exception it raised."""
    try:
        out[key] = f()
    except docker.errors.APIError as e:
        out[key] = {"error": error(e)}


def lifecycle():
    base_url, registry, tarball, tarball2 = sys.argv[2:6]
    client = docker.DockerClient(base_url=base_url, version="auto", timeout=120)
    out = {"api_version": client.api.api_version}
    ref = registry + "/e2e/py:1"
    img = client.images.pull(registry + "/e2e/py", tag="1")
    out["id"] = img.id

    # tag: Image.tag and the low-level call both answer True for Docker's 201.
    attempt(out, "tag", lambda: img.tag("lc/py", tag="tagged"))
    attempt(out, "tag_api", lambda: client.api.tag(img.id, "lc/py", "second"))
    attempt(out, "tag_missing", lambda: client.api.tag("nosuch", "lc/py", "x"))
    out["tags"] = sorted(client.images.get(img.id).tags)

    # history
    attempt(out, "history", lambda: img.history())
    attempt(out, "history_api", lambda: client.api.history(ref))
    attempt(out, "history_missing", lambda: client.api.history("nosuch"))

    # remove: one name, a conflict by ID, then by ID with force.
    attempt(out, "remove_name", lambda: client.api.remove_image("lc/py:tagged"))
    attempt(out, "remove_conflict", lambda: client.images.remove(img.id))
    attempt(out, "remove_force", lambda: client.api.remove_image(img.id, force=True, noprune=True))
    attempt(out, "remove_missing", lambda: client.images.remove("nosuch"))
    attempt(out, "remove_models", lambda: client.images.remove(client.images.pull(registry + "/e2e/py", tag="1").id))

    # prune: a dangling import with a label, one without, then every unused image.
    labelled = client.api.import_image(src=tarball, changes=["LABEL org.example.lc=py"])
    out["labelled"] = json.loads(labelled.strip().splitlines()[-1])["status"]
    plain = client.api.import_image(src=tarball2)
    out["plain"] = json.loads(plain.strip().splitlines()[-1])["status"]
    attempt(out, "prune_label", lambda: client.images.prune(filters={"label": "org.example.lc=py"}))
    attempt(out, "prune", lambda: client.images.prune())
    attempt(out, "prune_empty", lambda: client.images.prune())
    attempt(out, "prune_bad", lambda: client.images.prune(filters={"color": "x"}))
    client.images.pull(registry + "/e2e/py", tag="1")
    attempt(out, "prune_all", lambda: client.images.prune(filters={"dangling": False}))
    out["left"] = [i.id for i in client.images.list(all=True)]

    json.dump(out, sys.stdout)


def registry_data():
    base_url, registry, user, password, name = sys.argv[2:7]
    client = docker.DockerClient(base_url=base_url, version="auto", timeout=120)
    out = {"api_version": client.api.api_version}
    auth = {"username": user, "password": password}

    def get(auth_config):
        data = client.images.get_registry_data(name, auth_config=auth_config)
        return {"id": data.id, "attrs": data.attrs, "host_amd64": data.has_platform("linux/amd64"),
                "host_s390x": data.has_platform("linux/s390x")}

    # Before login: once logged in, the client sends the credentials it keeps even when
    # auth_config is None.
    attempt(out, "data_anonymous", lambda: get(None))
    attempt(out, "login_bad", lambda: client.login(user, password + "-wrong", registry=registry, reauth=True))
    attempt(out, "login", lambda: client.login(user, password, registry=registry, reauth=True))
    attempt(out, "data", lambda: get(auth))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1] == "lifecycle":
        lifecycle()
    elif sys.argv[1] == "registry":
        registry_data()
    else:
        main()
