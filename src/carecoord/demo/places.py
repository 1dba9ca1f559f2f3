"""
Places for the demo world: Chicago neighborhoods and nearby towns with their real ZIP codes, area codes and
a few of their streets, and where each demo organization draws its patients from. Phone numbers are always
the fictional 555-0100 … 555-0199 range, so no real line is ever dialed.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Area:
    key: str
    city: str
    zips: tuple[str, ...]
    area_codes: tuple[str, ...]
    streets: tuple[str, ...]
    groups: tuple[str, ...] = ()  # name groups with a strong community here
    apartments: float = 0.35  # share of addresses with an apartment or unit
    # Chicago's grid: house numbers count from State and Madison, so a N street in Rogers Park is in the
    # 6500-7500s and a W street there in the 1000-1900s. Towns use plain numbers.
    numbers: dict[str, tuple[int, int]] = field(default_factory=dict)


N, S, W, E = "N", "S", "W", "E"
AREAS: tuple[Area, ...] = (
    Area("rogers_park", "Chicago", ("60626",), ("773", "872"),
         ("N Sheridan Rd", "W Morse Ave", "N Clark St", "W Touhy Ave", "N Glenwood Ave"), ("black", "hispanic"),
         numbers={N: (6500, 7599), W: (1000, 1999)}),
    Area("west_ridge", "Chicago", ("60659", "60645"), ("773", "872"),
         ("W Devon Ave", "N California Ave", "N Western Ave", "W Pratt Blvd"), ("south_asian", "arab"),
         numbers={N: (6000, 7599), W: (2000, 3199)}),
    Area("edgewater", "Chicago", ("60660",), ("773",),
         ("N Broadway", "W Granville Ave", "N Kenmore Ave", "W Thorndale Ave"),
         numbers={N: (5200, 6399), W: (1000, 1599)}),
    Area("uptown", "Chicago", ("60640",), ("773", "872"),
         ("W Argyle St", "W Lawrence Ave", "N Broadway", "W Wilson Ave", "N Sheridan Rd"), ("vietnamese",),
         numbers={N: (4400, 4999), W: (800, 1599)}),
    Area("lincoln_square", "Chicago", ("60625",), ("773",),
         ("N Lincoln Ave", "W Foster Ave", "N Western Ave", "W Leland Ave"), ("korean",),
         numbers={N: (4400, 5199), W: (1800, 2599)}),
    Area("albany_park", "Chicago", ("60625",), ("773",),
         ("N Kedzie Ave", "W Lawrence Ave", "N Kimball Ave", "W Montrose Ave"), ("korean", "hispanic", "arab"),
         numbers={N: (4400, 4999), W: (3000, 3799)}),
    Area("jefferson_park", "Chicago", ("60630",), ("773",),
         ("N Milwaukee Ave", "W Lawrence Ave", "N Central Ave", "W Higgins Ave"), ("polish",),
         numbers={N: (4800, 5599), W: (4800, 5799)}),
    Area("portage_park", "Chicago", ("60641",), ("773",),
         ("W Irving Park Rd", "N Cicero Ave", "W Addison St", "N Laramie Ave"), ("polish",),
         numbers={N: (3600, 4399), W: (4800, 5799)}),
    Area("lakeview", "Chicago", ("60657", "60613"), ("773", "872"),
         ("N Broadway", "W Belmont Ave", "N Halsted St", "W Diversey Pkwy", "N Sheffield Ave"), (), 0.6,
         numbers={N: (2800, 3999), W: (400, 1599)}),
    Area("logan_square", "Chicago", ("60647",), ("773",),
         ("N Milwaukee Ave", "W Fullerton Ave", "N Kedzie Blvd", "W Diversey Ave"), ("hispanic",),
         numbers={N: (2200, 3199), W: (2400, 3599)}),
    Area("humboldt_park", "Chicago", ("60651",), ("773",),
         ("W Division St", "N California Ave", "W Augusta Blvd", "N Pulaski Rd"), ("hispanic", "black"),
         numbers={N: (800, 1599), W: (2600, 3999)}),
    Area("austin", "Chicago", ("60644", "60651"), ("773",),
         ("W Madison St", "N Central Ave", "W Chicago Ave", "N Laramie Ave"), ("black",),
         numbers={N: (100, 1599), W: (4800, 5999)}),
    Area("pilsen", "Chicago", ("60608",), ("312",),
         ("W 18th St", "S Blue Island Ave", "W Cermak Rd", "S Ashland Ave"), ("hispanic",),
         numbers={S: (1600, 2399), W: (1000, 2199)}),
    Area("little_village", "Chicago", ("60623",), ("773",),
         ("W 26th St", "S Kedzie Ave", "S Pulaski Rd", "W 31st St"), ("hispanic",),
         numbers={S: (2400, 3199), W: (2800, 4399)}),
    Area("chinatown", "Chicago", ("60616",), ("312",),
         ("S Wentworth Ave", "W Cermak Rd", "S Archer Ave", "W 24th Pl"), ("chinese",), 0.6,
         numbers={S: (2100, 2599), W: (100, 399)}),
    Area("bridgeport", "Chicago", ("60609", "60608"), ("773",),
         ("S Halsted St", "W 31st St", "S Morgan St", "W 35th St"), ("chinese", "white"),
         numbers={S: (2800, 3599), W: (800, 1199)}),
    Area("bronzeville", "Chicago", ("60653",), ("773",),
         ("S King Dr", "E 43rd St", "S Cottage Grove Ave", "E 47th St"), ("black",),
         numbers={S: (3900, 4799), E: (300, 799)}),
    Area("hyde_park", "Chicago", ("60615", "60637"), ("773",),
         ("S Lake Park Ave", "E 53rd St", "S Woodlawn Ave", "E 55th St"), ("black",), 0.6,
         numbers={S: (5000, 5699), E: (1100, 1699)}),
    Area("south_shore", "Chicago", ("60649",), ("773",),
         ("E 71st St", "S Jeffery Blvd", "S Exchange Ave", "E 75th St"), ("black",),
         numbers={S: (6700, 7899), E: (1800, 2599)}),
    Area("chatham", "Chicago", ("60619",), ("773",),
         ("E 79th St", "S Cottage Grove Ave", "S King Dr", "E 83rd St"), ("black",), 0.2,
         numbers={S: (7900, 8799), E: (300, 799)}),
    Area("beverly", "Chicago", ("60643",), ("773",),
         ("S Western Ave", "W 103rd St", "S Longwood Dr", "W 95th St"), ("white", "black"), 0.1,
         numbers={S: (9100, 10799), W: (1800, 2599)}),
    Area("gage_park", "Chicago", ("60629",), ("773",),
         ("S Kedzie Ave", "W 55th St", "S California Ave", "W 59th St"), ("hispanic", "arab"),
         numbers={S: (5100, 5999), W: (2600, 3199)}),
    Area("evanston", "Evanston", ("60201", "60202"), ("847", "224"),
         ("Chicago Ave", "Ridge Ave", "Dempster St", "Church St", "Central St")),
    Area("skokie", "Skokie", ("60076", "60077"), ("847", "224"),
         ("Oakton St", "Main St", "Lincoln Ave", "Crawford Ave", "Dempster St"), ("south_asian", "korean"), 0.2),
    Area("niles", "Niles", ("60714",), ("847",), ("N Milwaukee Ave", "W Touhy Ave", "W Oakton St"), ("polish",),
         numbers={N: (7000, 8999), W: (6000, 8999)}),
    Area("des_plaines", "Des Plaines", ("60016", "60018"), ("847", "224"), ("Lee St", "Rand Rd", "Oakton St")),
    Area("oak_park", "Oak Park", ("60302", "60304"), ("708",),
         ("Lake St", "Madison St", "Harlem Ave", "Ridgeland Ave"), (), 0.3),
    Area("cicero", "Cicero", ("60804",), ("708",), ("W Cermak Rd", "S Cicero Ave", "W 31st St"), ("hispanic",),
         numbers={S: (2100, 3899), W: (4800, 5999)}),
    Area("berwyn", "Berwyn", ("60402",), ("708",), ("Oak Park Ave", "Ridgeland Ave", "Cermak Rd")),
    Area("bridgeview", "Bridgeview", ("60455",), ("708",), ("S Harlem Ave", "W 87th St", "S Roberts Rd"),
         ("arab",), 0.1, numbers={S: (7100, 8699), W: (7100, 7999)}),
    Area("naperville", "Naperville", ("60540",), ("630", "331"), ("Ogden Ave", "Washington St", "Chicago Ave"),
         ("south_asian",), 0.15),
)  # fmt: skip

AREA_BY_KEY = {area.key: area for area in AREAS}

# Where relatives who do not live nearby live: downstate towns with their own area codes.
FAR_AREAS: tuple[Area, ...] = (
    Area("springfield", "Springfield", ("62701", "62704"), ("217",), ("S Grand Ave", "W Washington St")),
    Area("peoria", "Peoria", ("61602", "61604"), ("309",), ("W Main St", "N University St")),
    Area("rockford", "Rockford", ("61101", "61107"), ("815", "779"), ("N Main St", "E State St")),
    Area("champaign", "Champaign", ("61820",), ("217",), ("W Springfield Ave", "S Neil St")),
    Area("joliet", "Joliet", ("60432", "60435"), ("815", "779"), ("W Jefferson St", "Plainfield Rd")),
)

# The neighborhoods each demo organization's patients come from.
CATCHMENTS = {
    "northside": ("rogers_park", "west_ridge", "edgewater", "uptown", "lincoln_square", "albany_park",
                  "jefferson_park", "evanston", "skokie"),
    "lakeshore": ("lakeview", "uptown", "logan_square", "humboldt_park", "austin", "pilsen", "little_village",
                  "chinatown", "bridgeport", "edgewater", "portage_park", "oak_park", "cicero", "berwyn"),
    "maple-grove": ("skokie", "evanston", "niles", "des_plaines", "jefferson_park", "west_ridge",
                    "rogers_park"),
    "prairie": ("bronzeville", "hyde_park", "south_shore", "chatham", "beverly", "gage_park", "little_village",
                "pilsen", "austin", "humboldt_park", "bridgeview", "cicero", "naperville"),
    "riverside": ("pilsen", "little_village", "gage_park", "bridgeport", "chinatown", "cicero", "berwyn"),
}  # fmt: skip

SECOND_LINES = ("Apt 1", "Apt 2", "Apt 3", "Apt 1R", "Apt 2F", "Apt 3B", "Apt 4C", "Apt 205", "Apt 312",
                "Unit 4", "Unit 1W", "Apt 907", "Apt 1504", "Apt G")  # fmt: skip


def fictional_number(area_code: str, line: int) -> str:
    """The E.164 form of (area) 555-01xx, the range set aside for fiction; `line` is 0 … 99."""
    if not 0 <= line <= 99:
        raise ValueError("line must be 0 … 99")
    return f"+1{area_code}55501{line:02d}"
