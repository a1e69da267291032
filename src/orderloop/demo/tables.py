"""The demo shop as data: categories, product types (fully translated), model names, colours, sizes and
warehouses. Pure Python, no ORM: `loader.py` turns these tables into rows.

Product names are "<product type> <model name>": the type is translated into every language the shop
speaks, the model name is a proper name and stays as it is ("Cotton T-shirt Aurora" →
"Бавовняна футболка Aurora").
"""

from __future__ import annotations

from dataclasses import dataclass

# Languages every demo name is translated into (English is the default `name`).
TRANSLATED_LANGUAGES = ("uk", "ru", "sv", "ar")


@dataclass(frozen=True)
class CategoryRow:
    slug: str
    en: str
    uk: str
    ru: str
    sv: str
    ar: str

    def translations(self) -> dict[str, str]:
        return {"uk": self.uk, "ru": self.ru, "sv": self.sv, "ar": self.ar}


@dataclass(frozen=True)
class ProductType:
    code: str  # first part of every SKU of this type
    category: str  # CategoryRow.slug
    en: str
    uk: str
    ru: str
    sv: str
    ar: str
    description: str
    sizes: tuple[str, ...]  # the full size run; a product stocks a window of it
    palette: tuple[str, ...]  # colour names (keys of COLOURS)
    price_from: int  # UAH, whole hryvnias
    price_to: int
    weight_g: int  # a middle size, packed
    length_mm: int  # the packed parcel
    width_mm: int
    height_mm: int
    stock_max: int  # a typical full shelf for one variant in the main warehouse

    def translations(self, model: str) -> dict[str, str]:
        return {
            "uk": f"{self.uk} {model}",
            "ru": f"{self.ru} {model}",
            "sv": f"{self.sv} {model}",
            "ar": f"{self.ar} {model}",
        }


CATEGORIES: tuple[CategoryRow, ...] = (
    CategoryRow("t-shirts", "T-shirts", "Футболки", "Футболки", "T-shirts", "تيشيرتات"),
    CategoryRow("hoodies", "Hoodies", "Худі", "Худи", "Huvtröjor", "هوديز"),
    CategoryRow("jeans", "Jeans", "Джинси", "Джинсы", "Jeans", "جينز"),
    CategoryRow("dresses", "Dresses", "Сукні", "Платья", "Klänningar", "فساتين"),
    CategoryRow("jackets", "Jackets", "Куртки", "Куртки", "Jackor", "جاكيتات"),
    CategoryRow("sneakers", "Sneakers", "Кросівки та кеди", "Кроссовки и кеды", "Sneakers", "أحذية رياضية"),
    CategoryRow("boots", "Boots", "Черевики", "Ботинки", "Kängor och boots", "أحذية بوت"),
    CategoryRow("bags", "Bags", "Сумки та рюкзаки", "Сумки и рюкзаки", "Väskor", "حقائب"),
    CategoryRow("hats", "Hats", "Головні убори", "Головные уборы", "Mössor och kepsar", "قبعات"),
    CategoryRow("socks", "Socks", "Шкарпетки", "Носки", "Strumpor", "جوارب"),
    CategoryRow("accessories", "Accessories", "Аксесуари", "Аксессуары", "Accessoarer", "إكسسوارات"),
)

APPAREL = ("XS", "S", "M", "L", "XL", "XXL")
JEANS = ("28", "30", "32", "34", "36", "38")
SHOES = ("37", "38", "39", "40", "41", "42", "43", "44", "45")
SOCKS = ("36-38", "39-42", "43-46")
BELTS = ("85", "90", "95", "100", "105")
ONE_SIZE = ("One size",)

# Colour name (as shown in the attributes) → the part of the SKU that names it.
COLOURS: dict[str, str] = {
    "Black": "BLACK",
    "White": "WHITE",
    "Grey": "GREY",
    "Navy": "NAVY",
    "Red": "RED",
    "Burgundy": "BURGUNDY",
    "Olive": "OLIVE",
    "Green": "GREEN",
    "Beige": "BEIGE",
    "Sand": "SAND",
    "Brown": "BROWN",
    "Cognac": "COGNAC",
    "Blue": "BLUE",
    "Light blue": "LTBLUE",
    "Pink": "PINK",
    "Mustard": "MUSTARD",
}

