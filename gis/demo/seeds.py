"""Hand-placed constants for the illustrative Ledu (乐都区, 630202) demo geometry.

Only the district outline is real.  Everything here is a plausible, *illustrative*
placement used to seed Voronoi tessellations: township seed points, the outline of
the city (碾伯街道 + 岗沟街道) in the Huangshui valley, the industrial park and the
urban residents' committees of the city.  Coordinates are lon/lat (EPSG:4326).
"""

from __future__ import annotations

#: EPSG code of the metric CRS used for distances (CGCS2000 / 3-degree GK CM 102E).
METRIC_EPSG = 4543
DEFAULT_SEED = 630202
DISTRICT_CODE = "630202000000"
DISTRICT_NAME = "乐都区"
#: District government seat (碾伯), WGS84.
DISTRICT_SEAT = (102.40041, 36.48023)

NIANBO = "630202001000"  # 碾伯街道
GANGGOU = "630202002000"  # 岗沟街道
PARK = "630202400000"  # 海东工业园区乐都工业园
STREET_CODES = (NIANBO, GANGGOU)

#: Outline of the city area in the Huangshui valley (碾伯 + 岗沟), clockwise from NW.
CITY_OUTLINE = [
    (102.345, 36.508),
    (102.362, 36.519),
    (102.385, 36.516),
    (102.405, 36.522),
    (102.428, 36.517),
    (102.452, 36.520),
    (102.480, 36.510),
    (102.484, 36.488),
    (102.478, 36.458),
    (102.455, 36.447),
    (102.430, 36.452),
    (102.407, 36.446),
    (102.382, 36.451),
    (102.360, 36.447),
    (102.343, 36.462),
    (102.340, 36.486),
]
#: Line splitting the city: 碾伯街道 west of it, 岗沟街道 east of it.
CITY_SPLIT = [(102.414, 36.60), (102.411, 36.50), (102.413, 36.48), (102.410, 36.40)]

#: Industrial park outline (west of the city, valley floor near 雨润).
PARK_OUTLINE = [
    (102.300, 36.500),
    (102.318, 36.508),
    (102.336, 36.503),
    (102.337, 36.489),
    (102.318, 36.485),
    (102.301, 36.488),
]
#: Seeds of the two park communities (类似居委会西区 / 北区).
PARK_SEEDS = {
    "630202400400": (102.308, 36.494),
    "630202400401": (102.327, 36.501),
}

#: Seed points of the township-level units outside the city and park.  Towns (镇)
#: sit along the Huangshui valley or its main side valleys, 乡 in the hills.
TOWNSHIP_SEEDS = {
    "630202101000": (102.290, 36.515),  # 雨润镇 (valley, west of the city)
    "630202102000": (102.370, 36.580),  # 寿乐镇 (side valley north of the city)
    "630202103000": (102.560, 36.455),  # 高庙镇 (valley, east)
    "630202104000": (102.470, 36.545),  # 洪水镇 (north-east of the city)
    "630202105000": (102.185, 36.480),  # 高店镇 (valley, far west)
    "630202106000": (102.290, 36.370),  # 瞿昙镇 (south)
    "630202200000": (102.620, 36.560),  # 共和乡 (north-east hills)
    "630202201000": (102.510, 36.395),  # 中岭乡 (south-east hills)
    "630202202000": (102.415, 36.385),  # 李家乡 (south hills)
    "630202203000": (102.405, 36.780),  # 下营乡 (far north)
    "630202204000": (102.385, 36.690),  # 芦花乡 (north)
    "630202205000": (102.500, 36.640),  # 马营乡 (north-east)
    "630202206000": (102.720, 36.480),  # 马厂乡 (east hills)
    "630202207000": (102.200, 36.310),  # 蒲台乡 (south-west)
    "630202208000": (102.265, 36.640),  # 中坝乡 (north-west)
    "630202209000": (102.370, 36.280),  # 峰堆乡 (south)
    "630202210000": (102.215, 36.575),  # 城台乡 (west hills)
    "630202211000": (102.130, 36.385),  # 达拉乡 (south-west)
}

