"""``/health/`` answers 200 or 503 with the health command's checks."""

from .support import record_heartbeat


def test_healthy_when_beat_and_a_worker_sent_and_ran_a_heartbeat_lately(redis, client):
    record_heartbeat(redis, sent_seconds_ago=5, ran_seconds_ago=4)

    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json()["healthy"] is True
    assert set(response.json()["checks"]) == {"redis", "beat", "heartbeat"}


def test_unavailable_before_any_heartbeat(redis, client):
    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["checks"]["beat"] == {
        "ok": False,
        "error": "beat has not sent a heartbeat yet",
    }


def test_unavailable_when_beat_stopped_sending(redis, client):
    record_heartbeat(redis, sent_seconds_ago=10_000, ran_seconds_ago=10_000)

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["checks"]["beat"]["ok"] is False


def test_answers_get_only(client):
    assert client.post("/health/").status_code == 405