BASICS = ("Black", "White", "Grey", "Navy")
EARTH = ("Black", "Olive", "Beige", "Brown", "Sand")
DENIM = ("Blue", "Light blue", "Black", "Grey")
LEATHER = ("Black", "Brown", "Cognac")

PRODUCT_TYPES: tuple[ProductType, ...] = (
    ProductType(
        "TSH", "t-shirts", "Cotton T-shirt", "Бавовняна футболка", "Хлопковая футболка",
        "T-shirt i bomull", "تيشيرت قطني",
        "Soft 100% cotton jersey, regular fit, ribbed crew neck.",
        APPAREL, (*BASICS, "Red", "Mustard"), 449, 799, 180, 300, 250, 20, 60,
    ),
    ProductType(
        "TSO", "t-shirts", "Oversized T-shirt", "Футболка оверсайз", "Футболка оверсайз",
        "Oversize-t-shirt", "تيشيرت واسع",
        "Heavy cotton, dropped shoulders and a relaxed oversized fit.",
        APPAREL, (*BASICS, "Sand", "Olive"), 599, 899, 240, 300, 250, 25, 40,
    ),
    ProductType(
        "HDZ", "hoodies", "Zip Hoodie", "Худі на блискавці", "Худи на молнии",
        "Luvtröja med dragkedja", "هودي بسحّاب",
        "Brushed-back cotton fleece with a full-length zip and kangaroo pockets.",
        APPAREL, (*BASICS, "Burgundy"), 1299, 1899, 550, 350, 300, 60, 30,
    ),
    ProductType(
        "HDF", "hoodies", "Fleece Hoodie", "Флісове худі", "Флисовое худи",
        "Fleecehoodie", "هودي فليس",
        "Warm polar fleece pullover hoodie with a drawstring hood.",
        APPAREL, (*EARTH, "Navy"), 1199, 1699, 600, 350, 300, 70, 30,
    ),
    ProductType(
        "JNS", "jeans", "Slim Jeans", "Вузькі джинси", "Узкие джинсы",
        "Smala jeans", "جينز ضيق",
        "Stretch denim, slim fit through hip and leg, five pockets.",
        JEANS, DENIM, 1499, 2299, 650, 350, 300, 50, 35,
    ),
    ProductType(
        "JNR", "jeans", "Straight Jeans", "Прямі джинси", "Прямые джинсы",
        "Raka jeans", "جينز مستقيم",
        "Rigid cotton denim with a classic straight leg.",
        JEANS, DENIM, 1399, 2199, 700, 350, 300, 55, 35,
    ),
    ProductType(
        "DRS", "dresses", "Summer Dress", "Літня сукня", "Летнее платье",
        "Sommarklänning", "فستان صيفي",
        "Light viscose midi dress with short sleeves and a tie waist.",
        APPAREL[:5], ("White", "Light blue", "Pink", "Mustard", "Green"), 999, 1699, 250, 300, 250, 30, 25,
    ),
    ProductType(
        "DRK", "dresses", "Knit Dress", "В'язана сукня", "Вязаное платье",
        "Stickad klänning", "فستان محبوك",
        "Fine-knit wool blend dress, long sleeves, straight cut.",
        APPAREL[:5], ("Black", "Grey", "Burgundy", "Beige"), 1499, 2499, 450, 320, 260, 50, 20,
    ),
    ProductType(
        "JKD", "jackets", "Denim Jacket", "Джинсова куртка", "Джинсовая куртка",
        "Jeansjacka", "جاكيت جينز",
        "Classic trucker jacket in washed denim with chest pockets.",
        APPAREL, DENIM, 1999, 2999, 900, 400, 320, 80, 20,
    ),
    ProductType(
        "JKP", "jackets", "Down Jacket", "Пуховик", "Пуховик",
        "Dunjacka", "جاكيت منفوخ بالريش",
        "Water-repellent shell filled with responsibly sourced down, for winters down to -20 °C.",
        APPAREL, ("Black", "Navy", "Olive", "Red", "Sand"), 3499, 5999, 1100, 450, 350, 150, 15,
    ),
    ProductType(
        "SNR", "sneakers", "Running Sneakers", "Бігові кросівки", "Беговые кроссовки",
        "Löparskor", "حذاء جري",
        "Lightweight mesh upper and a cushioned sole for daily runs.",
        SHOES, ("Black", "White", "Grey", "Navy", "Red"), 2499, 3999, 750, 330, 220, 120, 15,
    ),
    ProductType(
        "SNC", "sneakers", "Canvas Sneakers", "Текстильні кеди", "Текстильные кеды",
        "Tygsneakers", "حذاء رياضي من القماش",
        "Cotton canvas low-tops with a vulcanised rubber sole.",
        SHOES, ("White", "Black", "Navy", "Red", "Olive"), 1299, 1899, 650, 320, 210, 110, 20,
    ),
    ProductType(
        "BTC", "boots", "Chelsea Boots", "Черевики челсі", "Ботинки челси",
        "Chelseaboots", "حذاء تشيلسي",
        "Full-grain leather ankle boots with elastic sides and a pull tab.",
        SHOES, LEATHER, 3299, 4999, 1300, 340, 240, 130, 12,
    ),
    ProductType(
        "BTW", "boots", "Winter Boots", "Зимові черевики", "Зимние ботинки",
        "Vinterkängor", "حذاء شتوي",
        "Insulated waterproof lace-up boots with a grippy winter sole.",
        SHOES, ("Black", "Brown", "Sand"), 3599, 5499, 1600, 360, 260, 150, 12,
    ),
    ProductType(
        "BGB", "bags", "Leather Backpack", "Шкіряний рюкзак", "Кожаный рюкзак",
        "Ryggsäck i läder", "حقيبة ظهر جلدية",
        "Genuine leather backpack with a padded 15-inch laptop sleeve.",
        ONE_SIZE, LEATHER, 2799, 4299, 1200, 420, 300, 150, 10,
    ),
    ProductType(
        "BGT", "bags", "Tote Bag", "Сумка-шопер", "Сумка-шопер",
        "Tygkasse", "حقيبة تسوق قماشية",
        "Sturdy cotton canvas tote with long handles and an inner pocket.",
        ONE_SIZE, ("Beige", "Black", "Olive", "Navy"), 399, 699, 250, 400, 350, 20, 50,
    ),
    ProductType(
        "HTB", "hats", "Knit Beanie", "В'язана шапка", "Вязаная шапка",
        "Stickad mössa", "قبعة صوفية محبوكة",
        "Rib-knit merino wool beanie with a turn-up cuff.",
        ONE_SIZE, ("Black", "Grey", "Burgundy", "Mustard", "Navy"), 349, 599, 90, 250, 200, 30, 40,
    ),
    ProductType(
        "HTC", "hats", "Baseball Cap", "Бейсболка", "Бейсболка",
        "Keps", "قبعة بيسبول",
        "Six-panel cotton twill cap with an adjustable strap.",
        ONE_SIZE, ("Black", "White", "Navy", "Beige", "Olive"), 399, 699, 120, 280, 200, 120, 40,
    ),
    ProductType(
        "SCK", "socks", "Cotton Socks", "Бавовняні шкарпетки", "Хлопковые носки",
        "Bomullsstrumpor", "جوارب قطنية",
        "Combed cotton everyday socks with a reinforced heel and toe.",
        SOCKS, ("Black", "White", "Grey", "Navy", "Mustard"), 99, 179, 50, 220, 100, 20, 120,
    ),
    ProductType(
        "SCW", "socks", "Wool Socks", "Вовняні шкарпетки", "Шерстяные носки",
        "Ullstrumpor", "جوارب صوفية",
        "Thick merino wool socks for boots and cold days.",
        SOCKS, ("Grey", "Brown", "Olive", "Burgundy"), 199, 329, 80, 220, 100, 30, 80,
    ),
    ProductType(
        "ACB", "accessories", "Leather Belt", "Шкіряний ремінь", "Кожаный ремень",
        "Läderbälte", "حزام جلدي",
        "Vegetable-tanned leather belt, 35 mm wide, with a brushed steel buckle. Sizes are lengths in cm.",
        BELTS, LEATHER, 699, 1299, 180, 220, 150, 50, 20,
    ),
    ProductType(
        "ACS", "accessories", "Wool Scarf", "Вовняний шарф", "Шерстяной шарф",
        "Ullhalsduk", "وشاح صوفي",
        "Soft lambswool scarf, 180 × 30 cm, with fringed ends.",
        ONE_SIZE, ("Grey", "Burgundy", "Navy", "Beige", "Green"), 599, 1099, 200, 300, 200, 40, 25,
    ),
)  # fmt: skip

