"""An organisation admin manages staff, but does not learn who the clients are."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_admin_sees_staff_but_not_clients_or_network_members(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.erin)
    url = reverse("partnership:organisation", kwargs={"pk": world.org_a.pk})
    html = client.get(url).content.decode()
    assert "Alice" in html and "Carol" in html
    assert "Klaas" not in html and "Nina" not in html
    assert "2 accounts of clients or network members" in html
