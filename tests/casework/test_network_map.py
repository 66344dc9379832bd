import pytest

from tests.casework.factories import NetworkMemberFactory
from werkplaats.casework.network_map import network_svg

pytestmark = pytest.mark.django_db


def test_svg_draws_each_person_with_formal_shape_and_ring():
    members = [
        NetworkMemberFactory(label="Zus", closeness=1, formal=False),
        NetworkMemberFactory(label="Wijkverpleging", closeness=3, formal=True),
    ]
    svg = str(network_svg(members, "C-1"))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count('data-formal="0"') == 1 and svg.count('data-formal="1"') == 1
    assert "Zus" in svg and "Wijkverpleging" in svg
    assert 'role="img"' in svg and "<title" in svg


def test_svg_escapes_labels():
    member = NetworkMemberFactory(label="<script>x</script>")
    assert "<script>" not in str(network_svg([member], "C-1"))