# Proper names of the models; they are not translated. Each product type uses MODELS_PER_TYPE of them.
MODEL_NAMES = (
    "Aurora",
    "Borealis",
    "Carpathia",
    "Dnipro",
    "Fjord",
    "Granite",
    "Harbor",
    "Lumen",
    "Meridian",
    "Nordic",
    "Solstice",
    "Tundra",
)
MODELS_PER_TYPE = 9

# EAN-13: GS1 prefix 482 (Ukraine), a fixed company number, then a running item number and the check digit.
EAN_PREFIX = "4820000"  # 7 digits; 5 more for the item number make the 12 the check digit is computed over

CURRENCY = "UAH"

# Which warehouse zone holds which categories (A: tops and dresses, B: jeans and shoes, C: small goods).
CATEGORY_ZONE = {
    "t-shirts": "A",
    "hoodies": "A",
    "dresses": "A",
    "jackets": "A",
    "jeans": "B",
    "sneakers": "B",
    "boots": "B",
    "bags": "C",
    "hats": "C",
    "socks": "C",
    "accessories": "C",
}


@dataclass(frozen=True)
class WarehouseRow:
    code: str
    name: str
    address_line: str
    city: str
    postal_code: str
    country: str
    priority: int
    aisles: int  # per zone
    shelves: int
    bins: int  # per shelf
    # The chance that a variant is stocked here, and how big this warehouse's shelves are
    # compared with the main one.
    stocked_share: float
    stock_scale: float


