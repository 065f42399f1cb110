import numpy as np
import pytest

from biofeedback.app.ringbuffer import RingBuffer


def test_latest_returns_newest_samples_in_order_across_wraparound():
    rb = RingBuffer(8, 2)
    for start in range(0, 30, 3):
        block = np.arange(start, start + 3, dtype=float)
        rb.write(start, np.column_stack([block, -block]))
    idx, data = rb.latest(8)
    np.testing.assert_array_equal(idx, np.arange(22, 30))
    np.testing.assert_array_equal(data[:, 0], np.arange(22, 30))
    np.testing.assert_array_equal(data[:, 1], -np.arange(22, 30))


def test_gap_is_nan_filled_not_joined():
    rb = RingBuffer(20)
    rb.write(0, np.ones((5, 1)))
    rb.write(8, np.full((4, 1), 2.0))
    idx, data = rb.latest(20)
    np.testing.assert_array_equal(idx, np.arange(12))
    assert np.isnan(data[5:8, 0]).all()
    assert (data[:5, 0] == 1).all() and (data[8:, 0] == 2).all()


def test_block_larger_than_capacity_keeps_the_tail():
    rb = RingBuffer(5)
    rb.write(0, np.arange(12, dtype=float)[:, None])
    idx, data = rb.latest(10)
    np.testing.assert_array_equal(idx, np.arange(7, 12))
    np.testing.assert_array_equal(data[:, 0], np.arange(7, 12))


def test_restart_from_zero_clears_old_data():
    rb = RingBuffer(10)
    rb.write(0, np.ones((6, 1)))
    rb.write(0, np.full((2, 1), 3.0))
    idx, data = rb.latest(10)
    np.testing.assert_array_equal(idx, [0, 1])
    assert (data == 3).all()


def test_empty_and_invalid():
    rb = RingBuffer(4)
    idx, data = rb.latest(3)
    assert idx.size == 0 and data.shape == (0, 1)
    with pytest.raises(ValueError):
        RingBuffer(0)


def test_between_reads_an_absolute_range_of_what_is_still_held():
    rb = RingBuffer(8)
    rb.write(0, np.arange(12, dtype=float)[:, None])  # 0..3 overwritten
    idx, data = rb.between(2, 7)
    np.testing.assert_array_equal(idx, np.arange(4, 7))
    np.testing.assert_array_equal(data[:, 0], np.arange(4, 7))
    assert len(rb.between(10, 20)[0]) == 2 and len(rb.between(12, 20)[0]) == 0
    assert len(RingBuffer(4).between(0, 3)[0]) == 0
