"""/healthz tells a load balancer whether this process can reach its database."""

from coordapp import create_app
from tests.conftest import test_config


def test_healthz_answers_200_when_the_database_is_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path):
    # A PostgreSQL URL on a closed port: the connection is refused.
    app = create_app(
        test_config(
            SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
        )
    )
    with app.app_context():
        response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"


def test_healthz_needs_no_login(client):
    assert client.get("/healthz").status_code == 200
