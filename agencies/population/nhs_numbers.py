"""NHS numbers: the Modulus 11 check and the 999 range reserved for test data."""

from __future__ import annotations

from array import array
from functools import cache

TEST_PREFIX = "999"
_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def nhs_check_digit(body: str) -> int | None:
    """The check digit for the first nine digits, or None where no number can use them."""
    total = sum(int(digit) * weight for digit, weight in zip(body, _WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def nhs_number_is_valid(value: str) -> bool:
    """Ten digits whose last is the Modulus 11 check digit of the first nine."""
    if len(value) != 10 or not value.isascii() or not value.isdigit():
        return False
    return nhs_check_digit(value[:9]) == int(value[9])


@cache
def nhs_test_range() -> array[int]:
    """Every valid NHS number beginning 999, in ascending order (909,091 of them).

    The first three digits contribute 9*10 + 9*9 + 9*8 = 243 to the weighted sum. For each of the
    eleven possible remainders of the next five digits' contribution, the valid endings (ninth
    digit and check digit) are worked out once and added to each five-digit stem.
    """
    endings = [
        [
            last * 10 + (check % 11)
            for last in range(10)
            if (check := 11 - (remainder + 2 * last) % 11) != 10
        ]
        for remainder in range(11)
    ]
    numbers: array[int] = array("q")
    for stem in range(100_000):
        d1, rest = divmod(stem, 10_000)
        d2, rest = divmod(rest, 1_000)
        d3, rest = divmod(rest, 100)
        d4, d5 = divmod(rest, 10)
        remainder = (243 + 7 * d1 + 6 * d2 + 5 * d3 + 4 * d4 + 3 * d5) % 11
        base = (999_000_000 + stem * 10) * 10
        numbers.extend([base + ending for ending in endings[remainder]])
    return numbers


TEST_RANGE_CAPACITY = 909_091
