# SPDX-License-Identifier: Apache-2.0
# A throwaway PostgreSQL cluster, the dev broker and prahari-ingest on free
# loopback ports, for the ingest integration tests.
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

PGBIN = "/usr/lib/postgresql/15/bin"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Stack:
    def __init__(self, build, root, fx, prefix="ingest-it-"):
        self.build, self.root, self.fx = build, root, fx
        self.work = tempfile.mkdtemp(prefix=prefix)
        self.pgdata = os.path.join(self.work, "pg")
        os.makedirs(self.pgdata)
        self.as_pg = []
        if os.geteuid() == 0:
            shutil.chown(self.work, "postgres")
            shutil.chown(self.pgdata, "postgres")
            self.as_pg = ["runuser", "-u", "postgres", "--"]
        self.pg_port, self.broker_port = free_port(), free_port()
        self.http_port, self.ops_port = free_port(), free_port()
        self.procs = {}
        self.pg_opts = []  # extra "name=value" PostgreSQL settings (the benchmark's)
        self.secrets = json.load(open(os.path.join(fx, "secrets.json")))
        self.push_token = "push-token-for-integration-01"
        sd = os.path.join(self.work, "secrets")
        os.makedirs(sd)
        for name, val in (("meta", self.secrets["meta_app_secret"]),
                          ("verify", self.secrets["meta_verify_token"]), ("push", self.push_token)):
            with open(os.path.join(sd, name), "w") as f:
                f.write(val + "\n")
        with open(os.path.join(sd, "keys.json"), "w") as f:
            json.dump(self.secrets["partner_keys"], f)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("PRAHARI_") and not k.startswith("KAFKA_")}
        env.update({
            "PRAHARI_PG_DSN": f"host=127.0.0.1 port={self.pg_port} dbname=prahari user=prahari",
            "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{self.broker_port}",
            "PRAHARI_DEVBROKER_PORT": str(self.broker_port),
            "PRAHARI_INGEST_PORT": str(self.http_port),
            "PRAHARI_INGEST_BIND": "127.0.0.1",
            "PRAHARI_INGEST_OPS_PORT": str(self.ops_port),
            "PRAHARI_META_APP_SECRET_FILE": os.path.join(sd, "meta"),
            "PRAHARI_META_VERIFY_TOKEN_FILE": os.path.join(sd, "verify"),
            "PRAHARI_PARTNER_KEYS_FILE": os.path.join(sd, "keys.json"),
            "PRAHARI_GOOGLE_JWKS_FILE": os.path.join(fx, self.secrets["jwks"]),
            "PRAHARI_GOOGLE_AUDIENCE": self.secrets["google_audience"],
            "PRAHARI_YOUTUBE_AUDIENCE": self.secrets["youtube_audience"],
            "PRAHARI_GOOGLE_SERVICE_ACCOUNT": self.secrets["google_service_account"],
            "PRAHARI_GOOGLE_PUSH_TOKEN_FILE": os.path.join(sd, "push"),
            "PRAHARI_YOUTUBE_PUSH_TOKEN_FILE": os.path.join(sd, "push"),
            "PRAHARI_LOG_LEVEL": "warn",
        })
        self.env = env

    def pg_start(self):
        subprocess.run(self.as_pg + [f"{PGBIN}/pg_ctl", "-D", self.pgdata, "-w", "-o",
                                     f"-p {self.pg_port} -k {self.pgdata} -c listen_addresses=127.0.0.1"
                                     + "".join(f" -c {o}" for o in self.pg_opts),
                                     "-l", os.path.join(self.pgdata, "log"), "start"],
                       check=True, stdout=subprocess.DEVNULL)

    def pg_stop(self):
        subprocess.run(self.as_pg + [f"{PGBIN}/pg_ctl", "-D", self.pgdata, "-m", "fast", "-w",
                                     "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def psql(self, sql, user="prahari", db="prahari"):
        out = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-h", "127.0.0.1", "-p",
                              str(self.pg_port), "-U", user, "-d", db, "-v", "ON_ERROR_STOP=1",
                              "-c", sql], capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        return out.stdout.strip()

    def setup_db(self):
        subprocess.run(self.as_pg + [f"{PGBIN}/initdb", "-D", self.pgdata, "-A", "trust", "-U",
                                     "postgres"], check=True, stdout=subprocess.DEVNULL)
        self.pg_start()
        self.psql("CREATE ROLE prahari LOGIN", user="postgres", db="postgres")
        self.psql("CREATE DATABASE prahari OWNER prahari", user="postgres", db="postgres")
        sqldir = os.path.join(self.root, "deploy/sql")
        for f in sorted(os.listdir(sqldir)):
            if f.endswith(".sql") and (f.startswith("00") or f.startswith("01")):
                subprocess.run(["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(self.pg_port),
                                "-U", "prahari", "-d", "prahari", "-v", "ON_ERROR_STOP=1", "-f",
                                os.path.join(sqldir, f)], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start_broker(self):
        self.procs["broker"] = subprocess.Popen(
            [os.path.join(self.build, "services/devbroker/prahari-devbroker")], env=self.env,
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.work, "broker.log"), "a"))
        time.sleep(0.5)

    def start_ingest(self, extra=None):
        e = dict(self.env)
        e.update(extra or {})
        self.procs["ingest"] = subprocess.Popen(
            [os.path.join(self.build, "services/ingest/prahari-ingest")], env=e,
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.work, "ingest.log"), "a"))
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.http_port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("ingest did not start")

    def add(self, name, popen):
        self.procs[name] = popen

    def stop(self, name, sig=signal.SIGTERM, timeout=15):
        p = self.procs.pop(name, None)
        if not p:
            return None
        try:
            os.killpg(p.pid, sig) if getattr(p, "own_group", False) else p.send_signal(sig)
            return p.wait(timeout)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            try:
                os.killpg(p.pid, signal.SIGKILL) if getattr(p, "own_group", False) else p.kill()
            except ProcessLookupError:
                pass
            return p.wait()

    def close(self, ok):
        for name in list(self.procs):
            self.stop(name, signal.SIGKILL)
        self.pg_stop()
        if ok:
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            print("logs kept in", self.work)
