"""``/`` says where to go rather than answering 404."""


def test_the_home_page_links_to_the_admin_and_the_health_check(client):
    response = client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="/admin/"' in page
    assert 'href="/health/"' in page
