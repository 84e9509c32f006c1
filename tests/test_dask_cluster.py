"""Dask on a cluster started the usual way: ``dask scheduler`` and ``dask worker`` processes in a directory of their
own, joined with ``--scheduler``. Relative paths, the per-worker check (packages, paths, output folder) and
shipped models, against the local executor's output."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from curation.classify.demo import build_demo_models
from curation.cli import main as curate
from curation.sample import generate_sample
from tests.helpers import read_output_rows
from tests.mix_helpers import tree_bytes, write_curated

REPO_ROOT = Path(__file__).resolve().parents[1]
DASK_CLI = Path(sys.executable).with_name("dask")
DEMO_RECIPE = str(REPO_ROOT / "pipelines" / "demo.yaml")
DEDUP_RECIPE = str(REPO_ROOT / "pipelines" / "dedup.yaml")
STARTUP_SECONDS = 180

pytestmark = pytest.mark.slow

MIXTURE = """
name: cluster-mix
seed: 3
inputs: {curated: curated}
sources:
  science: {include: {domain: science}}
  other: {include: {domain: [news, code, fiction]}}
stages:
  - name: stable
    tokens: 20000
    shares: {science: 0.4, other: 0.6}
  - name: anneal
    tokens: 4000
    shares: natural
    require: {decontaminate: {paths: [evals/eval.jsonl]}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CommandLineCluster:
    """A ``dask scheduler`` process and ``dask worker`` processes, each started in ``workdir``."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen] = []
        self.expected_workers = 0
        workdir.mkdir(parents=True, exist_ok=True)
        self._start([str(DASK_CLI), "scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"])

    def _start(self, command: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.workdir / f"process-{len(self.processes)}.log", "wb")  # noqa: SIM115 (closed with the process)
        environment = env or (os.environ | {"PYTHONPATH": str(REPO_ROOT)})
        process = subprocess.Popen(
            command, cwd=self.workdir, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        process.log = log
        self.processes.append(process)

    def add_workers(self, count: int = 2, *, prefix: list[str] = (), python: list[str] | None = None, env=None) -> None:
        """``dask worker ADDRESS --nworkers count``, under ``prefix`` (e.g. ``unshare``), by ``python``."""
        launcher = python if python is not None else []
        command = [*prefix, *launcher, str(DASK_CLI), "worker", self.address, "--nworkers", str(count)]
        self._start([*command, "--nthreads", "1", "--no-dashboard", "--death-timeout", "120"], env)
        self.expected_workers += count

    def wait(self) -> None:
        from distributed import Client

        with Client(self.address, timeout=STARTUP_SECONDS) as client:
            client.wait_for_workers(self.expected_workers, timeout=STARTUP_SECONDS)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            process.log.close()

    def logs(self) -> str:
        return "\n".join(
            (self.workdir / f"process-{i}.log").read_text(errors="replace") for i in range(len(self.processes))
        )


@pytest.fixture(scope="module")
def client_dir(tmp_path_factory) -> Path:
    """The client's working directory: the demo's models where pipelines/demo.yaml names them (relative
    build/demo/models), a sample corpus, a curated output and an evaluation file for ``curate mix``."""
    root = tmp_path_factory.mktemp("client")
    build_demo_models(root / "build" / "demo" / "models", sample_docs=200)
    generate_sample(root / "sample", shards=2, docs_per_shard=40, seed=4)
    write_curated(root / "curated", shards=2, docs=120, seed=1)
    (root / "evals").mkdir()
    question = "an evaluation question that no document of the curated corpus shares with it word for word"
    (root / "evals" / "eval.jsonl").write_text(json.dumps({"id": "q", "text": question}) + "\n")
    (root / "mixture.yaml").write_text(MIXTURE)
    return root


@pytest.fixture(scope="module")
def local_demo_rows(client_dir) -> list[tuple]:
    """The demo recipe's output on the local executor, as sorted rows."""
    out = client_dir.parent / "local-demo"
    with _working_directory(client_dir):
        assert curate(["run", DEMO_RECIPE, "-i", "sample/shards", "-o", str(out), "-w", "1", "-q"]) == 0
    return demo_rows(out)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[CommandLineCluster]:
    """A scheduler and two worker processes started by the ``dask`` command in a directory of their own."""
    started = CommandLineCluster(tmp_path_factory.mktemp("cluster"))
    try:
        started.add_workers(2)
        started.wait()
        yield started
    finally:
        started.stop()


def demo_rows(out: Path) -> list[tuple]:
    keys = ("id", "text", "language", "quality_score", "domain")
    return sorted(tuple(row.get(key) for key in keys) for row in read_output_rows(out))


class _working_directory:
    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.previous = os.getcwd()
        os.chdir(self.path)

    def __exit__(self, *exc):
        os.chdir(self.previous)


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_demo_recipe_and_mixture_with_relative_paths_give_the_local_output(cluster, client_dir, local_demo_rows):
    with _working_directory(client_dir):
        code = curate(
            [
                "run",
                DEMO_RECIPE,
                "-i",
                "sample/shards",
                "-o",
                "out",
                "--executor",
                "dask",
                "--scheduler",
                cluster.address,
                "-q",
            ]
        )
        assert code == 0, cluster.logs()[-3000:]
        assert demo_rows(client_dir / "out") == local_demo_rows
        assert len(local_demo_rows) > 20
        assert not (client_dir / "out" / "_work" / "probe").exists()
        for mode, executor in (
            ("mixture-local", []),
            ("mixture-dask", ["--executor", "dask", "--scheduler", cluster.address]),
        ):
            assert curate(["mix", "mixture.yaml", "-o", mode, "-q", "-w", "1", *executor]) == 0
        assert tree_bytes(client_dir / "mixture-dask") == tree_bytes(client_dir / "mixture-local")
    leftovers = [name for name in files_under(cluster.workdir) if not name.startswith("process-")]
    assert leftovers == [], "the workers wrote into their own working directory"


def test_output_the_workers_cannot_see_stops_the_run_with_one_message(cluster, client_dir, capsys):
    """memory:// exists in each process only: the client's output is invisible to every worker."""
    with _working_directory(client_dir):
        code = curate(
            [
                "run",
                DEDUP_RECIPE,
                "-i",
                "sample/shards",
                "-o",
                "memory://curated",
                "--executor",
                "dask",
                "--scheduler",
                cluster.address,
                "-q",
            ]
        )
    message = capsys.readouterr().err
    assert code == 2
    assert "output memory://curated is not the client's folder on workers tcp://127.0.0.1:" in message
    assert "workers tcp://127.0.0.1:" in message and "(all)" in message
    assert "object store URL" in message and "nothing was run" in message
    assert [line for line in message.splitlines() if line.startswith("curate")] == [
        "curate: the Dask workers cannot run this as they are; nothing was run (2 workers checked):"
    ]


def _site_packages_without(hidden: tuple[str, ...], folder: Path) -> Path:
    """A folder of links to every installed package except ``hidden`` (their modules and metadata)."""
    site = Path(sysconfig.get_paths()["purelib"])
    folder.mkdir(parents=True)
    for entry in site.iterdir():
        name = entry.name.lower()
        if any(name == hide or name.startswith((f"{hide}-", f"{hide}.")) for hide in hidden):
            continue
        (folder / entry.name).symlink_to(entry)
    return folder


def test_workers_without_the_clients_packages_stop_the_run_before_any_work(tmp_path, client_dir, capsys):
    """One worker lacks transformers; another runs a curation whose code differs from the client's."""
    site = _site_packages_without(("transformers",), tmp_path / "site")
    other = tmp_path / "other-curation"
    shutil.copytree(REPO_ROOT / "curation", other / "curation", ignore=shutil.ignore_patterns("__pycache__"))
    with (other / "curation" / "global_stage.py").open("a") as handle:
        handle.write("\nLOCAL_PATCH = True\n")
    started = CommandLineCluster(tmp_path / "cluster")
    try:
        started.add_workers(1, python=[sys.executable, "-S"], env=os.environ | {"PYTHONPATH": f"{REPO_ROOT}:{site}"})
        started.add_workers(1, env=os.environ | {"PYTHONPATH": str(other)})
        started.wait()
        with _working_directory(client_dir):
            out = tmp_path / "out"
            code = curate(
                [
                    "run",
                    DEMO_RECIPE,
                    "-i",
                    "sample/shards",
                    "-o",
                    str(out),
                    "--executor",
                    "dask",
                    "--scheduler",
                    started.address,
                    "-q",
                ]
            )
    finally:
        started.stop()
    message = capsys.readouterr().err
    assert code == 2, message
    print(message)
    assert "package transformers is not installed on worker tcp://127.0.0.1:" in message
    assert "(the client has 5." in message
    assert "pip install 'transformers==" in message
    assert "package curation has other code than the client's on worker tcp://127.0.0.1:" in message
    assert str(other / "curation") in message
    assert message.count("on worker tcp://127.0.0.1:") == 2
    assert files_under(out) == []
    assert [name for name in files_under(started.workdir) if not name.startswith("process-")] == []


def _unshare_prefix() -> list[str]:
    """How to start a process in a mount namespace of its own here (root, or an unprivileged user namespace)."""
    for prefix in (["unshare", "-m", "--propagation", "private"], ["unshare", "-r", "-m", "--propagation", "private"]):
        if shutil.which("unshare") is None:
            break
        try:
            probe = subprocess.run([*prefix, "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return prefix
    pytest.skip("no mount namespace can be made here (unshare -m needs root or unprivileged user namespaces)")


def test_folders_only_the_client_sees_are_found_before_work_and_models_can_be_shipped(
    tmp_path, client_dir, local_demo_rows, capsys
):
    """The workers run in a mount namespace where the client's model folder and one output folder are empty
    (a tmpfs mounted over them), as on a machine that does not mount them."""
    prefix = _unshare_prefix()
    private = tmp_path / "private"
    private.mkdir()
    hidden = [str(client_dir / "build"), str(private)]
    mounts = " && ".join(f"mount -t tmpfs tmpfs '{path}'" for path in hidden)
    started = CommandLineCluster(tmp_path / "cluster")
    try:
        started.add_workers(2, prefix=[*prefix, "sh", "-c", f'{mounts} && exec "$@"', "sh"])
        started.wait()
        scheduler = ["--executor", "dask", "--scheduler", started.address, "-q"]
        with _working_directory(client_dir):
            models_missing = curate(["run", DEMO_RECIPE, "-i", "sample/shards", "-o", str(tmp_path / "a"), *scheduler])
            first = capsys.readouterr().err
            shipped = curate(
                ["run", DEMO_RECIPE, "-i", "sample/shards", "-o", str(tmp_path / "b"), "--ship-models", *scheduler]
            )
            second = capsys.readouterr().err
            private_output = curate(
                ["run", DEDUP_RECIPE, "-i", "sample/shards", "-o", str(private / "out"), *scheduler]
            )
            third = capsys.readouterr().err
    finally:
        started.stop()
    quality = client_dir / "build" / "demo" / "models" / "quality"
    print(first, second, third)
    assert models_missing == 2, first
    assert f"stages[5].params.model (quality_score) {quality} is missing on workers tcp://127.0.0.1:" in first
    assert "--ship-models" in first
    assert files_under(tmp_path / "a") == []

    assert shipped == 0, second + started.logs()[-3000:]
    assert "sending 2 model folder(s) the workers lack" in second
    assert demo_rows(tmp_path / "b") == local_demo_rows

    assert private_output == 2, third
    assert f"output {private / 'out'} is not the client's folder on workers" in third
    assert "shared filesystem" in third
    assert files_under(private) == []
    assert [name for name in files_under(started.workdir) if not name.startswith("process-")] == []


def test_model_shipping_is_limited_in_size(cluster, client_dir):
    """Over the limit, nothing is sent; the message says where such models belong."""
    from distributed import Client

    from curation.executors.shipping import ModelShippingError, ship

    with Client(cluster.address) as client, pytest.raises(ModelShippingError) as error:
        ship(client, [str(client_dir / "build" / "demo" / "models" / "domain")], limit=1000)
    assert "more than the 1000 bytes" in str(error.value) and "shared filesystem" in str(error.value)
