"""Year files for tests."""

from __future__ import annotations

from typing import Any

NOTICE = "国务院办公厅关于2027年部分节假日安排的通知"


def year_file_2027(**changes: Any) -> dict[str, Any]:
    """A made-up but coherent 2027 (the real notice is not in the package): 1 Jan 2027 is a Friday."""
    data: dict[str, Any] = {
        "year": 2027,
        "source": NOTICE,
        "holidays": [
            *({"date": f"2027-01-0{d}", "name": "元旦"} for d in (1, 2, 3)),
            *({"date": f"2027-02-{d:02d}", "name": "春节"} for d in range(6, 14)),
            *({"date": f"2027-10-0{d}", "name": "国庆节"} for d in range(1, 9)),
        ],
        "adjusted_workdays": [
            {"date": "2027-02-14", "name": "春节调休"},  # Sunday
            {"date": "2027-02-20", "name": "春节调休"},  # Saturday
            {"date": "2027-09-26", "name": "国庆节调休"},  # Sunday
            {"date": "2027-10-09", "name": "国庆节调休"},  # Saturday
        ],
    }
    data.update(changes)
    return data
