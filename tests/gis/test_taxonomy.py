"""Tests for the case category taxonomy and the department list."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from gis.taxonomy import (
    Category,
    Department,
    children,
    load_categories,
    load_departments,
)

HEADER = "code,parent_code,level,name,name_en,sla_hours,sensitive,default_department\n"
GOOD = (
    HEADER
    + "01,,1,市容环境,City,48,false,cityadmin\n0101,01,2,私搭乱建,Structures,72,false,cityadmin\n"
)


@pytest.fixture(scope="module")
def departments() -> dict[str, Department]:
    return load_departments()


@pytest.fixture(scope="module")
def categories() -> dict[str, Category]:
    return load_categories()


def write(tmp_path: Path, text: str, name: str = "cats.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- shipped files -------------------------------------------------------------------


def test_shipped_departments(departments: dict[str, Department]) -> None:
    assert 12 <= len(departments) <= 25
    for key in ("cityadmin", "housing", "police", "justice", "civil", "hrss", "gas", "street"):
        assert key in departments
    assert departments["cityadmin"].name == "区城市管理局"
    assert all(d.code.isascii() and d.name_en for d in departments.values())


def test_shipped_categories_shape(categories: dict[str, Category]) -> None:
    majors = [c for c in categories.values() if c.level == 1]
    minors = [c for c in categories.values() if c.level == 2]
    assert [c.code for c in majors] == [f"{i:02d}" for i in range(1, 11)]
    assert 50 <= len(minors) <= 70
    for c in minors:
        assert c.parent_code is not None and c.code.startswith(c.parent_code)
        assert c.major_code == c.parent_code
    assert {c.name for c in majors} >= {"市容环境", "突发事件", "矛盾纠纷", "特殊人群", "民生服务"}


def test_shipped_categories_names(categories: dict[str, Category]) -> None:
    names = {c.name for c in categories.values()}
    for expected in (
        "私搭乱建",
        "暴露垃圾",
        "无照经营游商",
        "占道经营",
        "路面塌陷",
        "燃气管道破裂",
        "邻里纠纷",
        "劳资纠纷",
        "征地拆迁纠纷",
        "社区矫正人员",
        "重症精神障碍患者",
        "被征地农民社保",
        "养老服务",
    ):
        assert expected in names


def test_shipped_sla_and_departments(
    categories: dict[str, Category], departments: dict[str, Department]
) -> None:
    for c in categories.values():
        assert c.sla_hours > 0
        assert c.default_department in departments
        assert c.name_en
    emergencies = children(categories, "05")
    assert emergencies and all(c.is_emergency and c.sla_hours <= 4 for c in emergencies)
    assert all(c.sla_hours >= 72 for c in children(categories, "06"))
    assert not categories["0101"].is_emergency


def test_special_populations_are_sensitive(categories: dict[str, Category]) -> None:
    special = children(categories, "08")
    assert {c.name for c in special} >= {
        "社区矫正人员",
        "刑释人员",
        "吸毒人员",
        "重症精神障碍患者",
        "不良行为青少年",
    }
    assert categories["08"].sensitive
    assert all(c.sensitive for c in special)
    assert not categories["0102"].sensitive


def test_category_is_frozen(categories: dict[str, Category]) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        categories["01"].sla_hours = 1  # type: ignore[misc]


def test_children_rejects_minor_code(categories: dict[str, Category]) -> None:
    with pytest.raises(ValueError, match="0101"):
        children(categories, "0101")


# -- bad files -------------------------------------------------------------------------


def test_small_good_file(tmp_path: Path, departments: dict[str, Department]) -> None:
    cats = load_categories(write(tmp_path, GOOD), departments=departments)
    assert list(cats) == ["01", "0101"]
    assert cats["0101"] == Category(
        "0101", "01", 2, "私搭乱建", "Structures", 72.0, False, "cityadmin"
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("011,01,2,X,X,24,false,cityadmin", "bad category code '011'"),
        ("1,,1,X,X,24,false,cityadmin", "bad category code '1'"),
        ("0102,09,2,X,X,24,false,cityadmin", "missing parent '09'"),
        ("0102,,2,X,X,24,false,cityadmin", "no parent_code"),
        ("0201,01,2,X,X,24,false,cityadmin", "does not start with"),
        ("0102,01,2,X,X,0,false,cityadmin", "positive sla_hours"),
        ("0102,01,2,X,X,-3,false,cityadmin", "positive sla_hours"),
        ("0102,01,2,X,X,abc,false,cityadmin", "bad sla_hours"),
        ("0102,01,2,X,X,24,false,nobody", "unknown default_department 'nobody'"),
        ("0102,01,2,X,X,24,maybe,cityadmin", "bad sensitive"),
        ("0102,01,3,X,X,24,false,cityadmin", "level 3"),
        ("0101,01,2,X,X,24,false,cityadmin", "duplicate category code '0101'"),
        ("0102,01,2,,X,24,false,cityadmin", "needs name"),
    ],
)
def test_bad_rows_name_the_row(
    tmp_path: Path, departments: dict[str, Department], row: str, message: str
) -> None:
    path = write(tmp_path, GOOD + row + "\n")
    with pytest.raises(ValueError, match=message) as info:
        load_categories(path, departments=departments)
    assert f"{path}:4" in str(info.value)


def test_sensitive_parent_needs_sensitive_children(
    tmp_path: Path, departments: dict[str, Department]
) -> None:
    text = HEADER + "08,,1,特殊人群,S,72,true,justice\n0801,08,2,社区矫正人员,C,72,false,justice\n"
    with pytest.raises(ValueError, match="must be sensitive"):
        load_categories(write(tmp_path, text), departments=departments)


def test_missing_column(tmp_path: Path, departments: dict[str, Department]) -> None:
    with pytest.raises(ValueError, match="missing column"):
        load_categories(write(tmp_path, "code,name\n01,X\n"), departments=departments)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("Bad Code,X,X,bureau", "bad department code"),
        ("police,X,X,bureau", "duplicate department code"),
        ("roads,X,X,ministry", "unknown kind 'ministry'"),
        ("roads,,X,bureau", "needs name"),
    ],
)
def test_bad_departments(tmp_path: Path, row: str, message: str) -> None:
    path = write(tmp_path, "code,name,name_en,kind\npolice,公安,Police,bureau\n" + row + "\n")
    with pytest.raises(ValueError, match=message) as info:
        load_departments(path)
    assert f"{path}:3" in str(info.value)
