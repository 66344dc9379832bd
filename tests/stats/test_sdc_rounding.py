from werkplaats.stats.sdc import BASE, THRESHOLD, round_to_base


def test_counts_round_half_up_to_the_base():
    assert (THRESHOLD, BASE) == (10, 5)
    assert round_to_base(12.5).item() == 15  # Python's round() would give 10
    assert round_to_base(12).item() == 10
    assert round_to_base([13, 17, 22.4]).tolist() == [15, 15, 20]