ZONES = ("A", "B", "C")

WAREHOUSES: tuple[WarehouseRow, ...] = (
    WarehouseRow(
        "kyiv", "Kyiv main", "12 Promyslova St", "Kyiv", "02094", "UA", 1, 4, 3, 4, 0.8, 1.0
    ),
    WarehouseRow(
        "lviv", "Lviv west", "5 Zelena St", "Lviv", "79035", "UA", 2, 3, 3, 3, 0.35, 0.6
    ),
    WarehouseRow(
        "stockholm", "Stockholm EU hub", "Lagervägen 8", "Stockholm", "120 40", "SE", 3, 2, 3, 3, 0.2, 0.4
    ),
)  # fmt: skip

DEMO_PASSWORD = "demo1234"

# Username → role (core/roles.py); `admin` also becomes a superuser.
DEMO_USERS = {
    "admin": "Admin",
    "manager": "Manager",
    "warehouse": "Warehouse",
    "courier": "Courier",
    "support": "Support",
    "analyst": "Analyst",
}

OPENING_REFERENCE = "DEMO-OPENING"


# --- Purchasing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupplierRow:
    code: str
    name: str
    contact_name: str
    email: str
    phone: str
    address: str
    language: str
    currency: str
    lead_time_days: int
    min_order_quantity: int
    pack_size: int
    categories: tuple[str, ...]  # preferred supplier of these categories (CategoryRow.slug)
    also: tuple[str, ...]  # also sells these, as a second (not preferred) supplier
    price_factor: str  # the supplier's unit price = the shop's UAH price × this, in the supplier's currency


