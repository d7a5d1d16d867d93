"""PlateConfirmer: one plate per vehicle, only when its reads outnumber all others' by a margin."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.plates.confirm import PlateConfirmer
from kiosk.plates.formats import PlateFormat
from kiosk.plates.reader import PlateRead

A, B = "京A12345", "京A1234S"
FPS = 4


def play(frames: Sequence[Sequence[str]], confirmer: PlateConfirmer | None = None) -> list[str]:
    """Feed one list of plate texts per frame at FPS; the plates confirmed, in order."""
    confirmer = confirmer or PlateConfirmer(frames_needed=2, window_s=1.0)
    out = []
    for i, reads in enumerate(frames):
        plate = confirmer.feed(reads, i / FPS)
        if plate is not None:
            out.append(plate)
    return out


def test_two_consecutive_frames_confirm_once() -> None:
    assert play([[A], [A], [A], [A]]) == [A]


def test_one_frame_is_not_enough() -> None:
    assert play([[A], [], [], []]) == []


def test_plate_reads_are_accepted_as_well_as_texts() -> None:
    read = PlateRead(A, PlateFormat.ORDINARY, 0.9, (0, 0, 10, 10))
    confirmer = PlateConfirmer()
    assert confirmer.feed([read], 0.0) is None
    assert confirmer.feed([read], 0.25) == A


def test_a_frame_with_no_plate_neither_counts_nor_breaks_the_run() -> None:
    assert play([[A], [], [A]]) == [A]
    assert play([[A], [], [], []]) == []


def test_two_reads_to_one_are_not_enough() -> None:
    assert play([[A], [B], [A]]) == []
    assert play([[B], [A], [A]]) == []


def test_three_reads_to_one_confirm() -> None:
    # a misread at 8 m (mud turned T into 1) between good reads no longer costs the second
    assert play([[A], [B], [A], [A]]) == [A]
    assert play([[B], [A], [A], [A]]) == [A]


def test_the_margin_is_over_all_other_plates_together() -> None:
    C = "京A1Z345"
    assert play([[A], [B], [A], [C], [A]]) == []  # 3 reads against 2, of two other plates
    assert play([[A], [B], [A], [A], [C], [A]]) == [A]  # 3 to 1 at 0.75 s


def test_a_wrong_plate_needs_the_same_margin() -> None:
    # the misread must outnumber the true plate as the true plate must outnumber misreads
    assert play([[A], [B], [B]]) == []
    assert play([[B], [A], [B], [A], [B]]) == []  # 3 to 2
    assert play([[A], [B], [B], [B]]) == [B]


def test_a_read_of_another_plate_a_window_old_no_longer_counts() -> None:
    # at 4 fps the fifth frame is 1 s after the first
    assert play([[B], [A], [], [], [A]]) == [A]
    assert play([[B], [A], [], [A]]) == []


def test_a_run_older_than_the_window_starts_again() -> None:
    assert play([[A], [], [], [], [], [A]]) == []  # 1.25 s apart at 4 fps


def test_alternating_readings_never_confirm() -> None:
    assert play([[A], [B], [A], [B], [A], [B]]) == []


def test_a_frame_with_two_plates_breaks_the_run() -> None:
    assert play([[A], [A, B], [A], [B, A]]) == []


def test_a_noisy_sequence_yields_one_plate_never_two() -> None:
    # A misread that settles (or a forged second plate held up behind the car) while the
    # first vehicle is still in view never becomes a second confirmation.
    assert play([[A], [A], [B], [B], [B], [A], [B], [B]]) == [A]


def test_after_the_lane_is_quiet_for_the_window_a_new_plate_confirms() -> None:
    frames = [[A], [A], [A], [], [], [], [], [B], [B]]  # 4 empty frames = 1 s at 4 fps
    assert play(frames) == [A, B]


def test_a_short_gap_is_not_a_new_vehicle() -> None:
    frames = [[A], [A], [], [], [B], [B], [B]]  # 0.5 s without a plate
    assert play(frames) == [A]


def test_reset_lets_the_next_plate_confirm() -> None:
    confirmer = PlateConfirmer()
    assert play([[A], [A]], confirmer) == [A]
    confirmer.reset()
    assert confirmer.confirmed is None
    assert play([[B], [B]], confirmer) == [B]


def test_reads_further_apart_than_the_window_do_not_confirm() -> None:
    confirmer = PlateConfirmer(frames_needed=2, window_s=0.5)
    assert confirmer.feed([A], 0.0) is None
    assert confirmer.feed([A], 0.6) is None  # starts a new run
    assert confirmer.feed([A], 0.9) == A


def test_three_frames_needed() -> None:
    assert play([[B], [B]], PlateConfirmer(frames_needed=3)) == []
    assert play([[B], [B], [B]], PlateConfirmer(frames_needed=3)) == [B]


@pytest.mark.parametrize(("frames", "window"), [(1, 1.0), (6, 1.0), (2, 0.0), (2, -1.0)])
def test_settings_out_of_range_are_refused(frames: int, window: float) -> None:
    with pytest.raises(ValueError, match=r"frames_needed|window_s"):
        PlateConfirmer(frames_needed=frames, window_s=window)


@given(st.lists(st.sampled_from([(), (A,), (B,), (A, B)]), max_size=40))
def test_two_plates_are_only_confirmed_with_a_quiet_lane_between(
    frames: list[tuple[str, ...]],
) -> None:
    confirmer = PlateConfirmer(frames_needed=2, window_s=1.0)
    confirmed = [i / FPS for i, reads in enumerate(frames) if confirmer.feed(reads, i / FPS)]
    read_at = [i / FPS for i, reads in enumerate(frames) if reads]
    for first, second in pairwise(confirmed):
        between = [t for t in read_at if first <= t <= second]
        assert any(b - a >= 1.0 for a, b in pairwise(between)), (first, second)
