# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Wall time of `./crm run` from a clean clone to "listening", cold and warm.

Clones the repository into a temporary folder (nothing of var/ nor .venv/
is shared with the working tree: pip and npm download caches are, as on any
machine that ran them once), runs `./crm run` until it prints that it
listens, stops it, and runs it again. Targets: cold under 3 minutes, warm
under 10 seconds (2-core machine).

    .venv/bin/python bench/setup_time.py [--scale 1.0] [--postgresql]
"""
import argparse
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGETS = {'cold': 3 * 60, 'warm': 10}


def timed_run(clone, port, extra):
    start = time.monotonic()
    process = subprocess.Popen(
        ['./crm', 'run', '--port', str(port), *extra], cwd=clone,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        for line in process.stdout:
            # Each step's time: "crm: [1/2] creating ...: done in 62s"
            if ': done in ' in line:
                print(f"      {line.strip()}", flush=True)
            if 'listening in' in line:
                return time.monotonic() - start
        raise SystemExit("./crm run stopped before listening; see "
            f"{clone}/var/log")
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--scale', default='1.0')
    parser.add_argument('--postgresql', action='store_true')
    parser.add_argument('--port', type=int, default=8090)
    parser.add_argument('--keep', action='store_true',
        help="keep the temporary clone")
    options = parser.parse_args()
    extra = ['--scale', options.scale] + (
        ['--postgresql'] if options.postgresql else [])
    folder = tempfile.mkdtemp(prefix='crm-bench-')
    os.chmod(folder, 0o755)
    clone = pathlib.Path(folder) / 'crm'
    subprocess.run(['git', 'clone', '-q', str(ROOT), str(clone)], check=True)
    try:
        figures = {}
        for kind in ['cold', 'warm']:
            figures[kind] = timed_run(clone, options.port, extra)
            print(f"{kind:>4} start: {figures[kind]:7.1f} s   target "
                f"{TARGETS[kind]} s   "
                f"ratio {figures[kind] / TARGETS[kind]:.2f}",
                flush=True)
    finally:
        subprocess.run([str(clone / '.venv' / 'bin' / 'python'), '-m',
                'tools.pgcluster', 'stop'], cwd=clone,
            stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
