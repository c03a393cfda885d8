"""``%%strace`` in a real Jupyter kernel, driven over ZeroMQ with jupyter_client, as a notebook would.

The kernel has threads of its own (ZeroMQ, heartbeat, output); the helper must follow only the
one running the cell, must not be hit by the kernel's interrupt, and must never take the kernel
down with it. One kernel serves the whole module, to keep the run short.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import KILL_OWN_HELPER

jupyter_client = pytest.importorskip("jupyter_client")

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 30


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """A python3 kernel (this interpreter) with spykit importable and its magics loaded."""
    from jupyter_client.manager import KernelManager

    home = tmp_path_factory.mktemp("kernel")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "IPYTHONDIR": str(home / "ipython"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTER_DATA_DIR": str(home / "data"), "MPLBACKEND": "Agg"}
    manager = KernelManager(kernel_name="python3")
    manager.connection_file = str(home / "kernel.json")
    manager.start_kernel(env=env, cwd=str(home))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=TIMEOUT)
        reply, _ = execute(client, "%load_ext spykit")
        assert reply["status"] == "ok", reply
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def collect(client, msg_id: str) -> tuple[dict, list[dict]]:
    """The execute reply and every iopub message of one execution, until the kernel is idle again."""
    messages = []
    deadline = time.monotonic() + TIMEOUT
    while True:
        msg = client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    while True:
        reply = client.get_shell_msg(timeout=TIMEOUT)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"], messages


def execute(client, code: str) -> tuple[dict, list[dict]]:
    return collect(client, client.execute(code))


def of_type(messages: list[dict], kind: str) -> list[dict]:
    return [m["content"] for m in messages if m["msg_type"] == kind]


def printed(messages: list[dict]) -> str:
    return "".join(c["text"] for c in of_type(messages, "stream") if c["name"] == "stdout")


def value_of(client, expression: str) -> str:
    reply, messages = execute(client, expression)
    assert reply["status"] == "ok", reply
    return of_type(messages, "execute_result")[0]["data"]["text/plain"]


def test_cell_runs_as_usual_and_shows_only_its_own_opens(kernel, tmp_path):
    _, client = kernel
    config = tmp_path / "app.conf"
    config.write_text("colour = blue\n")
    reply, messages = execute(client, f"%%strace -e openat -o t\nx = 41\nprint('hello from the cell')\n"
                                      f"text = open({str(config)!r}).read()\nx + 1\n")
    assert reply["status"] == "ok", reply
    assert "hello from the cell" in printed(messages)  # output shows
    assert [r["data"]["text/plain"] for r in of_type(messages, "execute_result")] == ["42"]  # last value shows
    shown = of_type(messages, "display_data")
    assert len(shown) == 1 and "Trace" in shown[0]["data"]["text/html"]  # then the trace
    assert value_of(client, "x, text") == "(41, 'colour = blue\\n')"  # variables persist
    # Only the cell's opens, none from the kernel's other threads or the magic's bookkeeping.
    assert value_of(client, "list(t.df['path'])") == f"[{str(config)!r}]"
    assert value_of(client, "set(t.df['syscall'].astype(str))") == "{'openat'}"


def test_exception_propagates_once(kernel):
    _, client = kernel
    reply, messages = execute(client, "%%strace\nbefore_error = True\n1 / 0\n")
    assert reply["status"] == "error" and reply["ename"] == "ZeroDivisionError"
    errors = of_type(messages, "error")
    assert len(errors) == 1 and errors[0]["ename"] == "ZeroDivisionError"
    assert value_of(client, "before_error") == "True"


def test_cell_that_starts_a_subprocess_is_followed(kernel):
    _, client = kernel
    reply, _ = execute(client, "%%strace -o t\nimport subprocess\nsubprocess.run(['/bin/true'])\n")
    assert reply["status"] == "ok", reply
    assert value_of(client, "list(t.processes()['exe'])[1:]") == "['/bin/true']"


def test_interrupt_mid_cell_leaves_a_working_kernel(kernel):
    manager, client = kernel
    msg_id = client.execute("%%strace -o t\nimport time\nfor _ in range(300):\n    time.sleep(0.05)\n")
    time.sleep(1.5)  # the helper attaches within about 0.1 s; leave room for a busy machine
    manager.interrupt_kernel()
    reply, messages = collect(client, msg_id)
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    assert value_of(client, "6 * 7") == "42"
    assert value_of(client, "len(t.df) > 0") == "True"  # what it did before the interrupt was kept
    reply, _ = execute(client, "%%strace -o t2\nafter = 1\n")
    assert reply["status"] == "ok", reply


def test_killed_helper_leaves_a_working_kernel(kernel):
    _, client = kernel
    reply, messages = execute(client, (
        "%%strace -o t_killed\n" + KILL_OWN_HELPER))
    assert reply["status"] == "ok", reply
    assert "ran normally" in "".join(c["text"] for c in of_type(messages, "stream") if c["name"] == "stderr")
    assert value_of(client, "killed >= 1, 't_killed' in globals()") == "(True, False)"
    tid_free = ("import threading; open(f'/proc/self/task/{threading.get_native_id()}/status').read()"
                ".split('TracerPid:')[1].split()[0]")
    assert value_of(client, tid_free) == "'0'"


def test_a_long_cell_shows_a_live_status_that_goes_at_the_end(kernel):
    _, client = kernel
    # a traced program that sleeps: the status shows the time, the calls so far and the sleep
    msg_id = client.execute("import spykit, time\n"
                            "t = spykit.trace(['sh', '-c', 'sleep 3; echo done'])\n"
                            "len(t.df) > 0")
    reply, messages = collect(client, msg_id)
    assert reply["status"] == "ok", reply
    opened = [m for m in messages if m["msg_type"] == "comm_open"
              and m["content"]["data"]["state"].get("_model_name") == "HTMLModel"]
    assert len(opened) == 1, [m["msg_type"] for m in messages]
    comm = opened[0]["content"]["comm_id"]
    values = [opened[0]["content"]["data"]["state"]["value"]]
    values += [m["content"]["data"]["state"]["value"] for m in messages
               if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm
               and "value" in m["content"]["data"].get("state", {})]
    assert len(values) >= 3, values  # shown, then updated at least twice during the cell
    assert any("calls traced" in v for v in values) and any("clock_nanosleep" in v or "wait4" in v for v in values)
    # at the end: its output emptied and its widget closed; the cell's result is what stays
    kinds = [m["msg_type"] for m in messages]
    assert "update_display_data" in kinds and "comm_close" in kinds
    emptied = [m["content"] for m in messages if m["msg_type"] == "update_display_data"][-1]
    assert emptied["data"] == {"text/plain": ""}
    assert of_type(messages, "execute_result")[0]["data"]["text/plain"] == "True"


def test_a_quick_cell_shows_no_status(kernel):
    _, client = kernel
    reply, messages = execute(client, "import spykit\nlen(spykit.trace(['true']).df) > 0")
    assert reply["status"] == "ok"
    assert not [m for m in messages if m["msg_type"] in ("comm_open", "display_data")]


def test_a_long_strace_cell_shows_what_the_cells_thread_is_doing(kernel):
    _, client = kernel
    # the cell is traced from a helper process: the status says what the cell's own thread waits on
    reply, messages = execute(client, "%%strace -e trace=clock_nanosleep\nimport time\ntime.sleep(2.5)")
    assert reply["status"] == "ok", reply
    values = [m["content"]["data"]["state"]["value"] for m in messages
              if m["msg_type"] in ("comm_open", "comm_msg") and "value" in m["content"]["data"].get("state", {})]
    assert values and any("this kernel&#x27;s cell: in clock_nanosleep" in v for v in values), values
    assert "comm_close" in [m["msg_type"] for m in messages]
