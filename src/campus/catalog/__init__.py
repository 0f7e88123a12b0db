"""Catalog: categories, tags, courses, versions, modules, lessons, translations, pricing, tracks."""
