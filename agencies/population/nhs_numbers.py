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
def test_range_numbers() -> array[int]:
    """Every valid NHS number beginning 999, in ascending order (909,091 of them).

    The first three digits contribute 9*10 + 9*9 + 9*8 = 243 to the weighted sum; the loop adds
    the next five and then keeps, for the sixth, every digit whose check digit is not 10.
    """
    numbers: array[int] = array("q")
    for prefix in range(100_000):
        digits = f"{prefix:05d}"
        partial = 243 + sum(int(d) * w for d, w in zip(digits, (7, 6, 5, 4, 3), strict=True))
        base = (999_000_000 + prefix * 10) * 10
        for last in range(10):
            check = 11 - (partial + 2 * last) % 11
            if check == 10:
                continue
            numbers.append(base + last * 10 + (0 if check == 11 else check))
    return numbers


TEST_RANGE_CAPACITY = 909_091
