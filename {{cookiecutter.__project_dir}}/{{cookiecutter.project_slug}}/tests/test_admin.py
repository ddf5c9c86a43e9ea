"""The admin pages an operator uses load for a staff user, and only for one."""

import pytest

from ..models import Document
from .support import PACKAGE

PAGES = [
    "/admin/",
    f"/admin/{PACKAGE}/document/",
    f"/admin/{PACKAGE}/document/add/",
    f"/admin/{PACKAGE}/archiveddocument/",
    f"/admin/{PACKAGE}/weeklyreport/",
]


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_for_a_staff_user(admin_client, page):
    assert admin_client.get(page).status_code == 200


@pytest.mark.parametrize("page", PAGES)
def test_page_sends_anyone_else_to_the_login(client, page):
    response = client.get(page)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_document_list_shows_whether_each_embedding_is_fresh(admin_client):
    Document.objects.create(title="never embedded")

    page = admin_client.get(f"/admin/{PACKAGE}/document/").content.decode()

    assert "never embedded" in page
    assert "embedding fresh" in page.lower()
