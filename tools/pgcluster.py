# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The suite's PostgreSQL: a given server (CRM_PG_URI) or a private cluster.

The private cluster lives under var/pg, listens on 127.0.0.1 only (no Unix
socket: the path could be too long) and has one superuser role, ``tryton``,
whose generated password is kept in var/pg/password.
"""
import glob
import os
import pathlib
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

from . import ROOT, SetupError

PG_DIR = ROOT / 'var' / 'pg'
DATA_DIR = PG_DIR / 'data'
PASSWORD_FILE = PG_DIR / 'password'
PORT_FILE = PG_DIR / 'port'
LOG_FILE = PG_DIR / 'postgresql.log'
DEFAULT_PORT = 55432
ROLE = 'tryton'
# The tablespace of the test databases and of their cached templates, in
# memory: this machine's disk takes 1 ms to create a file, 2 s for the
# 1,800 files of a test database, copied some 300 times a run (0.03 ms a
# file in /dev/shm); after a reboot the cache is made again, as on a clean
# clone
TEST_TABLESPACE = 'crm_tests'
MEMORY = pathlib.Path('/dev/shm')
# Some 25 cached databases of 40 MB and the copies, with room to spare
MEMORY_NEEDED = 4 << 30


def bin_dir():
    "The newest installed PostgreSQL server's bin directory"
    candidates = sorted(
        glob.glob('/usr/lib/postgresql/*/bin/postgres'),
        key=lambda p: int(p.split('/')[4]))
    if candidates:
        return os.path.dirname(candidates[-1])
    found = shutil.which('pg_ctl')
    if found:
        return os.path.dirname(os.path.realpath(found))
    raise SetupError(
        "PostgreSQL server binaries not found",
        "install them: apt-get install postgresql")


def _run_as():
    "postgres refuses to run as root: run it as the postgres system user"
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam('postgres')
    except KeyError:
        raise SetupError(
            "no 'postgres' system user to run the private cluster",
            "install the server: apt-get install postgresql")
    return ['runuser', '-u', 'postgres', '--']


def _pg(cmd, *args, **kwargs):
    return subprocess.run(
        _run_as() + [os.path.join(bin_dir(), cmd), *args],
        capture_output=True, text=True, **kwargs)


def port_in_use(port, host='127.0.0.1'):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def reachable(uri, timeout=3):
    import psycopg
    parts = urlsplit(uri)
    try:
        psycopg.connect(
            host=parts.hostname or None, port=parts.port or None,
            user=parts.username or None, password=parts.password or None,
            dbname='postgres', connect_timeout=timeout).close()
    except psycopg.OperationalError as exception:
        return str(exception).strip().splitlines()[0]
    return None


def _initdb():
    PG_DIR.mkdir(parents=True, exist_ok=True)
    if not PASSWORD_FILE.exists():
        PASSWORD_FILE.write_text(secrets.token_urlsafe(18))
        PASSWORD_FILE.chmod(0o600)
    if (DATA_DIR / 'PG_VERSION').exists():
        return
    if DATA_DIR.exists():
        # A half-created cluster from an interrupted run
        shutil.rmtree(DATA_DIR)
    DATA_DIR.mkdir()
    pwfile = PG_DIR / 'pwfile'
    pwfile.write_text(PASSWORD_FILE.read_text())
    if _run_as():
        shutil.chown(PG_DIR, 'postgres')
        shutil.chown(DATA_DIR, 'postgres')
        shutil.chown(pwfile, 'postgres')
        if _pg('postgres', '--version', cwd='/').returncode:
            raise SetupError(
                "the postgres user cannot run the server",
                "check the PostgreSQL installation")
        check = subprocess.run(
            _run_as() + ['test', '-w', str(DATA_DIR)], cwd='/')
        if check.returncode:
            raise SetupError(
                f"the postgres user cannot write to {DATA_DIR}",
                "clone the project where other users may traverse the "
                "parent folders (chmod o+x), or set CRM_PG_URI")
    try:
        result = _pg(
            'initdb', '-D', str(DATA_DIR), '-U', ROLE, '-E', 'UTF8',
            '--locale=C.UTF-8', '--auth=scram-sha-256',
            f'--pwfile={pwfile}', cwd='/')
    finally:
        pwfile.unlink()
    if result.returncode:
        shutil.rmtree(DATA_DIR, ignore_errors=True)
        raise SetupError(
            "initdb failed: "
            + (result.stderr.strip().splitlines() or [''])[-1],
            f"see {PG_DIR}; remove it to start afresh")


def _port():
    if PORT_FILE.exists():
        return int(PORT_FILE.read_text())
    port = int(os.environ.get('CRM_PG_PORT', DEFAULT_PORT))
    while port_in_use(port):
        port += 1
    PORT_FILE.write_text(str(port))
    return port


def running():
    status = _pg('pg_ctl', 'status', '-D', str(DATA_DIR), cwd='/')
    return status.returncode == 0


def start():
    "Start the private cluster if needed and return its URI"
    _initdb()
    port = _port()
    password = PASSWORD_FILE.read_text().strip()
    uri = f'postgresql://{ROLE}:{password}@127.0.0.1:{port}/'
    if running():
        return uri
    if port_in_use(port):
        raise SetupError(
            f"port {port} of the private PostgreSQL is taken by another "
            "program",
            f"free it, or remove {PORT_FILE} (or set CRM_PG_PORT) to pick "
            "another")
    if _run_as():
        LOG_FILE.touch()
        shutil.chown(LOG_FILE, 'postgres')
    options = ' '.join([
            '-c listen_addresses=127.0.0.1', f'-p {port}',
            "-c unix_socket_directories=''",
            '-c synchronous_commit=off', '-c max_connections=200',
            # A cluster of test and demo databases, made again at will: no
            # flush to disk, which a checkpoint of each CREATE and DROP
            # DATABASE would wait for
            '-c fsync=off', '-c full_page_writes=off',
            '-c shared_buffers=256MB', '-c work_mem=32MB',
            # No query runs long enough to pay for its compilation
            '-c jit=off',
            ])
    result = _pg(
        'pg_ctl', 'start', '-w', '-t', '60', '-D', str(DATA_DIR),
        '-l', str(LOG_FILE), '-o', options, cwd='/')
    if result.returncode:
        raise SetupError(
            "the private PostgreSQL did not start",
            f"see {LOG_FILE}")
    return uri


def stop():
    if (DATA_DIR / 'PG_VERSION').exists() and running():
        _pg('pg_ctl', 'stop', '-D', str(DATA_DIR), '-m', 'fast', cwd='/')


def test_tablespace(connection):
    """The name of the tablespace in memory for the test databases of the
    private cluster, made (again after a reboot emptied /dev/shm) when
    missing; None for a given server or without /dev/shm"""
    import psycopg
    if os.environ.get('CRM_PG_URI') or not MEMORY.is_dir():
        return None
    space = os.statvfs(MEMORY)
    if space.f_bavail * space.f_frsize < MEMORY_NEEDED:
        # A container's 64 MB /dev/shm: on disk, as before
        return None
    found = connection.execute(
        'SELECT pg_tablespace_location(oid) FROM pg_tablespace '
        'WHERE spcname = %s', (TEST_TABLESPACE,)).fetchone()
    if found and pathlib.Path(found[0]).is_dir():
        return TEST_TABLESPACE
    if found:
        # A reboot emptied it: its databases are gone with their files
        for name, in connection.execute(
                'SELECT d.datname FROM pg_database AS d '
                'JOIN pg_tablespace AS t ON t.oid = d.dattablespace '
                'WHERE t.spcname = %s', (TEST_TABLESPACE,)).fetchall():
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'DROP TABLESPACE "{TEST_TABLESPACE}"')
    # Named after the cluster, not its port: another clone's cluster on the
    # same port may share /dev/shm (a CI container)
    identifier, = connection.execute(
        'SELECT system_identifier FROM pg_control_system()').fetchone()
    location = MEMORY / f'crm-pg-{identifier}'
    # This cluster's own leftover: no other cluster has its identifier
    shutil.rmtree(location, ignore_errors=True)
    location.mkdir(mode=0o700)
    if _run_as():
        shutil.chown(location, 'postgres', 'postgres')
    try:
        connection.execute(
            f"CREATE TABLESPACE \"{TEST_TABLESPACE}\" LOCATION '{location}'")
    except psycopg.Error as error:
        print(f"crm: the test databases stay on disk: {error}",
            file=sys.stderr)
        return None
    return TEST_TABLESPACE


def cpu_seconds():
    """The CPU seconds the private cluster's server and its processes have
    used since it started (None when it does not run): ./crm test prints
    them, as its pytest processes do not count them"""
    try:
        pid = int((DATA_DIR / 'postmaster.pid').read_text().split()[0])
        with open(f'/proc/{pid}/stat') as stat:
            fields = stat.read().rpartition(')')[2].split()
        # utime, stime, then cutime, cstime: the ended backends
        ticks = sum(map(int, fields[11:15]))
        children = open(f'/proc/{pid}/task/{pid}/children').read().split()
    except (OSError, ValueError, IndexError):
        return None
    for child in children:
        try:
            with open(f'/proc/{child}/stat') as stat:
                fields = stat.read().rpartition(')')[2].split()
            ticks += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return ticks / os.sysconf('SC_CLK_TCK')


def uri():
    "The URI of CRM_PG_URI when set and reachable, else the private cluster"
    given = os.environ.get('CRM_PG_URI')
    if given:
        error = reachable(given)
        if error:
            raise SetupError(
                f"PostgreSQL at CRM_PG_URI is unreachable: {error}",
                "start that server or unset CRM_PG_URI to use the private "
                "cluster under var/pg")
        return given if given.endswith('/') else given + '/'
    uri = start()
    for _ in range(50):
        if not reachable(uri):
            return uri
        time.sleep(0.2)
    raise SetupError(
        "the private PostgreSQL does not accept connections",
        f"see {LOG_FILE}")


def main(argv):
    command = argv[0] if argv else 'uri'
    if command == 'stop':
        stop()
    else:
        print(uri())


if __name__ == '__main__':
    main(sys.argv[1:])
