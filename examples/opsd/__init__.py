"""opsd - a small operations daemon.

opsd listens on a TCP socket for newline-delimited JSON commands
(``{"cmd": "hosts.list"}``) and answers with one JSON object per line.
It keeps a host inventory in SQLite, runs diagnostic shell commands on
the local machine and reports on the health of its dependencies.
"""

__version__ = "0.4.2"

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7411
DEFAULT_DB_PATH = "opsd.db"
