"""CPU trainers side by side: what torch's thread count does when several training processes share the cores
(docs/BENCHMARKS.md, "CPU trainers side by side").

    python3 benchmarks/throughput/cpu_threads.py [--steps 300]

Times a small MLP's training steps (forward, backward, AdamW) in one process alone and in two processes at once,
first with a thread per core in each process (what every CPU trainer did before TRAINING_CPU_THREADS), then with
the cores shared between the two. Prints one line per process and case.
"""
import argparse
import os
import subprocess
import sys
import time


def child(threads, steps):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    layers = []
    for _ in range(4):
        layers += [torch.nn.Linear(64, 256), torch.nn.GELU(), torch.nn.Linear(256, 64)]
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.AdamW(model.parameters())
    x = torch.randn(8 * 64, 64)
    start = time.time()
    for _ in range(steps):
        model(x).pow(2).mean().backward()
        opt.step()
        opt.zero_grad()
    print(f"{time.time() - start:.2f}", flush=True)


def run(threads, processes, steps):
    procs = [subprocess.Popen([sys.executable, __file__, "--child", str(threads), "--steps", str(steps)],
                              stdout=subprocess.PIPE, text=True) for _ in range(processes)]
    return [p.communicate()[0].strip() + " s" for p in procs]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--child", type=int)
    a = p.parse_args()
    if a.child is not None:
        child(a.child, a.steps)
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    share = max(1, cores // 2)
    print(f"{cores} cores, {a.steps} steps")
    for threads, processes in ((cores, 1), (share, 1), (cores, 2), (share, 2)):
        print(f"{processes} process(es), {threads} thread(s) each: {', '.join(run(threads, processes, a.steps))}")


if __name__ == "__main__":
    main()
