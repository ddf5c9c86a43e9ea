"""Redis over TLS: a ``rediss://`` REDIS_URL, the server's certificate checked against a private CA.

A real redis-server speaks TLS only, with a certificate from a CA made for
the test (trustme). The worker, a result, beat and the health command all
reach it with REDIS_URL alone, the CA named in it (``?ssl_ca_certs=``).
"""

import shutil
import subprocess

import pytest
import redis as redis_py
import trustme

from .scheduler_support import store_code_schedule
from .support import dry_cleanup_round_trip, free_port, run_health, wait_for, worker_is_ready


@pytest.fixture
def tls_redis(tmp_path):
    """A redis-server that speaks TLS only; its address and the CA that signed its certificate."""
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    ca_file, cert_file, key_file = (tmp_path / name for name in ("ca.pem", "cert.pem", "key.pem"))
    authority.cert_pem.write_to_path(str(ca_file))
    certificate.cert_chain_pems[0].write_to_path(str(cert_file))
    certificate.private_key_pem.write_to_path(str(key_file))
    port = free_port()
    server = subprocess.Popen(
        [
            *(shutil.which("redis-server") or "redis-server", "--port", "0", "--bind", "127.0.0.1"),
            *("--tls-port", str(port), "--tls-auth-clients", "no"),
            *("--tls-cert-file", str(cert_file), "--tls-key-file", str(key_file)),
            *("--tls-ca-cert-file", str(ca_file), "--save", "", "--dir", str(tmp_path)),
        ],
        stdout=subprocess.DEVNULL,
    )
    address = f"rediss://127.0.0.1:{port}/0"
    client = redis_py.Redis.from_url(f"{address}?ssl_ca_certs={ca_file}")

    def answers():
        try:
            return client.ping()
        except redis_py.ConnectionError:
            return False

    try:
        wait_for(answers, 10, "redis-server did not answer over TLS")
        yield address, ca_file
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_worker_results_beat_and_health_reach_redis_over_tls(
    tls_redis, start_worker, start_beat, tmp_path
):
    address, ca_file = tls_redis
    environment = {"REDIS_URL": f"{address}?ssl_ca_certs={ca_file}", "HEARTBEAT_INTERVAL": "2"}
    worker = start_worker(**environment)
    wait_for(lambda: worker_is_ready(worker), 30, worker.log)
    store_code_schedule()
    beat = start_beat(STATE_DIR=str(tmp_path / "state"), **environment)

    result = dry_cleanup_round_trip(**environment)
    assert result.stdout.strip() == "True", result.stderr
    wait_for(lambda: run_health(**environment)[0].returncode == 0, 30, beat.log)


def test_a_certificate_no_ca_vouches_for_is_refused(tls_redis):
    address, _ = tls_redis

    # The system's CAs do not know the test's: the certificate is checked, not trusted.
    result, _ = run_health(REDIS_URL=address)

    assert result.returncode == 1
    assert "certificate verify failed" in result.stdout
