"""The machine behind a backend: stop, start, restart and remove a real container, save it as an image, tag,
label and delete images; an SSH host answers that it can do none of it."""
from __future__ import annotations

import uuid

import docker.errors
import pytest
from fixtures_instances import BUSYBOX_IMAGE, SshServer

from emulator.backends import NotPossible
from emulator.backends.docker import DockerBackend
from emulator.backends.ssh import SshBackend, SshTarget


def running(docker_client, container) -> bool:
    return docker_client.api.inspect_container(container.id)["State"]["Running"]


@pytest.fixture
def images(docker_client):
    """Images a test makes (`images.append(reference or ID)`); all deleted after it, the last made first (ask for
    it before make_container, so the containers using them are gone by then)."""
    made: list[str] = []
    yield made
    for ref in reversed(made):
        try:
            docker_client.api.remove_image(ref, force=True)
        except docker.errors.DockerException:
            pass


def test_stop_start_restart_remove_change_the_container(docker_client, make_container) -> None:
    container = make_container(BUSYBOX_IMAGE, network_mode="none")
    backend = DockerBackend(container.id, client=docker_client)
    assert backend.state() == "running" and backend.alive()

    backend.stop()
    assert backend.state() == "stopped" and not running(docker_client, container) and not backend.alive()
    backend.stop()  # stopping a stopped container is nothing
    backend.start()
    assert backend.state() == "running" and running(docker_client, container)
    backend.start()  # starting a running one too
    assert backend.run(["true"]).exit_code == 0  # processes work on the started container

    started_at = docker_client.api.inspect_container(container.id)["State"]["StartedAt"]
    backend.restart()
    state = docker_client.api.inspect_container(container.id)["State"]
    assert state["Running"] and state["StartedAt"] != started_at

    backend.remove()
    assert backend.state() == "removed"
    with pytest.raises(docker.errors.NotFound):
        docker_client.api.inspect_container(container.id)
    backend.remove()  # removing it again is nothing


def test_forced_stop_kills_at_once(docker_client, make_container) -> None:
    # PID 1 ignores SIGTERM: a graceful stop would wait out its grace period; a forced one does not.
    container = make_container(BUSYBOX_IMAGE, network_mode="none", command=["sh", "-c", "trap '' TERM; sleep 600"])
    backend = DockerBackend(container.id, client=docker_client)
    backend.stop(force=True)
    assert backend.state() == "stopped"
    assert docker_client.api.inspect_container(container.id)["State"]["ExitCode"] == 137  # SIGKILL
    backend.stop(force=True)  # a stopped container: nothing to kill


def test_commit_then_run_a_container_from_the_image(images, docker_client, make_container) -> None:
    container = make_container(BUSYBOX_IMAGE, network_mode="none", labels={"origin": "kept"})
    backend = DockerBackend(container.id, client=docker_client)
    assert backend.run("echo saved > /marker").exit_code == 0
    repository = f"ssm-emulator-test-image-{uuid.uuid4().hex[:8]}"
    images.append(f"{repository}:v1")

    image_id = backend.commit(repository, "v1", labels={"note": 'two words "quoted"'}, message="from a test")
    info = docker_client.api.inspect_image(f"{repository}:v1")
    assert info["Id"] == image_id and image_id.startswith("sha256:")
    assert info["Config"]["Labels"]["note"] == 'two words "quoted"'
    assert info["Config"]["Labels"]["origin"] == "kept"  # the container's own labels come along
    assert info["Comment"] == "from a test"
    assert backend.state() == "running"  # saved as it runs (never paused, see DockerBackend.commit)

    child = make_container(f"{repository}:v1", network_mode="none")
    assert child.exec_run(["cat", "/marker"]).output == b"saved\n"  # the image's command keeps it running


def test_tag_label_and_delete_images(images, docker_client, make_container) -> None:
    container = make_container(BUSYBOX_IMAGE, network_mode="none")
    backend = DockerBackend(container.id, client=docker_client)
    repository = f"ssm-emulator-test-image-{uuid.uuid4().hex[:8]}"
    images.extend([f"{repository}:one", f"{repository}:two"])
    first = backend.commit(repository, "one")
    images.append(first)

    backend.tag_image(f"{repository}:one", repository, "two")
    assert docker_client.api.inspect_image(f"{repository}:two")["Id"] == first

    labelled = backend.label_image(f"{repository}:one", {"team": "blue"}, repository, "one")
    images.append(labelled)
    assert labelled != first
    assert docker_client.api.inspect_image(f"{repository}:one")["Config"]["Labels"]["team"] == "blue"
    assert docker_client.api.inspect_image(f"{repository}:two")["Id"] == first  # the other tag is untouched

    backend.delete_image(f"{repository}:two")
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.api.inspect_image(f"{repository}:two")
    # (the labelled copy is built on it, so `first` itself stays, untagged, as its parent)

    lone = backend.commit(repository, "lone")
    images.append(f"{repository}:lone")
    backend.delete_image(f"{repository}:lone")  # its last reference, nothing built on it: the image goes
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.api.inspect_image(lone)

    # An image a container uses loses its reference at once, and goes with the container.
    child = make_container(f"{repository}:one", network_mode="none")
    backend.delete_image(f"{repository}:one")
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.api.inspect_image(f"{repository}:one")
    assert docker_client.api.inspect_image(labelled)["RepoTags"] == []
    child.remove(force=True)


def test_missing_image_is_a_backend_error(docker_client, debian_container) -> None:
    from emulator.backends import BackendError

    backend = DockerBackend(debian_container.id, client=docker_client)
    with pytest.raises(BackendError, match="delete image ssm-emulator-test-no-such-image"):
        backend.delete_image("ssm-emulator-test-no-such-image:latest")


def test_an_ssh_host_says_it_cannot(sshd: SshServer) -> None:
    backend = SshBackend(SshTarget(host=sshd.host, port=sshd.port, private_key=sshd.private_key))
    try:
        assert backend.state() == "running"
        calls = {
            "stopping": lambda: backend.stop(),
            "starting": backend.start,
            "restarting": lambda: backend.restart(),
            "removing": backend.remove,
            "saving the machine as an image": lambda: backend.commit("x"),
            "deleting an image": lambda: backend.delete_image("x"),
            "tagging an image": lambda: backend.tag_image("x", "y"),
            "labelling an image": lambda: backend.label_image("x", {}, "y"),
        }
        for what, call in calls.items():
            with pytest.raises(NotPossible, match=f"{what}.* is not possible on an SSH host"):
                call()
    finally:
        backend.close()
    assert SshBackend(SshTarget(host="127.0.0.1", port=1, private_key=sshd.private_key)).state() == "unreachable"
