"""Process accounting for the benchmark runners (bench/http-bench,
bench/tls/run): CPU time and RSS of a server's process tree, read from /proc
(CPU from each thread's schedstat, in ns, not rounded to clock ticks), a free
port on 127.0.0.1 to start a server on, and stopping a server's tree."""

import os
import signal
import socket
import subprocess

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def proc_stat(pid):
    """(ppid, utime + stime in ticks, rss in pages) of one process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the comm: state(0) ppid(1) ... utime(11) stime(12) ... rss(21).
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[21])


def tree(root):
    """root and every process descending from it."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                children.setdefault(proc_stat(int(name))[0], []).append(int(name))
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def task_cpu_ns(pid):
    """CPU time of every thread of pid, in ns (schedstat: not rounded to clock ticks)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
            total += int(f.read().split()[0])
    return total


def tree_totals(root):
    """(CPU seconds, RSS bytes) summed over root's process tree."""
    cpu = rss = 0
    for pid in tree(root):
        try:
            _, ticks, pages = proc_stat(pid)
            try:
                cpu += task_cpu_ns(pid) / 1e9
            except OSError:
                cpu += ticks / CLK_TCK
        except (OSError, IndexError, ValueError):
            continue
        rss += pages
    return cpu, rss * PAGE


def free_port():
    """A port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_tree(proc):
    """SIGTERM to proc (a subprocess.Popen), then SIGKILL to its whole tree
    if it has not exited within 5 s; closes its stdout pipe."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            for pid in reversed(tree(proc.pid)):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            proc.wait()
    if proc.stdout:
        proc.stdout.close()