SUPPLIERS: tuple[SupplierRow, ...] = (
    SupplierRow(
        "kyiv-textile", "Kyiv Textile Works", "Iryna Kovalenko", "orders@kyiv-textile.example", "+380441234567",
        "7 Fabrychna St\n04080 Kyiv", "uk", "UAH", 7, 10, 5,
        ("t-shirts", "hoodies", "socks", "hats"), ("dresses",), "0.38",
    ),
    SupplierRow(
        "denimhaus", "Denimhaus GmbH", "Jonas Weber", "einkauf@denimhaus.example", "+4930123456",
        "Lagerstraße 4\n10115 Berlin", "en", "EUR", 14, 6, 1,
        ("jeans", "jackets", "dresses"), ("hoodies",), "0.0085",
    ),
    SupplierRow(
        "nordsko", "Nordsko AB", "Karin Lind", "order@nordsko.example", "+46812345678",
        "Skogatan 12\n112 21 Stockholm", "sv", "SEK", 10, 4, 2,
        ("sneakers", "boots", "bags", "accessories"), (), "0.10",
    ),
)  # fmt: skip

# Reorder rules in the main warehouse for its low rows (at most this many), alternating min/max and
# reorder point; one purchase order of the second supplier is already on its way.
DEMO_RULES_MAX = 40
DEMO_RULE_MIN_MAX = (5, 25)
DEMO_RULE_SAFETY_STOCK = 3
DEMO_SENT_PO_SUPPLIER = "denimhaus"
DEMO_SENT_PO_LINES = 3
# Orders waiting for the warehouse: (name, phone, language), units per line, payment method, priority,
# promised in N days (None: no promise), confirmed. Lines take SKUs stocked in Kyiv.
DEMO_ORDERS = (
    (("Olena Kovalenko", "+380501110001", "uk"), (1, 2), "cod", "express", 1, True),
    (("Taras Melnyk", "+380501110002", "uk"), (1,), "cod", "normal", 2, True),
    (("Anna Lindqvist", "+380501110003", "sv"), (2, 1, 1), "cod", "normal", None, True),
    (("Ivan Petrenko", "+380501110004", "ru"), (1, 1), "bank_transfer", "normal", 3, True),
    (("Mariia Bondar", "+380501110005", "uk"), (3,), "cod", "normal", 1, True),
    (("Omar Haddad", "+380501110006", "ar"), (1, 1), "cod", "express", 2, True),
    (("Sofiia Shevchuk", "+380501110007", "en"), (1,), "cod", "normal", 4, False),
)

# --- Shipping ---------------------------------------------------------------------------------------

# Pickup points for the checkout's chooser (real carriers import theirs with `import_pickup_points`;
# the demo has no API keys): (carrier, id, number, name, address, city, postal code, country, hours).
DEMO_PICKUP_POINTS = (
    ("nova_poshta", "demo-np-kyiv-1", "1", "Відділення №1", "вул. Пирогівський шлях, 135", "Київ", "03045", "UA", "Mon–Sat 08:00–21:00"),
    ("nova_poshta", "demo-np-kyiv-22", "22", "Відділення №22", "вул. Хрещатик, 22", "Київ", "01001", "UA", "Mon–Sun 09:00–20:00"),
    ("nova_poshta", "demo-np-kyiv-3101", "3101", "Поштомат №3101", "вул. Велика Васильківська, 72", "Київ", "03150", "UA", "24/7"),
    ("nova_poshta", "demo-np-lviv-5", "5", "Відділення №5", "вул. Городоцька, 120", "Львів", "79022", "UA", "Mon–Sat 08:00–20:00"),
    ("postnord", "demo-pn-odenplan", "1503", "ICA Supermarket Odenplan", "Odengatan 65", "Stockholm", "11322", "SE", "Mon–Sun 07:00–22:00"),
    ("postnord", "demo-pn-slussen", "1620", "Pressbyrån Slussen", "Ryssgården 1", "Stockholm", "11645", "SE", "Mon–Sun 06:00–23:00"),
)  # fmt: skip
# Orders already packed, waiting at the shipping desk: (name, phone, language), delivery method,
# address line 1 (a pickup point's label for pickup points), units per line.
DEMO_PACKED_ORDERS = (
    (("Andrii Kravets", "+380501110011", "uk"), "door_delivery", "Khreshchatyk 14, apt. 5", (1, 1)),
    (("Iryna Savchenko", "+380501110012", "uk"), "pickup_point", "Відділення №22, вул. Хрещатик, 22", (2,)),
)
