"""Demo data for `python manage.py load_demo_data`: a clothing and shoe shop with three warehouses.

`tables.py` holds the data (categories, product types with their translations, colours, sizes,
warehouses); `loader.py` turns it into rows through the areas' services; the `demo` app's command
`load_demo_data` runs it. An entry point: it may import every area, and no area imports it.
"""
