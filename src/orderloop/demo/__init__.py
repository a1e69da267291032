"""Demo data for `python manage.py load_demo_data`: a clothing and shoe shop with three warehouses.

`tables.py` holds the data (categories, product types with their translations, colours, sizes,
warehouses); `loader.py` turns it into rows through the areas' services.
"""
