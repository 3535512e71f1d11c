"""Process accounting for bench/tls/run: CPU time and RSS of a process tree,
read from /proc (CPU from each thread's schedstat, in ns, not rounded to
clock ticks)."""

import os

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def proc_stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[21])


def tree(root):
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


def totals(root):
    """(CPU seconds, RSS bytes) of root's process tree."""
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
