"""JupyterHub for a recops training room: each Hub user works on their own seat of one room sandbox.

Run from this folder, in the recops environment (``pip install -e '.[dev]'`` brings jupyterhub;
the proxy is npm's ``configurable-http-proxy``):

    RECOPS_HUB_SEAT_MAP=seats.json RECOPS_HUB_CARDS=cards RECOPS_HUB_ROOM_SEATS=30 \\
        .venv/bin/jupyterhub -f jupyterhub_config.py

Settings (environment variables):

- ``RECOPS_HUB_SEAT_MAP`` (required): JSON ``{"username": seat, ...}``; only these users may log in.
- ``RECOPS_HUB_CARDS`` (required): the folder of seat cards (``recops room serve --cards``).
- ``RECOPS_HUB_ROOM_SEATS``: start the room sandbox as a Hub-managed service with that many seats
  (on ``RECOPS_HUB_ROOM_PORT``, default 8766, loopback); unset: the room runs beside the Hub and
  its cards are already in ``RECOPS_HUB_CARDS``. The trainer's admin token is in ``CARDS/admin-token``.
- ``RECOPS_HUB_PASSWORD``: one shared password for every user (JupyterHub's shared-password
  authenticator; for a class or a test). Unset: the Hub's default authenticator (system users).
- ``RECOPS_HUB_HOMES``: a folder for users' homes; users need not exist on the machine
  (JupyterHub's SimpleLocalProcessSpawner: no isolation between users' processes, for a class on
  one trusted machine or a test). Unset: the LocalProcessSpawner with system users.
- ``RECOPS_HUB_PROXY``: the ``configurable-http-proxy`` command (default: ``.ci/node``'s, else PATH).

Each user's server gets ``RECOPS_SEAT_CARD`` (their card, copied into their home, mode 0600) and
the recops notebooks in ``~/notebooks`` (the ones the installed package ships, without their jupytext
pairing; copied once; a trainee's edits are kept).
"""

import os
import pwd
import sys
from pathlib import Path

from recops.kit import hub, workcopy

c = get_config()  # type: ignore[name-defined]  # noqa: F821  (JupyterHub's config loader provides it)

REPO = Path(__file__).resolve().parent
SEAT_MAP = os.environ.get("RECOPS_HUB_SEAT_MAP", "")
CARDS = Path(os.environ.get("RECOPS_HUB_CARDS", "")).resolve()
if not SEAT_MAP or not os.environ.get("RECOPS_HUB_CARDS"):
    sys.exit("jupyterhub_config.py: set RECOPS_HUB_SEAT_MAP (a JSON file {\"username\": seat}) and "
             "RECOPS_HUB_CARDS (the folder of seat cards of recops room serve --cards)")
SEATS = hub.load_seat_map(SEAT_MAP)
NOTEBOOKS = workcopy.shipped_dir()  # the package's notebooks (a wheel's, or this checkout's)

# Who may log in: the users with a seat.
c.Authenticator.allowed_users = set(SEATS)
if os.environ.get("RECOPS_HUB_PASSWORD"):
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = os.environ["RECOPS_HUB_PASSWORD"]

# The room sandbox, as a Hub-managed service (or already running beside the Hub).
if os.environ.get("RECOPS_HUB_ROOM_SEATS"):
    room_seats = int(os.environ["RECOPS_HUB_ROOM_SEATS"])
    room_port = int(os.environ.get("RECOPS_HUB_ROOM_PORT", "8766"))
    c.JupyterHub.services = [hub.room_service(room_seats, room_port, CARDS)]

# Users' servers: the recops environment's jupyterhub-singleuser, JupyterLab.
c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
c.Spawner.default_url = "/lab/tree/notebooks"
c.Spawner.http_timeout = 60
if os.geteuid() == 0 and os.environ.get("RECOPS_HUB_HOMES"):
    c.Spawner.args = ["--allow-root"]  # a container or CI machine running everything as root
HOMES = os.environ.get("RECOPS_HUB_HOMES")
if HOMES:
    c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
    c.SimpleLocalProcessSpawner.home_dir_template = str(Path(HOMES).resolve() / "{username}")

proxy = os.environ.get("RECOPS_HUB_PROXY") or str(REPO / ".ci/node/node_modules/.bin/configurable-http-proxy")
if os.environ.get("RECOPS_HUB_PROXY") or Path(proxy).exists():
    c.ConfigurableHTTPProxy.command = [proxy]


def give_seat(spawner) -> None:
    """Before a user's server starts: their seat card and the notebooks in their home, and
    RECOPS_SEAT_CARD in their server's environment."""
    name = spawner.user.name
    seat = hub.seat_of(SEATS, name, SEAT_MAP)
    if HOMES:
        home, uid, gid = Path(HOMES).resolve() / name, None, None
    else:
        entry = pwd.getpwnam(name)
        home, uid, gid = Path(entry.pw_dir), entry.pw_uid, entry.pw_gid
    env = hub.prepare_user(home, hub.card_path(CARDS, seat), NOTEBOOKS, uid, gid)
    spawner.environment = {**spawner.environment, **env}


c.Spawner.pre_spawn_hook = give_seat