#: Hand-placed seeds of the city residents' committees (a compact city along lat 36.48).
URBAN_SEEDS = {
    "630202001007": (102.371, 36.4865),  # 水磨营
    "630202001003": (102.382, 36.4870),  # 古城西大街
    "630202001002": (102.3925, 36.4875),  # 古城东大街
    "630202001001": (102.4030, 36.4880),  # 朝阳山 (next to the seat)
    "630202001006": (102.377, 36.4755),  # 怡春
    "630202001005": (102.3875, 36.4760),  # 新乐西大街
    "630202001004": (102.3985, 36.4765),  # 新乐东大街
    "630202002002": (102.4225, 36.4835),  # 文化街
    "630202002003": (102.4300, 36.4730),  # 滨河路
    "630202002001": (102.4400, 36.4810),  # 七里店
}

#: Plan sites (seed text): office/service sites and their status.
PLAN_SITES = {
    "630202001001": ("朝阳山", "under_construction"),
    "630202002211": ("九哈家", "under_construction"),
    "630202002001": ("七里店", "under_construction"),
    "630202102001": ("寿乐", "under_construction"),
    "630202101200": ("汉庄", "planned"),
    "630202002002": ("文化街", "planned"),
    "630202001005": ("新乐西街", "planned"),
    "630202001007": ("水磨营", "planned"),
    "630202001003": ("古城西街", "planned"),
}

FACILITY_KINDS = (
    "office_service_site",
    "service_centre",
    "service_station",
    "mediation_centre",
    "police_room",
    "health_station",
    "elderly_care",
    "culture_sports",
    "commercial_outlet",
)
#: Urban (居委会/园区) facility programme: kind, name suffix, probability, count range, floor m².
#: The number of service stations is one per three grids, clipped to the count range.
URBAN_FACILITIES = [
    ("service_station", "服务站", 1.0, (1, 3), (60, 200)),
    ("mediation_centre", "人民调解室", 0.85, (1, 1), (30, 80)),
    ("health_station", "社区卫生服务站", 0.6, (1, 1), (80, 300)),
    ("elderly_care", "日间照料中心", 1.0, (1, 1), (200, 600)),
    ("culture_sports", "文体活动中心", 1.0, (1, 1), (150, 500)),
    ("commercial_outlet", "便民超市", 1.0, (2, 5), (80, 400)),
]
#: Village (村委会) facility programme, same columns.
VILLAGE_FACILITIES = [
    ("service_station", "服务站", 0.35, (1, 1), (40, 120)),
    ("health_station", "卫生室", 0.7, (1, 1), (40, 120)),
    ("elderly_care", "农村互助幸福院", 0.3, (1, 1), (100, 300)),
    ("culture_sports", "文化广场", 0.5, (1, 1), (300, 1200)),
    ("commercial_outlet", "便民小卖部", 0.6, (1, 1), (20, 80)),
]
#: Facilities of a township seat (name = township name + suffix).
SEAT_FACILITIES = [
    ("service_centre", "便民服务中心", (800, 2000)),
    ("health_station", "卫生院", (600, 2500)),
    ("police_room", "警务室", (40, 120)),
]

FACILITY_KIND_LABELS = {
    "office_service_site": "社区办公和服务场所",
    "service_centre": "便民服务中心",
    "service_station": "服务站",
    "mediation_centre": "人民调解室",
    "police_room": "警务室",
    "health_station": "卫生室",
    "elderly_care": "日间照料中心",
    "culture_sports": "文体活动中心",
    "commercial_outlet": "便民超市",
}


def short_name(name: str) -> str:
    """Community name without the committee suffix (社区居委会, 居委会, 村委会, 社区)."""
    for suf in ("社区居委会", "居委会", "村委会", "社区"):
        if name.endswith(suf):
            return name[: -len(suf)]
    return name


def label(name: str, type_: str) -> str:
    """Everyday label: ``朝阳山社区``, ``东门巷村``, ``高庙镇社区``, ``工业园西区``."""
    if "园区" in type_:
        return "工业园" + name.replace("类似居委会", "")
    return short_name(name) + ("村" if type_ == "村委会" else "社区")


def is_urban(type_: str) -> bool:
    """Residents' committees (居委会/社区) and park units count as urban."""
    return type_ != "村委会"
