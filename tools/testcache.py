# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The test databases that trytond caches, keyed on what builds them.

trytond names a cached database after its modules only, so after a change
of model code it would serve a stale database. ``install()`` (called by the
root conftest.py in every test process) adds to that name a key of the files
that make the database: the Python code, XML, tryton.cfg and data of the
suite modules it contains and of the suite modules they depend on, and the
pinned versions of Tryton's packages. Tests, templates, READMEs and the
translations (a test database loads English only) are not part of it, so
editing a test or a crm_knowledge model rebuilds none of crm_sales's
databases.

A manifest beside the cache remembers which cached database serves each
name, so the one a change made stale is removed when its successor is
first asked for: the cache never grows with the edits.

A database missing from the cache is built on the cached database of the
modules it builds on, one suite module less (``parent``): the module is
activated on it as on a user's database, and Tryton's modules are installed
once in a cold run, not once a suite module. After a change of a suite
module's code, the database the change made stale is upgraded instead, as
`trytond-admin -u` upgrades a user's database: the changed modules and
those that depend on them are loaded again, in one pass a database instead
of a chain of activations (a clean clone, as CI runs, builds every database
from nothing).

The data that a test class sets up for its tests (a company, its staff, a
catalogue of deals) is cached the same way when the class asks for it
(``set_up_class_data`` of crm_sales's test tools): the database it leaves
and what it returns, keyed also on the code of the test files it comes from
and on the date, since set-ups date their records from today.

The test processes of a run (pytest-xdist workers) share the cache: a lock
per cached database makes the first that needs it build it while the others
wait and then copy it.
"""
import ast
import configparser
import contextlib
import datetime
import fcntl
import functools
import hashlib
import importlib.util
import json
import os
import pathlib
import sys

from . import ROOT

ADDONS = ROOT / 'addons'
# Parts of a module that never reach a database
NOT_IN_DATABASE = {'tests', 'readme', 'templates', '__pycache__'}


@functools.cache
def suite_depends(module):
    "The suite modules that the module depends on, itself included"
    cfg = ADDONS / module / 'tryton.cfg'
    if not cfg.exists():
        return frozenset()
    parser = configparser.ConfigParser()
    parser.read(cfg)
    depends = parser.get('tryton', 'depends', fallback='').split()
    result = {module}
    for name in depends:
        result |= suite_depends(name)
    return frozenset(result)


@functools.cache
def module_key(module, translations):
    """A hash of the files of one suite module that make its database,
    with the translations or without (English only)"""
    skip = NOT_IN_DATABASE | (set() if translations else {'locale'})
    digest = hashlib.sha256()
    folder = ADDONS / module
    for path in sorted(folder.rglob('*')):
        relative = path.relative_to(folder)
        if (path.is_file() and not skip & set(relative.parts)
                and path.suffix != '.pyc'):
            digest.update(str(relative).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def key(modules, translations=False):
    "The key of a database where the modules are activated"
    digest = hashlib.sha256(tryton_pins())
    for module, module_hash in sorted(module_keys(modules).items()):
        if module:
            digest.update(f'{module}:{module_hash}'.encode())
    return digest.hexdigest()[:16]


def module_keys(modules, translations=False):
    """The key of each suite module in a database where the modules are
    activated, and of Tryton's pinned versions under ''"""
    suite = set()
    for module in modules:
        suite |= suite_depends(module)
    keys = {m: module_key(m, translations) for m in suite}
    keys[''] = hashlib.sha256(tryton_pins()).hexdigest()
    return keys


def changed_modules(old_keys, new_keys):
    """The suite modules to upgrade in a database made with old_keys so that
    it is one of new_keys, or None when it must be made again (another
    version of Tryton or other modules)"""
    if set(old_keys) != set(new_keys) or old_keys[''] != new_keys['']:
        return None
    return sorted(m for m in new_keys if m and old_keys[m] != new_keys[m])


@functools.cache
def tryton_pins():
    "The pinned versions of Tryton's packages, which make the databases"
    lines = (ROOT / 'requirements.txt').read_text().splitlines()
    return '\n'.join(sorted(l for l in lines
            if l.startswith(('trytond', 'proteus')))).encode()


def modules_of(name):
    "The modules of a trytond cache name: 'a-b[--language or set-up]'"
    return name.split('--', 1)[0].split('-')


class Manifest:
    """Which cached database serves each name, with the keys of the modules
    it was made of, kept in a JSON file"""

    def __init__(self, path):
        self.path = pathlib.Path(path)

    def _load(self):
        try:
            entries = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        # A manifest of an earlier run may have the file only
        return {name: entry if isinstance(entry, dict)
            else {'file': entry, 'modules': {}}
            for name, entry in entries.items()}

    def entry(self, name):
        """{'file': cache file, 'modules': module keys, ...} of name, or
        None"""
        return self._load().get(slot(name))

    def replace(self, name, cache_file, modules=None, **values):
        """Record cache_file, made of the modules with their keys, for name,
        with the values (those of the same file are kept); return the file
        it replaces, if any"""
        name = slot(name)
        with lock(self.path.name):
            entries = self._load()
            old = entries.get(name)
            if old and old['file'] == cache_file:
                values = {**old, **values}
            entry = {**values, 'file': cache_file, 'modules': modules or {}}
            if old == entry:
                return None
            entries[name] = entry
            written = self.path.with_suffix('.tmp')
            written.write_text(json.dumps(entries, indent=1, sort_keys=True))
            written.replace(self.path)
        if old and old['file'] != cache_file:
            return old['file']

    def databases(self):
        "The names of the cached PostgreSQL databases in the manifest"
        return {e['file'].rsplit('/', 1)[1] for e in self._load().values()
            if e['file'].startswith('postgresql://')}


def slot(name):
    """The name without the key of a set-up's code ('#...'): one database
    of a slot is cached at a time"""
    return name.split('#', 1)[0]


def manifest_path(backend_name):
    return ROOT / 'var' / 'cache' / f'manifest-{backend_name}.json'


@contextlib.contextmanager
def lock(name):
    "Hold the lock of that name among the test processes"
    folder = ROOT / 'var' / 'cache' / 'locks'
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(name.encode()).hexdigest()
    with open(folder / digest, 'w') as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


def _cache_lock(name):
    from trytond import backend
    return lock(f'{backend.name}:{name}')


def install():
    "Key trytond's test database cache on the code (see the docstring)"
    from trytond import backend
    from trytond.modules.crm_sales.tests import tools as crm_tools
    from trytond.tests import test_tryton, tools

    if backend.name == 'postgresql':
        test_tryton.db_exist = db_exist
    original = test_tryton._db_cache_file
    manifest = Manifest(manifest_path(backend.name))

    def db_cache_file(path, name):
        return original(path, f'{name}@{key(modules_of(name))}')
    test_tryton._db_cache_file = db_cache_file

    backup = test_tryton.backup_db_cache
    restore = test_tryton.restore_db_cache

    @functools.wraps(backup)
    def backup_db_cache(name):
        backup(name)
        _record(name, manifest)

    @functools.wraps(restore)
    def restore_db_cache(name):
        if restore(name):
            _record(name, manifest)
            return True
        return False
    test_tryton.backup_db_cache = tools.backup_db_cache = backup_db_cache
    test_tryton.restore_db_cache = tools.restore_db_cache = restore_db_cache
    test_tryton.activate_module = exact_modules(
        test_tryton.activate_module, manifest)
    tools.activate_modules = set_up_from_modules(
        tools.activate_modules, manifest)
    crm_tools.class_set_up_cache = functools.partial(
        cached_class_set_up, manifest=manifest)
    if os.environ.get('CRM_PG_TABLESPACE'):
        copies_in(os.environ['CRM_PG_TABLESPACE'])


def db_exist(name=None):
    """Whether the database exists, asked of pg_database: trytond's
    db_exist lists the Tryton databases, a connection to each of the
    cluster's (some 25 cached ones, at 9 ms and two SCRAM hashes each), and
    the list is made again after every CREATE or DROP DATABASE: some 600
    connections for crm_partner's tests alone"""
    from trytond import backend
    from trytond.tests.test_tryton import DB_NAME

    database = backend.Database().connect()
    connection = database.get_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute('SELECT 1 FROM pg_database WHERE datname = %s',
                (name or DB_NAME,))
            return cursor.fetchone() is not None
    finally:
        connection.rollback()
        database.put_connection(connection)


def copies_in(tablespace):
    """Make the test databases and their cached templates in that
    tablespace (in memory: see tools/pgcluster.py)"""
    from psycopg.sql import SQL, Identifier

    from trytond.backend.postgresql.database import Database

    # A copy of the template's files (FILE_COPY), not PostgreSQL 15's
    # default of writing each of its blocks to the WAL: half the time
    def create(cls, connection, database_name, template='template0'):
        connection.cursor().execute(SQL(
                "CREATE DATABASE {} TEMPLATE {} ENCODING 'unicode' "
                "TABLESPACE {} STRATEGY FILE_COPY").format(Identifier(database_name),
                Identifier(template), Identifier(tablespace)))
        connection.commit()
        cls._list_cache.clear()
    Database.create = classmethod(create)


@functools.cache
def all_depends(module):
    "Every module the module depends on, itself included"
    from trytond.modules import get_module_info
    result = {module}
    for name in get_module_info(module).get('depends', []):
        result |= all_depends(name)
    return frozenset(result)


def minimal(modules):
    """The modules that the others do not depend on: they name the same
    database ('crm_knowledge' for crm_knowledge, crm_service and
    crm_sales), so that it is cached once"""
    modules = set(modules)
    return sorted(m for m in modules
        if not any(m in all_depends(o) for o in modules - {m}))


def exact_modules(activate_module, manifest):
    """A test class gets a database of its modules, not one that an earlier
    class left with more suite modules: trytond would activate what is
    missing and cache that database under the name of fewer modules, so the
    tests would depend on their order and a cached database on code outside
    its key. On SQLite it is always a new copy: the database in memory is
    one connection, so a transaction that a test starts (a cron run, a
    queued task) commits what the test wrote, and the next class would
    inherit it"""
    from trytond import backend
    from trytond.tests.test_tryton import (
        DB_NAME, db_exist, drop_db, restore_db_cache)

    from .testpool import loaded_modules

    @functools.wraps(activate_module)
    def wrapper(modules, lang='en'):
        modules = minimal([modules] if isinstance(modules, str) else modules)
        wanted = set().union(*map(suite_depends, modules))
        if db_exist(DB_NAME) and (backend.name == 'sqlite'
                or wanted != loaded_modules(DB_NAME) & suite_modules()):
            drop_db()
        with _cache_lock('-'.join(modules) + '--' + lang):
            if not db_exist(DB_NAME):
                name = cache_name(modules, lang)
                if restore_db_cache(name):
                    return
                if lang == 'en' and upgrade_stale(name, manifest):
                    return
                base = parent(modules)
                if base:
                    # The modules are activated on a copy of the cached
                    # database of the modules they build on, as a user
                    # activates a module on a database
                    wrapper(base, lang=lang)
            return activate_module(modules, lang=lang)
    return wrapper


def cache_name(modules, lang):
    "The name trytond caches the database of the modules under"
    return '-'.join(modules) + ('--' + lang if lang != 'en' else '')


def parent(modules):
    """The modules whose cached database the modules' database is built
    from (one module less), or None for a database built from nothing"""
    suite = suite_modules()
    others = [m for m in modules if m not in suite]
    if others and len(modules) > 1:
        return minimal(set(modules) - {others[-1]})
    if len(modules) > 1:
        return minimal(set(modules) - {modules[-1]})
    module, = modules
    if module in suite:
        return minimal(suite_depends(module) - {module}) or None
    return None


def _record(name, manifest, **values):
    """Record the cached database of name in the manifest, with the values:
    the one it replaces goes"""
    from trytond import backend
    from trytond.tests import test_tryton

    stale = manifest.replace(name,
        test_tryton._db_cache_file(test_tryton.DB_CACHE, name),
        module_keys(modules_of(name)), **values)
    if stale:
        _remove(stale, backend.name)


def upgrade_stale(name, manifest):
    """Make the cached database of name from the one a change of suite
    modules made stale, by upgrading them in it; False if there is none
    that an upgrade makes current"""
    from trytond.pool import Pool
    from trytond.tests import test_tryton

    entry = manifest.entry(name)
    changed = entry and changed_modules(
        entry['modules'], module_keys(modules_of(name)))
    if not changed or not _restore(entry['file']):
        return False
    Pool(test_tryton.DB_NAME).init(update=changed)
    test_tryton.backup_db_cache(name)
    return True


def _restore(cache_file):
    "Restore the cached database of that file as the test database"
    from trytond import backend
    from trytond.cache import Cache
    from trytond.tests import test_tryton

    # What the test database had cached goes with it
    Cache.drop(test_tryton.DB_NAME)
    if backend.name == 'sqlite':
        return test_tryton._sqlite_copy(cache_file, restore=True)
    return test_tryton._pg_restore(cache_file)


def set_up_from_modules(activate_modules, manifest):
    """A scenario's database with set-ups (a company, a chart) is made from
    the cached database of its modules, not by activating them again"""
    from trytond.tests import test_tryton, tools

    @functools.wraps(activate_modules)
    def wrapper(modules, *setup):
        modules = minimal([modules] if isinstance(modules, str) else modules)
        if not setup:
            return activate_modules(modules)
        name = '-'.join(modules) + '--' + '|'.join(
            tools._func_name(f) for f in setup)
        with _cache_lock(name):
            if test_tryton.restore_db_cache(name):
                return tools._get_config()
            test_tryton.drop_db()
            if upgrade_stale(name, manifest):
                return tools._get_config()
            test_tryton.activate_module(modules)
            config = tools._get_config()
            for function in setup:
                function(config=config)
            test_tryton.backup_db_cache(name)
        return config
    return wrapper


def cached_class_set_up(cls, run, manifest):
    """Return what run() returns, the set-up of cls's data on the test
    database: the cached database and result of an earlier run when the
    modules' code, the code of the test files and the date are the same"""
    from trytond.tests import test_tryton

    from .testpool import loaded_modules

    modules = minimal(loaded_modules(test_tryton.DB_NAME) & suite_modules())
    name = '-'.join(modules) + f'--{cls.__module__}.{cls.__qualname__}'
    name += '#' + set_up_key(cls, modules)
    cache_file = test_tryton._db_cache_file(test_tryton.DB_CACHE, name)
    with _cache_lock(slot(name)):
        entry = manifest.entry(name)
        # Not upgraded after a change of the modules' code: that would take
        # as long as the set-up
        if (entry and entry['file'] == cache_file and 'result' in entry
                and _exists(cache_file)):
            test_tryton.drop_db()
            test_tryton.restore_db_cache(name)
            return entry['result']
        result = run()
        test_tryton.backup_db_cache(name)
        _record(name, manifest, result=result)
        return result


def set_up_key(cls, modules):
    """A key of the test files that cls's module is made of (itself and the
    test modules of the suite it imports), of the modules' translations
    (which a set-up may load) and of today's date"""
    digest = hashlib.sha256(datetime.date.today().isoformat().encode())
    for module in sorted(set().union(*map(suite_depends, modules))):
        digest.update(module_key(module, True).encode())
    for path in sorted(_test_files(cls.__module__)):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _test_files(module_name, seen=None):
    "The files of the test module and of the suite's test modules it imports"
    seen = set() if seen is None else seen
    seen.add(module_name)
    module = sys.modules[module_name]
    package = module_name if hasattr(module, '__path__') else (
        module_name.rpartition('.')[0])
    tree = ast.parse(pathlib.Path(module.__file__).read_bytes())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name(
                '.' * node.level + (node.module or ''), package)
            # "from . import tools" imports a module
            names = [base] + [f'{base}.{a.name}' for a in node.names]
        else:
            continue
        for name in names:
            if (name not in seen and name in sys.modules
                    and name.startswith('trytond.modules.crm_')
                    and '.tests' in name):
                _test_files(name, seen)
    return {pathlib.Path(sys.modules[m].__file__) for m in seen}


def suite_modules():
    return {p.parent.name for p in ADDONS.glob('*/tryton.cfg')}


def _exists(cache_file):
    from trytond.tests.test_tryton import db_exist
    if cache_file.startswith('postgresql://'):
        return db_exist(cache_file.rsplit('/', 1)[1])
    return os.path.exists(cache_file)


def _remove(cache_file, backend_name):
    if cache_file.startswith('postgresql://'):
        from psycopg.sql import SQL, Identifier

        from trytond.transaction import Transaction
        name = cache_file.rsplit('/', 1)[1]
        with Transaction().start(
                None, 0, close=True, autocommit=True) as transaction:
            transaction.connection.cursor().execute(
                SQL("DROP DATABASE IF EXISTS {}").format(Identifier(name)))
            transaction.database.clear_cache()
    elif os.path.exists(cache_file):
        os.unlink(cache_file)
