"""Every admin page loads for a staff user, and only for one."""

import pytest
from django.contrib import admin
from django.urls import reverse

from ..models import Document
from .support import PACKAGE


def admin_pages():
    """The admin's index, and the list and add pages of every model it shows.

    This project's models, and those of the apps it installs (users,
    django-celery-beat's schedules): a page added later is tested too.
    """
    pages = ["/admin/"]
    for model in admin.site._registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages += [reverse(f"{name}_changelist"), reverse(f"{name}_add")]
    return pages


PAGES = admin_pages()


def test_every_model_of_the_project_has_its_pages():
    expected = {"/admin/", f"/admin/{PACKAGE}/document/", f"/admin/{PACKAGE}/weeklyreport/"}

    assert expected <= set(PAGES)


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
